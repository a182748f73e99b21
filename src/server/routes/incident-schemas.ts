/**
 * The incident as the API returns it, for validation of answers and the OpenAPI document. Objects are
 * loose: every field the run's `state` query gives is passed on, including ones added later.
 */
import { z } from 'zod';
import { SEVERITIES, STEP_KINDS } from '../../domain/plan.js';
import type { IncidentState } from '../../domain/state.js';
import { schemaOf } from './shared.js';

/** The statuses an incident records (the `FirebreakStatus` search attribute). */
export const INCIDENT_STATUSES = ['running', 'completed', 'failed', 'aborted', 'cancelled'] as const;

const Instant = z.string().describe('ISO 8601 instant');
const StepError = z.looseObject({ code: z.string(), message: z.string() });

const StepState = z.looseObject({
  id: z.string(),
  title: z.string(),
  kind: z.enum(STEP_KINDS),
  status: z.string(),
  parent: z.string().optional(),
  startedAt: Instant.optional(),
  endedAt: Instant.optional(),
  output: z.json().optional(),
  error: StepError.optional(),
  prompt: z.string().optional(),
  actors: z.array(z.string()).optional(),
  dueAt: Instant.optional(),
  completedBy: z.string().optional(),
});

const FactRecord = z.looseObject({
  name: z.string(),
  value: z.json(),
  status: z.enum(['confirmed', 'suspected']),
  setBy: z.string(),
  setAt: Instant,
});

const DecisionRecord = z.looseObject({ name: z.string(), option: z.string().optional(), by: z.string(), at: Instant });

const ApprovalRecord = z.looseObject({
  step: z.string(),
  text: z.string(),
  textHash: z.string(),
  approvers: z.array(z.string()),
  status: z.string(),
  votes: z.array(
    z.looseObject({ voter: z.string(), vote: z.enum(['approve', 'reject']), roles: z.array(z.string()), at: Instant }),
  ),
});

const TimelineEvent = z.looseObject({
  seq: z.int(),
  at: Instant,
  type: z.string(),
  actor: z.string(),
  source: z.string().optional(),
  step: z.string().optional(),
  message: z.string(),
});

/** The whole incident, as the run's `state` query returns it. */
export const IncidentStateSchema = schemaOf<IncidentState>(
  z.looseObject({
    incidentId: z.string(),
    runbook: z.looseObject({ id: z.string(), title: z.string(), version: z.int(), contentHash: z.string() }),
    severity: z.enum(SEVERITIES),
    status: z.string(),
    startedAt: Instant,
    endedAt: Instant.optional(),
    triggeredBy: z.string(),
    params: z.record(z.string(), z.json()),
    steps: z.array(StepState),
    facts: z.record(z.string(), FactRecord),
    decisions: z.record(z.string(), DecisionRecord),
    approvals: z.record(z.string(), ApprovalRecord),
    deadlines: z.record(z.string(), z.looseObject({ id: z.string(), status: z.string() })),
    compensations: z.array(z.looseObject({ id: z.string(), status: z.string() })),
    pending: z.array(
      z.looseObject({ kind: z.string(), step: z.string(), title: z.string(), actors: z.array(z.string()) }),
    ),
    timeline: z.array(TimelineEvent),
    error: StepError.optional(),
  }),
);

/** One incident in a list. */
export const IncidentSummarySchema = z.object({
  incidentId: z.string(),
  runbook: z.string(),
  severity: z.string(),
  status: z.string().describe('the recorded status, or how the run ended when it was stopped from outside'),
  startedAt: Instant,
  closedAt: Instant.optional(),
});
