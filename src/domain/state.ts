/**
 * The incident state a run exposes through its `state` query, and the inputs of every command a run
 * accepts. One object in, one object out: fields can be added without breaking running histories.
 */
import type { JsonValue, NotifyChannel, Severity, StepKind } from './plan.js';
import type { GateKind } from './step-kinds.js';

/** Who acts. The API passes the authenticated identity; roles are looked up in the run's frozen roster. */
export interface Actor {
  id: string;
  email?: string;
  /** Where the action came from (`cli`, `api`, `webhook`), for the audit trail. Set by the API, never by a client. */
  source?: string;
}

/** The actor recorded for what the run does by itself. */
export const SYSTEM_ACTOR = 'system';

/** Every status an incident can be in: the one list behind `IncidentStatus`, the state schema and the API filter. */
export const INCIDENT_STATUSES = ['running', 'completed', 'failed', 'aborted', 'cancelled'] as const;

export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const STEP_STATUSES = [
  'pending',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
  'timed_out',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepError {
  code: string;
  message: string;
}

export interface StepState {
  id: string;
  title: string;
  kind: StepKind;
  status: StepStatus;
  /** The parallel step this one is a branch of. */
  parent?: string;
  startedAt?: string;
  endedAt?: string;
  output?: JsonValue;
  error?: StepError;
  /** For human steps: what is being asked, with expressions interpolated. */
  prompt?: string;
  /** For human steps: the roles that may act, escalation included. */
  actors?: string[];
  dueAt?: string;
  overdueAt?: string;
  completedBy?: string;
}

export const FACT_STATUSES = ['confirmed', 'suspected'] as const;
export type FactStatus = (typeof FACT_STATUSES)[number];

export interface FactRecord {
  name: string;
  value: JsonValue;
  status: FactStatus;
  setBy: string;
  setAt: string;
  /** The task step that set it, when a task did. */
  step?: string;
}

export interface DecisionRecord {
  name: string;
  option?: string;
  by: string;
  at: string;
  step: string;
}

export const VOTES = ['approve', 'reject'] as const;
export type Vote = (typeof VOTES)[number];

export interface VoteRecord {
  voter: string;
  vote: Vote;
  /** The role the vote was counted for. */
  roles: string[];
  comment?: string;
  at: string;
}

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'timed_out', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface ApprovalRecord {
  step: string;
  /** The exact text approved, expressions interpolated; votes bind to its hash. */
  text: string;
  textHash: string;
  approvers: string[];
  quorum?: number;
  /** Different people whose approval is needed (`distinct` of the step); absent when the step sets none. */
  distinct?: number;
  /** With `distinct`: the roster ids of the people whose approvals count toward it, in order (never the requester). */
  distinctApprovers?: string[];
  status: ApprovalStatus;
  escalated: boolean;
  votes: VoteRecord[];
  requestedAt: string;
  decidedAt?: string;
  timeoutAt?: string;
}

/** Where a `notify` step's message is. */
export const MESSAGE_STATUSES = [
  'waiting_for_facts',
  'pending_approval',
  'approved',
  'sending',
  'sent',
  'failed',
  'rejected',
  'timed_out',
  'cancelled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Who a message is sent as: a person on the roster (or an address), with the name and mailbox known for them. */
export interface SenderIdentity {
  id: string;
  name?: string;
  email?: string;
}

/** One channel of a rendered message: the exact parts, their fingerprint and who receives them. */
export interface RenderedChannel {
  channel: NotifyChannel;
  parts: Record<string, string>;
  /** `sha256:<hex>` of this channel's parts. */
  fingerprint: string;
  /** E-mail addresses, or webhook endpoint names; empty for the status page. */
  recipients: string[];
}

/** Votes that stopped counting because the message changed after they were cast. */
export interface VoidedVotes {
  fingerprint: string;
  votes: VoteRecord[];
  reason: string;
  at: string;
}

/** What one channel's delivery reported. */
export interface ChannelDelivery {
  channel: NotifyChannel;
  accepted: string[];
  /** The stable ids receivers saw (Message-ID, X-Firebreak-Delivery), one per recipient. */
  messageIds: string[];
  at: string;
}

/** One message that went out (a repeating step sends several). */
export interface SentMessage {
  sequence: number;
  fingerprint: string;
  sentAt: string;
  approvedBy: string[];
  deliveries: ChannelDelivery[];
}

/**
 * The message of a `notify` step: what was rendered, the fingerprint approvers vote on, their votes, the
 * votes voided when a fact changed, and what was delivered. The parts shown are exactly what is sent.
 */
export interface MessageRecord {
  step: string;
  message: string;
  /** 1 for the first message, 2, 3, ... for each repeat. */
  sequence: number;
  status: MessageStatus;
  from: SenderIdentity;
  channels: RenderedChannel[];
  /** `sha256:<hex>` over every channel's fingerprint: what a vote names. Absent until rendered. */
  fingerprint?: string;
  /** Facts the message depends on (its `requires` and every fact its templates use). */
  facts: string[];
  /** Facts that must still be confirmed (or set) before the message can be rendered. */
  waitingFor?: string[];
  /** Why the message cannot be rendered yet (e.g. a fact it uses is not set). */
  problem?: string;
  /** `role:<name>` of each approver role; empty when the message needs no approval. */
  approvers: string[];
  quorum?: number;
  /** Different people whose approval is needed (`distinct` of the step); absent when the step sets none. */
  distinct?: number;
  /** With `distinct`: the roster ids of the people whose approvals of this version count toward it. */
  distinctApprovers?: string[];
  fourEyes: boolean;
  votes: VoteRecord[];
  voided: VoidedVotes[];
  renderedAt?: string;
  approvedAt?: string;
  sentAt?: string;
  /** Every message this step has sent, oldest first. */
  sent: SentMessage[];
  /** When a repeating step sends its next update. */
  nextAt?: string;
  error?: StepError;
}

export const DEADLINE_STATUSES = ['not_started', 'running', 'met', 'overdue', 'met_late', 'not_applicable'] as const;
export type DeadlineStatus = (typeof DEADLINE_STATUSES)[number];

export interface DeadlineRecord {
  id: string;
  title: string;
  status: DeadlineStatus;
  startedAt?: string;
  dueAt?: string;
  metAt?: string;
  overdueAt?: string;
  remindersSent: string[];
}

export const COMPENSATION_STATUSES = ['succeeded', 'failed'] as const;

export interface CompensationRecord {
  id: string;
  forStep: string;
  status: (typeof COMPENSATION_STATUSES)[number];
  at: string;
  output?: JsonValue;
  error?: StepError;
}

/**
 * A post-mortem the incident needs, as its `postmortem` step recorded it: who runs it (roster ids of the
 * roles' members on the run's frozen roster, and the roles themselves), when its review is due, and the
 * step that marks containment. Read when the incident closes, to draft the post-mortem.
 */
export interface PostmortemRequirement {
  /** The `postmortem` step that recorded it. */
  step: string;
  requiredAt: string;
  facilitators: string[];
  reviewers: string[];
  audience: string[];
  /** The role names the lists above come from. */
  roles: { facilitator: string; reviewers: string[]; audience: string[] };
  /** How long after the incident closes the review is due; absent: no due date. */
  dueMs?: number;
  /** The step whose end marks containment. */
  containedBy?: string;
  tags: string[];
}

/** One entry in the incident timeline. `actor` is a user id or `system`. */
export interface TimelineEvent {
  seq: number;
  at: string;
  type: string;
  actor: string;
  /** Where a person's action came from (`cli`, `api`, `webhook`). */
  source?: string;
  step?: string;
  message: string;
  data?: JsonValue;
}

/** A human action the run is waiting for. */
export interface PendingAction {
  kind: GateKind;
  step: string;
  title: string;
  prompt: string;
  actors: string[];
  dueAt?: string;
  options?: string[];
  /** For a message awaiting approval: the fingerprint a vote must name. */
  fingerprint?: string;
}

/** The whole incident, as the `state` query returns it. */
export interface IncidentState {
  incidentId: string;
  runbook: { id: string; title: string; version: number; contentHash: string };
  severity: Severity;
  status: IncidentStatus;
  startedAt: string;
  endedAt?: string;
  triggeredBy: string;
  /** Trigger parameters; secret params show their reference, never a resolved value. */
  params: Record<string, JsonValue>;
  steps: StepState[];
  facts: Record<string, FactRecord>;
  decisions: Record<string, DecisionRecord>;
  approvals: Record<string, ApprovalRecord>;
  deadlines: Record<string, DeadlineRecord>;
  compensations: CompensationRecord[];
  pending: PendingAction[];
  timeline: TimelineEvent[];
  /** How many alert deliveries were recorded on this incident. */
  alerts?: number;
  /** Messages of `notify` steps, by step id (the latest of a repeating step). */
  messages?: Record<string, MessageRecord>;
  /** The post-mortem the incident needs, once its `postmortem` step ran (absent: no such step ran). */
  postmortem?: PostmortemRequirement;
  error?: StepError;
}

/** Input of a fact value as given by a person: `confirmed` defaults to true. */
export interface FactInput {
  value: JsonValue;
  confirmed?: boolean;
}

export interface CompleteTask {
  actor: Actor;
  step: string;
  facts?: Record<string, FactInput>;
  note?: string;
}

export interface SetFact {
  actor: Actor;
  name: string;
  value: JsonValue;
  confirmed?: boolean;
}

export interface RecordDecision {
  actor: Actor;
  decision: string;
  option?: string;
}

export interface CastVote {
  actor: Actor;
  step: string;
  vote: Vote;
  comment?: string;
  /**
   * When given, the vote is refused unless it matches the text the approval shows now. For a message
   * (`notify` step) an approving vote must give it: the fingerprint of the exact message it approves.
   */
  textHash?: string;
}

/** One alert from a monitoring system, recorded on the incident it opened or belongs to. */
export interface RecordAlert {
  actor: Actor;
  /** Which receiver took it: `alertmanager` or `generic`. */
  receiver: string;
  status: 'firing' | 'resolved';
  fingerprint: string;
  summary: string;
  labels: Record<string, string>;
  /** How many labels the timeline dropped to stay within its limits (absent: none). */
  labelsDropped?: number;
  startsAt?: string;
  endsAt?: string;
}

export interface CancelIncident {
  actor: Actor;
  reason: string;
}

/** What every command returns: the step or record it changed, so callers can show it. */
export interface CommandResult {
  ok: true;
  message: string;
}
