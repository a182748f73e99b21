/**
 * The zod schema of the incident state the `state` query returns: the API describes its answer with it
 * (and the OpenAPI document is generated from it), and the CLI checks the answers it reads against it.
 */
import { z } from 'zod';
import { JsonValue } from '../runbook/schema.js';
import { NOTIFY_CHANNELS, SEVERITIES, STEP_KINDS } from '../domain/plan.js';
import {
  APPROVAL_STATUSES,
  COMPENSATION_STATUSES,
  DEADLINE_STATUSES,
  FACT_STATUSES,
  INCIDENT_STATUSES,
  MESSAGE_STATUSES,
  STEP_STATUSES,
  VOTES,
  type IncidentState,
  type IncidentStatus,
  type MessageRecord,
} from '../domain/state.js';
import { GATE_KINDS } from '../domain/step-kinds.js';
import type { PendingMessages } from './messages.js';

const Severity = z.enum(SEVERITIES);
const Instant = z.string().describe('ISO 8601 instant');

const IncidentStatusSchema = z.enum(INCIDENT_STATUSES);
// The schema and the domain type must name the same statuses, both ways (`satisfies` below only checks one way).
type SameStatuses = [z.infer<typeof IncidentStatusSchema>] extends [IncidentStatus]
  ? [IncidentStatus] extends [z.infer<typeof IncidentStatusSchema>]
    ? true
    : false
  : false;
const statusesAgree: SameStatuses = true;
void statusesAgree;

const StepError = z.looseObject({ code: z.string(), message: z.string() });

const StepState = z.looseObject({
  id: z.string(),
  title: z.string(),
  kind: z.enum(STEP_KINDS),
  status: z.enum(STEP_STATUSES),
  parent: z.string().optional(),
  startedAt: Instant.optional(),
  endedAt: Instant.optional(),
  output: JsonValue.optional(),
  error: StepError.optional(),
  prompt: z.string().optional(),
  actors: z.array(z.string()).optional(),
  dueAt: Instant.optional(),
  overdueAt: Instant.optional(),
  completedBy: z.string().optional(),
});

const FactRecord = z.looseObject({
  name: z.string(),
  value: JsonValue,
  status: z.enum(FACT_STATUSES),
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
  vote: z.enum(VOTES),
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
  distinct: z.number().optional(),
  distinctApprovers: z.array(z.string()).optional(),
  status: z.enum(APPROVAL_STATUSES),
  escalated: z.boolean(),
  votes: z.array(VoteRecord),
  requestedAt: Instant,
  decidedAt: Instant.optional(),
  timeoutAt: Instant.optional(),
});

const Channel = z.enum(NOTIFY_CHANNELS);
const Fingerprint = z.string().describe('sha256:<hex>');

const SenderIdentity = z.looseObject({ id: z.string(), name: z.string().optional(), email: z.string().optional() });

const RenderedChannel = z.looseObject({
  channel: Channel,
  parts: z.record(z.string(), z.string()).describe('part (subject, text, html, json, md) -> the exact text sent'),
  fingerprint: Fingerprint,
  recipients: z.array(z.string()),
});

const VoidedVotes = z.looseObject({
  fingerprint: Fingerprint,
  votes: z.array(VoteRecord),
  reason: z.string(),
  at: Instant,
});

const ChannelDelivery = z.looseObject({
  channel: Channel,
  accepted: z.array(z.string()),
  messageIds: z.array(z.string()),
  at: Instant,
});

const SentMessage = z.looseObject({
  sequence: z.number(),
  fingerprint: Fingerprint,
  sentAt: Instant,
  approvedBy: z.array(z.string()),
  deliveries: z.array(ChannelDelivery),
});

const MessageRecordShape = z.looseObject({
  step: z.string(),
  message: z.string(),
  sequence: z.number(),
  status: z.enum(MESSAGE_STATUSES),
  from: SenderIdentity,
  channels: z.array(RenderedChannel),
  fingerprint: Fingerprint.optional().describe('what an approving vote names; absent until rendered'),
  facts: z.array(z.string()),
  waitingFor: z.array(z.string()).optional(),
  problem: z.string().optional(),
  approvers: z.array(z.string()),
  quorum: z.number().optional(),
  distinct: z.number().optional(),
  distinctApprovers: z.array(z.string()).optional(),
  fourEyes: z.boolean(),
  votes: z.array(VoteRecord),
  voided: z.array(VoidedVotes),
  renderedAt: Instant.optional(),
  approvedAt: Instant.optional(),
  sentAt: Instant.optional(),
  sent: z.array(SentMessage),
  nextAt: Instant.optional(),
  error: StepError.optional(),
}) satisfies z.ZodType<MessageRecord>;

