/**
 * The message router: what the `sendMessage` activity calls. It turns one approved channel of a message
 * into an `OutboundMessage` and hands it to the adapter configured for that channel: `email`, `webhook`
 * (endpoints in JSON format), `chat` (the same webhook channel, endpoints in Slack format) or `statuspage`.
 * A channel or endpoint that is not configured is a permanent refusal (INVALID_INPUT), never a retry.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SendMessageInput, SendMessageResult } from '../domain/notify.js';
import type { NotifyChannel } from '../domain/plan.js';
import type { Channel, DeliveryReceipt, MessageRouter, OutboundMessage, RecipientDelivery } from './types.js';
import type { WebhookFormat } from './webhook-payload.js';

/** The adapters to route to; a channel left out is "not configured". */
export interface MessageRouterOptions {
  email?: Channel;
  webhook?: Channel;
  /** Every configured webhook endpoint and its format: `webhook` sends to `json` ones, `chat` to `slack` ones. */
  webhookEndpoints: Readonly<Record<string, { format: WebhookFormat }>>;
  statuspage?: Channel;
}

/** Which webhook format each endpoint-addressed notify channel requires. */
const ENDPOINT_FORMATS: Partial<Record<NotifyChannel, WebhookFormat>> = { webhook: 'json', chat: 'slack' };

/** Creates the router over the given adapters. */
export function createMessageRouter(options: MessageRouterOptions): MessageRouter {
  const adapters: Record<NotifyChannel, Channel | undefined> = {
    email: options.email,
    webhook: options.webhook,
    chat: options.webhook,
    statuspage: options.statuspage,
  };
  return {
    async send(input: SendMessageInput): Promise<SendMessageResult> {
      const format = ENDPOINT_FORMATS[input.channel];
      if (format !== undefined) checkEndpoints(input, format, options.webhookEndpoints);
      const adapter = adapters[input.channel];
      if (adapter === undefined) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `the ${input.channel} channel is not configured (see channels in firebreak.yaml)`,
        );
      }
      const receipt = await adapter.send(toOutboundMessage(input));
      return toResult(input.channel, receipt);
    },
  };
}

/** The adapter's view of one channel of an approved message. */
export function toOutboundMessage(input: SendMessageInput): OutboundMessage {
  return {
    incidentId: input.incidentId,
    stepId: input.stepId,
    idempotencyKey: input.idempotencyKey,
    from: { ...input.from },
    to: [...input.to],
    parts: { ...input.parts },
    fingerprint: input.fingerprint,
    ...(input.replyTo === undefined ? {} : { replyTo: input.replyTo }),
  };
}

/** Every endpoint must be configured and speak the channel's format; the refusal names the ones that fit. */
function checkEndpoints(
  input: SendMessageInput,
  format: WebhookFormat,
  endpoints: Readonly<Record<string, { format: WebhookFormat }>>,
): void {
  const fitting = Object.keys(endpoints)
    .filter((name) => endpoints[name]?.format === format)
    .sort();
  const known = `${format} endpoints: ${fitting.join(', ') || 'none'}`;
  for (const name of input.to) {
    const endpoint = Object.hasOwn(endpoints, name) ? endpoints[name] : undefined;
    if (endpoint === undefined) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `${input.channel} endpoint "${name}" is not configured under channels.webhook.endpoints (${known})`,
        { endpoint: name, known: fitting },
      );
    }
    if (endpoint.format !== format) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `${input.channel} sends to ${format} endpoints, but "${name}" has format ${endpoint.format} (${known})`,
        { endpoint: name, known: fitting },
      );
    }
  }
}

/** A plain result (optional fields left out, not undefined): it goes into the workflow history. */
function toResult(channel: NotifyChannel, receipt: DeliveryReceipt): SendMessageResult {
  return {
    channel,
    accepted: [...receipt.accepted],
    deliveries: receipt.deliveries.map(copyDelivery),
  };
}

function copyDelivery(delivery: RecipientDelivery): SendMessageResult['deliveries'][number] {
  return {
    recipient: delivery.recipient,
    messageId: delivery.messageId,
    ...(delivery.status === undefined ? {} : { status: delivery.status }),
    ...(delivery.response === undefined ? {} : { response: delivery.response }),
  };
}
