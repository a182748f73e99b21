/**
 * `http.request`: one HTTP call to an allow-listed destination, with SSRF protection (see
 * ./http/destination.ts), secrets resolved at the moment of use and redacted from everything returned.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { JsonObject, JsonValue } from '../domain/plan.js';
import { mapJsonStrings } from '../secrets/redaction.js';
import { compileAllowList } from './http/allow-list.js';
import { parseRequestUrl, systemLookup, vetDestination, type HostLookup } from './http/destination.js';
import { send, type ReceivedResponse } from './http/transport.js';
import { DurationText, stringMap } from './schemas.js';
import type { ActionContext, ActionDefinition, ActionSpec } from './types.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers the transport sets itself; `host` in particular would let a request reach another virtual host.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

/** Input of `http.request`. */
export const HttpRequestInput = z
  .strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
    url: z.string().min(1).describe('http(s) URL; must match an entry of actions.http.allow'),
    headers: stringMap({
      pattern: HEADER_NAME,
      patternMessage: 'must be an HTTP header name',
      reserved: (name) => RESERVED_HEADERS.has(name.toLowerCase()),
      reservedMessage: 'is set by Firebreak and cannot be given',
    }).optional(),
    json: z.json().optional().describe('request body, sent as application/json'),
    timeout: DurationText.optional().describe('e.g. 30s; default from actions.http.defaultTimeout'),
    expectStatus: z
      .array(z.int().min(100).max(599))
      .min(1)
      .optional()
      .describe('statuses that count as success (default: any 2xx)'),
    idempotencyKey: z
      .boolean()
      .optional()
      .describe(
        'send an Idempotency-Key header, the same on every attempt of the step (default true): a retried call can be recognised',
      ),
  })
  .refine((input) => input.json === undefined || (input.method !== 'GET' && input.method !== 'HEAD'), {
    message: 'a GET or HEAD request cannot have a json body',
    path: ['json'],
  });
export type HttpRequestInput = z.infer<typeof HttpRequestInput>;

/** Configuration of `http.request` (`actions.http` in the config file). */
export interface HttpRequestOptions {
  /** Allowed destinations: `https://host`, `https://*.example.com`, `http://127.0.0.1:*`, `https://host/path/`. */
  allow: readonly string[];
  /** Allow link-local and cloud metadata addresses (off unless a runbook truly needs them). */
  allowLinkLocal: boolean;
  maxResponseBytes: number;
  defaultTimeoutMs: number;
  /** Host name resolution; defaults to the system resolver. Tests inject names here. */
  lookup?: HostLookup;
}

/** Name, description and schema of `http.request`. */
export const httpRequestSpec: ActionSpec<typeof HttpRequestInput> = {
  name: 'http.request',
  description: 'Call an allow-listed HTTP endpoint; fails on a status other than 2xx or expectStatus.',
  input: HttpRequestInput,
  secretInputs: [['url'], ['headers', '*'], ['json', '**']],
};

// Response headers worth keeping in the step output; the rest may carry cookies or tokens.
const KEPT_HEADERS = ['content-type', 'location', 'retry-after', 'x-request-id', 'request-id', 'x-correlation-id'];
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const BODY_IN_MESSAGE = 200;

/** Creates the `http.request` action; the allow-list is parsed here so a bad entry fails at startup. */
export function httpRequestAction(options: HttpRequestOptions): ActionDefinition<typeof HttpRequestInput> {
  const allow = compileAllowList(options.allow);
  const lookup = options.lookup ?? systemLookup;
  return {
    ...httpRequestSpec,
    async execute(input, ctx) {
      const url = parseRequestUrl(input.url);
      // Messages name the request without its query string, where tokens tend to live.
      const label = ctx.redact(`${input.method} ${url.origin}${url.pathname}`);
      const destination = await vetDestination(url, { allow, allowLinkLocal: options.allowLinkLocal, lookup });
      const started = Date.now();
      const response = await send({
        destination,
        method: input.method,
        headers: requestHeaders(input, ctx),
        body: input.json === undefined ? undefined : Buffer.from(JSON.stringify(input.json)),
        timeoutMs: (input.timeout === undefined ? undefined : parseDuration(input.timeout)) ?? options.defaultTimeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        signal: ctx.signal,
        label,
      });
      const output = describeResponse(response, ctx);
      ctx.logger.info(
        { host: url.host, method: input.method, status: response.status, durationMs: Date.now() - started },
        'http.request answered',
      );
      checkStatus(input, label, output);
      return { output: toJson(output), note: `${label} answered ${response.status}` };
    },
  };
}

/**
 * The step's idempotency key: the same for every attempt of one step of one incident (a worker killed
 * mid-call sends the call again, about 30 s later), different for any other step or incident. A digest, so
 * the ids are not sent as they are.
 */
export function idempotencyKey(incidentId: string, stepId: string): string {
  return `firebreak-${createHash('sha256').update(JSON.stringify([incidentId, stepId])).digest('hex').slice(0, 40)}`;
}

function requestHeaders(input: HttpRequestInput, ctx: Pick<ActionContext, 'incidentId' | 'stepId'>): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'firebreak' };
  if (input.json !== undefined) headers['content-type'] = 'application/json';
  // The step's own header, when it gives one, replaces this one below.
  if (input.idempotencyKey !== false) headers['idempotency-key'] = idempotencyKey(ctx.incidentId, ctx.stepId);
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    // Checked here so node:http's own error, which quotes the value, never carries a secret out.
    if (/[\r\n\0]/.test(value)) {
      throw new FirebreakError(ErrorCode.InvalidInput, `header ${name} has a line break or NUL in its value`);
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** The output of `http.request`. */
export interface HttpRequestOutput {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  json?: JsonValue;
}

function describeResponse(response: ReceivedResponse, ctx: ActionContext): HttpRequestOutput {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = response.headers[name];
    if (typeof value === 'string') headers[name] = ctx.redact(value);
  }
  const text = response.body.toString('utf8');
  const output: HttpRequestOutput = {
    status: response.status,
    headers,
    body: ctx.redact(text),
    truncated: response.truncated,
  };
  if (!response.truncated && JSON_TYPE.test(headers['content-type'] ?? '')) {
    try {
      // Parse the raw text, then redact the values: a secret with quotes in it is escaped in the text.
      output.json = mapJsonStrings(JSON.parse(text) as JsonValue, (s) => ctx.redact(s));
    } catch {
      // A body that claims to be JSON and is not is still returned as text.
    }
  }
  return output;
}

function toJson(output: HttpRequestOutput): JsonObject {
  const { json, ...rest } = output;
  return json === undefined ? rest : { ...rest, json };
}

/** Whether a status is worth retrying: the server failed, timed out or asked us to slow down. */
function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function checkStatus(input: HttpRequestInput, label: string, output: HttpRequestOutput): void {
  const { status } = output;
  const expected = input.expectStatus ? input.expectStatus.includes(status) : status >= 200 && status < 300;
  if (expected) return;
  const location = output.headers.location;
  const redirect = status >= 300 && status < 400 && location ? ` (redirect to ${location}, not followed)` : '';
  const message = `${label} answered ${status}${redirect}: ${output.body.slice(0, BODY_IN_MESSAGE)}`;
  const code = retryableStatus(status) ? ErrorCode.HttpStatus : ErrorCode.HttpRejected;
  throw new FirebreakError(code, message, output);
}