/** The message of a `notify` step, typed as the domain's `MessageRecord`. */
export const MessageRecordSchema: z.ZodType<MessageRecord> = MessageRecordShape;

const PendingMessage = z.looseObject({
  incidentId: z.string(),
  title: z.string(),
  severity: z.string(),
  step: z.string(),
  message: z.string(),
  sequence: z.number(),
  channels: z.array(z.string()),
  fingerprint: Fingerprint.describe('what an approving vote names'),
  approvers: z.array(z.string()),
  quorum: z.number().optional(),
  distinct: z.number().optional(),
  distinctApprovers: z.array(z.string()).optional(),
  votes: z.array(VoteRecord),
  renderedAt: Instant.optional(),
  dueAt: Instant.optional().describe('when the approval times out'),
});

const PendingMessagesShape = z.looseObject({
  messages: z.array(PendingMessage),
  truncated: z.boolean().describe('more running incidents exist than were read'),
  unreadable: z.array(z.string()).describe('running incidents whose state could not be read'),
}) satisfies z.ZodType<PendingMessages>;

/** Messages awaiting approval across running incidents (`GET /messages/pending`). */
export const PendingMessagesSchema: z.ZodType<PendingMessages> = PendingMessagesShape;

const DeadlineRecord = z.looseObject({
  id: z.string(),
  title: z.string(),
  status: z.enum(DEADLINE_STATUSES),
  startedAt: Instant.optional(),
  dueAt: Instant.optional(),
  metAt: Instant.optional(),
  overdueAt: Instant.optional(),
  remindersSent: z.array(z.string()),
});

const CompensationRecord = z.looseObject({
  id: z.string(),
  forStep: z.string(),
  status: z.enum(COMPENSATION_STATUSES),
  at: Instant,
  output: JsonValue.optional(),
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
  data: JsonValue.optional(),
});

const PostmortemRequirement = z
  .looseObject({
    step: z.string(),
    requiredAt: Instant,
    facilitators: z.array(z.string()),
    reviewers: z.array(z.string()),
    audience: z.array(z.string()),
    roles: z.looseObject({
      facilitator: z.string(),
      reviewers: z.array(z.string()),
      audience: z.array(z.string()),
    }),
    dueMs: z.number().optional(),
    containedBy: z.string().optional(),
    tags: z.array(z.string()),
  })
  .describe('The post-mortem the incident needs, recorded by its `postmortem` step');

const PendingAction = z.looseObject({
  kind: z.enum(GATE_KINDS),
  step: z.string(),
  title: z.string(),
  prompt: z.string(),
  actors: z.array(z.string()),
  dueAt: Instant.optional(),
  options: z.array(z.string()).optional(),
  fingerprint: Fingerprint.optional(),
});

/** The whole incident. */
// `satisfies` ties this schema to the domain type: a field the domain adds or changes fails to compile here.
const IncidentStateShape = z.looseObject({
  incidentId: z.string(),
  runbook: z.looseObject({ id: z.string(), title: z.string(), version: z.number(), contentHash: z.string() }),
  severity: Severity,
  status: IncidentStatusSchema,
  startedAt: Instant,
  endedAt: Instant.optional(),
  triggeredBy: z.string(),
  params: z.record(z.string(), JsonValue),
  steps: z.array(StepState),
  facts: z.record(z.string(), FactRecord),
  decisions: z.record(z.string(), DecisionRecord),
  approvals: z.record(z.string(), ApprovalRecord),
  deadlines: z.record(z.string(), DeadlineRecord),
  compensations: z.array(CompensationRecord),
  pending: z.array(PendingAction),
  timeline: z.array(TimelineEvent),
  alerts: z.number().optional(),
  messages: z.record(z.string(), MessageRecordShape).optional(),
  postmortem: PostmortemRequirement.optional(),
  error: StepError.optional(),
}) satisfies z.ZodType<IncidentState>;

/** The whole incident, typed as the domain's `IncidentState`. */
export const IncidentStateSchema: z.ZodType<IncidentState> = IncidentStateShape;
