/** The webhook receivers' answer, and what the OpenAPI document says of their requests and answers. */
import { z } from 'zod';
import {
  DELIVERY_ID_PATTERN,
  SIGNATURE_HEADERS,
  SIGNATURE_TOLERANCE_SECONDS,
  TIMESTAMP_PATTERN,
} from '../../alerts/signature.js';

/** One delivery: where it went (the incident, whether this delivery opened it) and whether it is recorded. */
export const DeliveryReportSchema = z.object({
  deliveryId: z.string(),
  fingerprint: z.string().nullable(),
  matched: z.boolean().describe('a route took the alert'),
  incidentId: z.string().nullable(),
  created: z.boolean().describe('this delivery opened the incident'),
  recorded: z.boolean().describe("durably on the incident's timeline"),
  refused: z
    .object({ status: z.int(), code: z.string(), message: z.string() })
    .optional()
    .describe('why this alert was not taken (a 4xx refusal); the other alerts of the request were'),
});

/** The answer: 200 when an alert was recorded on an incident, 202 when none was (no route, or resolved with none open). */
export const WebhookAnswerSchema = z.object({
  matched: z.boolean(),
  deliveries: z.array(DeliveryReportSchema),
});

/** The answers of both receivers (docs/webhooks.md, "Answers"), in the OpenAPI document. */
export const webhookAnswers = {
  200: WebhookAnswerSchema.describe('Every alert was taken, and at least one is recorded on an incident'),
  202: WebhookAnswerSchema.describe(
    'Every alert was taken, none recorded on an incident: no route matched, or resolved with none open',
  ),
};

/** The meanings of the error statuses both receivers share (docs/webhooks.md, "Answers"). */
export const WEBHOOK_ERRORS: Readonly<Record<number, string>> = {
  413: 'The body is over webhooks.maxBodyBytes',
  422: 'A route could not make a valid trigger of the alert (the message names the route and the problem)',
  429: 'Too many failed authentications with the same credential or from this address (see Retry-After)',
  503: 'Temporal could not take the delivery now; retry (redelivery is safe)',
};

/** The signed delivery's headers (src/alerts/signature.ts), for the OpenAPI document: the route checks them itself. */
export const SignatureHeadersDoc = z.object({
  [SIGNATURE_HEADERS.timestamp]: z
    .string()
    .regex(TIMESTAMP_PATTERN)
    .describe(`Unix time in seconds; refused when more than ${SIGNATURE_TOLERANCE_SECONDS} s from the server's clock`),
  [SIGNATURE_HEADERS.delivery]: z
    .string()
    .regex(DELIVERY_ID_PATTERN)
    .describe('A unique id per delivery (1 to 200 printable characters, no spaces); a retry reuses it'),
  [SIGNATURE_HEADERS.signature]: z
    .string()
    .describe(
      'v2=<hex>: HMAC-SHA256 of `v2`, the timestamp, the delivery id and the raw body bytes, joined by newlines; ' +
        'during a migration from v1, comma-separated entries (v2=<hex>,sha256=<hex>)',
    ),
});
