/**
 * The answers of the Firebreak API as the CLI reads them, checked at the boundary. Objects are loose so
 * that `--json` prints every field the server sent, including ones this version does not know.
 */
import { z } from 'zod';
import { SEVERITIES, STEP_KINDS } from '../../domain/plan.js';
import type { IncidentState } from '../../domain/state.js';

const Severity = z.enum(SEVERITIES);
const Instant = z.string();

/** `POST /incidents`: the incident started, or the open one a dedup key led to. */
export const TriggerResponse = z.looseObject({ incidentId: z.string(), created: z.boolean() });
export type TriggerResponse = z.infer<typeof TriggerResponse>;

/** One row of `GET /incidents`. */
export const IncidentSummary = z.looseObject({
  incidentId: z.string(),
  runbook: z.string(),
  severity: z.string(),
  status: z.string(),
  startedAt: Instant,
  closedAt: Instant.nullish(),
});
export type IncidentSummary = z.infer<typeof IncidentSummary>;

/** `GET /incidents`. */
export const IncidentList = z.looseObject({ incidents: z.array(IncidentSummary) });
export type IncidentList = z.infer<typeof IncidentList>;

/** `POST` of a command (cancel, task, fact, decision, vote). */
export const CommandResponse = z.looseObject({ ok: z.literal(true), message: z.string() });
export type CommandResponse = z.infer<typeof CommandResponse>;

/** One runbook of `GET /runbooks`. */
export const RunbookSummary = z.looseObject({
  id: z.string(),
  title: z.string(),
  version: z.number(),
  severity: z.string(),
  params: z.record(
    z.string(),
    z.looseObject({
      type: z.string(),
      required: z.boolean(),
      default: z.json().optional(),
      enum: z.array(z.string()).optional(),
    }),
  ),
});

/** `GET /runbooks`. */
export const RunbookList = z.looseObject({ runbooks: z.array(RunbookSummary) });
export type RunbookList = z.infer<typeof RunbookList>;

const StepError = z.looseObject({ code: z.string(), message: z.string() });

const StepState = z.looseObject({
  id: z.string(),
  title: z.string(),
  kind: z.enum(STEP_KINDS),
  status: z.enum(['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'timed_out', 'cancelled']),
  parent: z.string().optional(),
  startedAt: Instant.optional(),
  endedAt: Instant.optional(),
  output: z.json().optional(),
  error: StepError.optional(),
  prompt: z.string().optional(),
  actors: z.array(z.string()).optional(),
  dueAt: Instant.optional(),
  overdueAt: Instant.optional(),
  completedBy: z.string().optional(),
});

const FactRecord = z.looseObject({
  name: z.string(),
  value: z.json(),
  status: z.enum(['confirmed', 'suspected']),
  setBy: z.string(),
  setAt: Instant,
  step: z.string().optional(),
});

const DecisionRecord = z.looseObject({
  name: z.string(),
  option: z.string().optional(),
  by: z.string(),
  at: Instant,
  step: z.string(),
});

const VoteRecord = z.looseObject({
  voter: z.string(),
  vote: z.enum(['approve', 'reject']),
  roles: z.array(z.string()),
  comment: z.string().optional(),
  at: Instant,
});

const ApprovalRecord = z.looseObject({
  step: z.string(),
  text: z.string(),
  textHash: z.string(),
  approvers: z.array(z.string()),
  quorum: z.number().optional(),
  status: z.enum(['pending', 'approved', 'rejected', 'timed_out', 'cancelled']),
  escalated: z.boolean(),
  votes: z.array(VoteRecord),
  requestedAt: Instant,
  decidedAt: Instant.optional(),
  timeoutAt: Instant.optional(),
});

const DeadlineRecord = z.looseObject({
  id: z.string(),
  title: z.string(),
  status: z.enum(['not_started', 'running', 'met', 'overdue', 'met_late', 'not_applicable']),
  startedAt: Instant.optional(),
  dueAt: Instant.optional(),
  metAt: Instant.optional(),
  overdueAt: Instant.optional(),
  remindersSent: z.array(z.string()),
});

const CompensationRecord = z.looseObject({
  id: z.string(),
  forStep: z.string(),
  status: z.enum(['succeeded', 'failed']),
  at: Instant,
  output: z.json().optional(),
  error: StepError.optional(),
});

const TimelineEvent = z.looseObject({
  seq: z.number(),
  at: Instant,
  type: z.string(),
  actor: z.string(),
  source: z.string().optional(),
  step: z.string().optional(),
  message: z.string(),
  data: z.json().optional(),
});

const PendingAction = z.looseObject({
  kind: z.enum(['task', 'decision', 'approval']),
  step: z.string(),
  title: z.string(),
  prompt: z.string(),
  actors: z.array(z.string()),
  dueAt: Instant.optional(),
  options: z.array(z.string()).optional(),
});

// `satisfies` ties this schema to the domain type: a field the domain adds or changes fails to compile here.
const IncidentStateSchema = z.looseObject({
  incidentId: z.string(),
  runbook: z.looseObject({ id: z.string(), title: z.string(), version: z.number(), contentHash: z.string() }),
  severity: Severity,
  status: z.enum(['running', 'completed', 'failed', 'aborted', 'cancelled']),
  startedAt: Instant,
  endedAt: Instant.optional(),
  triggeredBy: z.string(),
  params: z.record(z.string(), z.json()),
  steps: z.array(StepState),
  facts: z.record(z.string(), FactRecord),
  decisions: z.record(z.string(), DecisionRecord),
  approvals: z.record(z.string(), ApprovalRecord),
  deadlines: z.record(z.string(), DeadlineRecord),
  compensations: z.array(CompensationRecord),
  pending: z.array(PendingAction),
  timeline: z.array(TimelineEvent),
  alerts: z.number().optional(),
  error: StepError.optional(),
}) satisfies z.ZodType<IncidentState>;

/** `GET /incidents/{id}`: the whole incident, as the run's `state` query returns it. */
export const IncidentResponse = z.looseObject({ incident: IncidentStateSchema });
export type IncidentResponse = z.infer<typeof IncidentResponse>;
