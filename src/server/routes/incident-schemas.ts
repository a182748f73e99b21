/**
 * The incident as the API returns it, for validation of answers and the OpenAPI document. Objects are
 * loose: every field the run's `state` query gives is passed on, including ones added later.
 */
import { z } from 'zod';
import { RUN_KINDS } from '../../domain/plan.js';

/** The statuses an incident records (the `FirebreakStatus` search attribute). */
export { INCIDENT_STATUSES } from '../../domain/state.js';
export { IncidentStateSchema } from '../../incidents/state-schema.js';

const Instant = z.string().describe('ISO 8601 instant');

/** One incident in a list. */
export const IncidentSummarySchema = z.object({
  incidentId: z.string(),
  runbook: z.string(),
  severity: z.string(),
  kind: z
    .enum(RUN_KINDS)
    .describe('incident, or a scheduled job (a backup, a drill); runs from before kinds are incidents'),
  status: z.string().describe('the recorded status, or how the run ended when it was stopped from outside'),
  startedAt: Instant,
  closedAt: Instant.optional(),
});
