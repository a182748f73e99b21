/**
 * The webhook channel: POSTs a message to named endpoints, as the rendered JSON or as a Slack-compatible
 * payload, signed with HMAC-SHA256 over `<timestamp>.<body>`. Destinations pass the same allow-list and
 * SSRF checks as the `http.request` action, and the socket connects only to the vetted addresses.
 */
import { createHmac } from 'node:crypto';
import { compileAllowList } from '../actions/http/allow-list.js';
import { parseRequestUrl, systemLookup, vetDestination, type HostLookup } from '../actions/http/destination.js';
import { send, type ReceivedResponse } from '../actions/http/transport.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import { deliveryId, deliveryKey, excerpt, redact, settle, type RecipientFailure } from './delivery.js';
import type { Channel, DeliveryReceipt, OutboundMessage, RecipientDelivery } from './types.js';
import { webhookBody, type WebhookFormat } from './webhook-payload.js';
import { own } from '../domain/own.js';

/** One named endpoint (the proposed `channels.webhook.endpoints.<name>` config). */
export interface WebhookEndpoint {
  /** The URL, or a secret reference to it (Slack incoming-webhook URLs are credentials). */
  url: string;
  format: WebhookFormat;
  /** Secret reference for the HMAC key; without one the request is sent unsigned. */
  secret?: string;
}

/** Options for `createWebhookChannel`. */
export interface WebhookChannelOptions {
  endpoints: Readonly<Record<string, WebhookEndpoint>>;
  /** Allow-list entries in the `actions.http.allow` syntax; an endpoint outside it is refused. */
  allow: readonly string[];
  allowLinkLocal?: boolean;
  secrets: SecretResolver;
  /** Per-request deadline (default 10 s). */
  timeoutMs?: number;
  /** How much of a response body to keep for the receipt and error messages (default 4 KiB). */
  maxResponseBytes?: number;
  lookup?: HostLookup;
  /** Milliseconds since the epoch, for the signature timestamp; injectable for tests. */
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 4096;
const SECRET_SCHEME = /^(env|file):/;

/** The signature header value: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`. */
export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`, 'utf8');
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/** Classifies an HTTP answer: 2xx delivered (undefined), 408/429/5xx retryable, anything else permanent. */
export function classifyWebhookStatus(status: number, body: string, label: string): FirebreakError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const reason = body === '' ? `${status}` : `${status} ${body}`;
  if (status === 408 || status === 429 || status >= 500) {
    return new FirebreakError(ErrorCode.HttpStatus, `${label} answered ${reason}`, { status });
  }
  const why = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return new FirebreakError(ErrorCode.DeliveryRejected, `${label} answered ${reason}${why}`, { status });
}

/** Creates the webhook channel. Secrets and URLs given as references are resolved at each send. */
export function createWebhookChannel(options: WebhookChannelOptions): Channel {
  const allow = compileAllowList(options.allow);
  const policy = { allow, allowLinkLocal: options.allowLinkLocal ?? false, lookup: options.lookup ?? systemLookup };
  const now = options.now ?? Date.now;

  async function deliver(message: OutboundMessage, name: string): Promise<RecipientDelivery> {
    const endpoint = own(options.endpoints, name);
    if (!endpoint) throw new FirebreakError(ErrorCode.InvalidInput, `webhook endpoint "${name}" is not configured`);
    const label = `webhook ${name}`;
    const secrets: string[] = [];
    const rawUrl = SECRET_SCHEME.test(endpoint.url) ? await options.secrets.resolve(endpoint.url) : endpoint.url;
    if (rawUrl !== endpoint.url) secrets.push(rawUrl);
    const url = parseRequestUrl(rawUrl);
    const destination = await vetDestination(url, policy).catch((error: unknown) => {
      throw renameAllowList(error);
    });
    const body = Buffer.from(webhookBody(endpoint.format, message), 'utf8');
    const key = deliveryKey(message, name);
    const id = deliveryId(key);
    const timestamp = String(Math.floor(now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'user-agent': 'firebreak',
      'idempotency-key': key,
      'x-firebreak-delivery': id,
      'x-firebreak-timestamp': timestamp,
      'x-firebreak-fingerprint': message.fingerprint,
    };
    if (endpoint.secret !== undefined) {
      const secret = await options.secrets.resolve(endpoint.secret);
      secrets.push(secret);
      headers['x-firebreak-signature'] = signWebhook(secret, timestamp, body);
    }
    let response: ReceivedResponse;
    try {
      response = await send({
        destination,
        method: 'POST',
        headers,
        body,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        signal: new AbortController().signal,
        label,
      });
    } catch (error) {
      if (error instanceof FirebreakError) throw error;
      throw new FirebreakError(ErrorCode.Transient, `${label} failed`);
    }
    const text = excerpt(redact(response.body.toString('utf8'), secrets));
    const failure = classifyWebhookStatus(response.status, text, label);
    if (failure) throw failure;
    return { recipient: name, messageId: id, status: response.status, response: text };
  }

  return {
    name: 'webhook',
    async send(message: OutboundMessage): Promise<DeliveryReceipt> {
      if (message.to.length === 0) throw new FirebreakError(ErrorCode.InvalidInput, 'webhook message has no endpoints');
      const delivered: RecipientDelivery[] = [];
      const failures: RecipientFailure[] = [];
      for (const name of message.to) {
        try {
          delivered.push(await deliver(message, name));
        } catch (error) {
          const classified =
            error instanceof FirebreakError ? error : new FirebreakError(ErrorCode.Transient, `webhook ${name} failed`);
          failures.push({ recipient: name, error: classified });
        }
      }
      return settle('webhook', delivered, failures);
    },
  };
}

/** The shared destination checks name the http action's setting; point at this channel's instead. */
function renameAllowList(error: unknown): unknown {
  if (!(error instanceof FirebreakError)) return error;
  const message = error.message.replace('actions.http.allowLinkLocal', 'channels.webhook.allowLinkLocal');
  return new FirebreakError(error.code, message.replace('actions.http.allow', 'channels.webhook.allow'), error.details);
}
