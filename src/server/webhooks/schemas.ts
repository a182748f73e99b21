/** The webhook receivers' answer, as the OpenAPI document describes it. */
import { z } from 'zod';

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
