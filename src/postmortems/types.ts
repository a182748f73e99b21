/**
 * The contract between the parts of post-mortems: what a draft is (made from an incident by
 * `draft.ts`), what the store keeps (`store/`), and the sections people write.
 *
 * A post-mortem has two halves:
 * - **facts**, drafted once from the incident's state and timeline and never edited by hand (header,
 *   impact, messages, timeline, key durations). Kept as one JSON document (`PostmortemFacts`).
 * - **sections**, written by people, each with its own revision history and optimistic concurrency.
 */
import type { JsonValue, Severity } from '../domain/plan.js';
import type { IncidentStatus } from '../domain/state.js';

/** The sections people write, in the order they are shown. Each draft starts them empty, with a prompt. */
export const SECTION_IDS = [
  'summary',
  'what-happened',
  'contributing-factors',
  'went-well',
  'went-poorly',
  'lucky',
  'lessons',
] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** Where a post-mortem is: drafted, under review, published (a published one can be reopened to draft). */
export const POSTMORTEM_STATUSES = ['draft', 'in-review', 'published'] as const;
export type PostmortemStatus = (typeof POSTMORTEM_STATUSES)[number];

/** How an incident ended, as a post-mortem reports it: every closed status. */
export type IncidentOutcome = Exclude<IncidentStatus, 'running'>;

/** One thing that mattered, in the order it happened. `actor` is a roster id or `system`. */
export interface PostmortemEvent {
  /** ISO 8601 instant (UTC); renderers show it in `PostmortemFacts.timeZone`. */
  at: string;
  /** The timeline event type it comes from (`decision.recorded`, `deadline.overdue`, ...). */
  type: string;
  actor: string;
  step?: string;
  text: string;
}

/** A fact as the incident last knew it: a suspected value stays marked suspected. */
export interface PostmortemFact {
  name: string;
  value: JsonValue;
  status: 'confirmed' | 'suspected';
  setBy: string;
  setAt: string;
}

/** A message the incident sent, one per channel. */
export interface PostmortemMessage {
  step: string;
  message: string;
  channel: string;
  recipients: string[];
  sentAt: string;
  approvedBy: string[];
  /** SHA-256 over the exact text approved. */
  fingerprint: string;
}

/** A deadline (regulatory clock) and how it went: met with a margin, or overdue by how much. */
export interface PostmortemDeadline {
  id: string;
  title: string;
  status: string;
  startedAt?: string;
  dueAt?: string;
  metAt?: string;
  /** Positive: met this long before it was due. Negative: overdue by this long. Absent: never started. */
  marginMs?: number;
}

/** Everything the draft knows from the incident. Immutable once drafted. */
export interface PostmortemFacts {
  incident: {
    id: string;
    title: string;
    runbook: { id: string; title: string; version: number; contentHash: string };
    severity: Severity;
    /** Trigger params; a secret param shows its declared name, never a value. */
    params: Record<string, JsonValue>;
    triggeredBy: string;
    startedAt: string;
    endedAt: string;
    durationMs: number;
    outcome: IncidentOutcome;
    /** Why it ended that way, when it failed or was aborted or cancelled. */
    error?: { code: string; message: string };
  };
  impact: PostmortemFact[];
  messages: PostmortemMessage[];
  timeline: PostmortemEvent[];
  durations: {
    /** From the start to the first thing a person did. */
    toFirstHumanActionMs?: number;
    /** From the start to the end of the step the runbook marks with `containedBy`. */
    toContainmentMs?: number;
    toResolutionMs: number;
    deadlines: PostmortemDeadline[];
  };
  compensations: { id: string; forStep: string; status: 'succeeded' | 'failed'; at: string; error?: string }[];
  /** IANA time zone the renderers show times in (config `postmortems.timeZone`, default UTC). */
  timeZone: string;
}

/** Who runs the post-mortem, from the runbook's `postmortem` step (or defaults when the severity requires one). */
export interface PostmortemPeople {
  /** Roster ids. */
  facilitators: string[];
  reviewers: string[];
  /** Who the published summary goes to (roster ids or addresses). */
  audience: string[];
}

/** What drafting hands the store: one per incident (the store refuses a second, idempotently). */
export interface NewPostmortem {
  incidentId: string;
  title: string;
  runbookId: string;
  severity: Severity;
  startedAt: string;
  endedAt: string;
  outcome: IncidentOutcome;
  facts: PostmortemFacts;
  people: PostmortemPeople;
  /** ISO 8601 instant the review is due, from the step's `due`. */
  reviewDueAt?: string;
  tags: string[];
  createdBy: string;
  createdAt: string;
}
