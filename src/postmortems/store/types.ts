/**
 * The post-mortem store's interface: what drafting, editing, reviewing, action items, search and the
 * digest read and write. One interface, two adapters (PostgreSQL and PGlite) over the same SQL.
 * Times are ISO 8601 instants (UTC) in and out. Mutations that race use compare-and-set and fail
 * with CONFLICT (`src/domain/errors.ts`), naming what is current, without writing anything.
 */
import type { JsonValue, Severity } from '../../domain/plan.js';
import type {
  IncidentOutcome,
  NewPostmortem,
  PostmortemFacts,
  PostmortemPeople,
  PostmortemStatus,
  SectionId,
} from '../types.js';

/** A section as it is now. Revision 0 is the empty section every draft starts with. */
export interface SectionState {
  text: string;
  revision: number;
  author?: string;
  at?: string;
}

/** A stored post-mortem. */
export interface Postmortem {
  id: string;
  incidentId: string;
  title: string;
  runbookId: string;
  severity: Severity;
  status: PostmortemStatus;
  startedAt: string;
  endedAt: string;
  outcome: IncidentOutcome;
  facts: PostmortemFacts;
  people: PostmortemPeople;
  reviewDueAt?: string;
  tags: string[];
  sections: Record<SectionId, SectionState>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** One kept revision of a section. */
export interface SectionRevision {
  section: SectionId;
  revision: number;
  text: string;
  author: string;
  at: string;
}

/** A blameless flag the publisher kept as written, with why (recorded with the publication). */
export interface Acknowledgement {
  /** The flag's stable id (`src/postmortems/blameless.ts`). */
  flag: string;
  section: SectionId;
  line: number;
  column: number;
  /** What the check matched. */
  phrase: string;
  reason: string;
}

/** One status change (the first has no `from`: the draft was created). */
export interface StatusChange {
  from?: PostmortemStatus;
  to: PostmortemStatus;
  actor: string;
  at: string;
  reason?: string;
  /** The flags acknowledged at this publication (absent when none). */
  acknowledgements?: Acknowledgement[];
}

/** Tags to add and to remove (trimmed); what is already there, or absent, is left as it is. */
export interface TagChange {
  add?: readonly string[];
  remove?: readonly string[];
}

/** The fields whose changes are kept (sections and status have histories of their own). */
export const POSTMORTEM_FIELDS = ['tags', 'reviewDueAt'] as const;
export type PostmortemField = (typeof POSTMORTEM_FIELDS)[number];

/** One change of a post-mortem field: its new value, who set it and when. */
export interface FieldChange {
  field: PostmortemField;
  /** The new value: the tags, or the due date (null: cleared). */
  value: JsonValue;
  actor: string;
  at: string;
}

/** Which post-mortems `listPostmortems` returns, newest first. */
export interface PostmortemFilter {
  status?: PostmortemStatus;
  runbook?: string;
  severity?: Severity;
  tag?: string;
  /** Incidents that started at or after / before this instant. */
  since?: string;
  until?: string;
  /** Only post-mortems not published whose review was due before this instant (the overdue mark). */
  overdueAt?: string;
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** A page of results. */
export interface Page<T> {
  items: T[];
  /** Present when there may be more: pass it back as `cursor`. */
  nextCursor?: string;
}

export const ACTION_ITEM_STATUSES = ['open', 'in-progress', 'done', 'verified', 'wont-do'] as const;
export type ActionItemStatus = (typeof ACTION_ITEM_STATUSES)[number];
export const ACTION_ITEM_PRIORITIES = ['p1', 'p2', 'p3', 'p4'] as const;
export type ActionItemPriority = (typeof ACTION_ITEM_PRIORITIES)[number];
/** Statuses that count as not finished: only these can be overdue. */
export const OPEN_ACTION_ITEM_STATUSES: readonly ActionItemStatus[] = ['open', 'in-progress'];

/** A runbook (a drill or any other) whose successful run proves an action item's fix. */
export interface Verification {
  runbook: string;
  params: Record<string, JsonValue>;
}

/**
 * One run of an item's verification. `pending`: started (by `POST /action-items/{id}/done`), not finished;
 * the watcher that records how it ended (`passed` turns the item verified, `failed` reopens it) appends a
 * second run with the same incident id.
 */
export interface VerificationRun {
  incidentId: string;
  result: 'pending' | 'passed' | 'failed';
  at: string;
}

/** A stored action item. `version` increases with every update (compare-and-set). */
export interface ActionItem {
  id: string;
  postmortemId: string;
  title: string;
  /** A roster id or `role:<name>`. */
  owner: string;
  dueAt?: string;
  priority: ActionItemPriority;
  status: ActionItemStatus;
  /** Why it was closed as won't-do (required then), or why it was reopened. */
  statusReason?: string;
  trackerUrl?: string;
  verify?: Verification;
  runs: VerificationRun[];
  version: number;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

/** What `addActionItem` takes. */
export interface NewActionItem {
  postmortemId: string;
  title: string;
  owner: string;
  dueAt?: string;
  priority: ActionItemPriority;
  status?: ActionItemStatus;
  statusReason?: string;
  trackerUrl?: string;
  verify?: Verification;
  createdBy: string;
  createdAt: string;
}

/** What `updateActionItem` changes: a field left out is kept; `null` clears an optional one. */
export interface ActionItemPatch {
  title?: string;
  owner?: string;
  dueAt?: string | null;
  priority?: ActionItemPriority;
  status?: ActionItemStatus;
  statusReason?: string | null;
  trackerUrl?: string | null;
  verify?: Verification | null;
}

/** An update, applied only if the item is still at `baseVersion`; `run` records a verification run with it. */
export interface ActionItemUpdate {
  baseVersion: number;
  actor: string;
  at: string;
  patch: ActionItemPatch;
  run?: VerificationRun;
}

/** Which action items `listActionItems` returns, oldest first. */
export interface ActionItemFilter {
  owner?: string;
  /** Items owned by any of these (roster ids, `role:<name>`): a caller's id and roles for `owner=me`. */
  owners?: readonly string[];
  status?: ActionItemStatus | readonly ActionItemStatus[];
  postmortemId?: string;
  /** Only items still open or in progress whose due date is before this instant. */
  overdueAt?: string;
  limit?: number;
  cursor?: string;
}

/** Filters of a search. */
export interface SearchFilter {
  runbook?: string;
  severity?: Severity;
  tag?: string;
  since?: string;
  until?: string;
  limit?: number;
}

/** A stretch of a section that matched, with the matched words as `[start, end)` offsets into `text`. */
export interface SearchSnippet {
  section: SectionId | 'title';
  text: string;
  highlights: { start: number; end: number }[];
}

/** One search result, best first. */
export interface SearchHit {
  postmortem: Pick<
    Postmortem,
    'id' | 'incidentId' | 'title' | 'runbookId' | 'severity' | 'status' | 'startedAt' | 'tags'
  >;
  rank: number;
  snippets: SearchSnippet[];
}

/** Who made an edit, when, and the revision it was made on. */
export interface EditContext {
  author: string;
  at: string;
  /** The section revision the author started from; a newer current revision is a CONFLICT. */
  baseRevision: number;
}

/** A status move, applied only if the post-mortem is still in `from`. */
export interface StatusMove {
  from: PostmortemStatus;
  to: PostmortemStatus;
  actor: string;
  at: string;
  reason?: string;
  /**
   * The section revisions the caller checked (the blameless check before publishing): the move is a
   * CONFLICT, and nothing changes, if any of them has a newer revision by the time it applies.
   */
  sections?: Partial<Record<SectionId, number>>;
  /** Flags kept as written, with why: recorded with the move (a publication), one row each. */
  acknowledgements?: readonly Acknowledgement[];
}

/** The period a digest covers: from `since` (inclusive) to `until` (exclusive), ISO 8601 instants. */
export interface DigestWindow {
  since: string;
  until: string;
}

/**
 * A post-mortem as the periodic digest reads it: no sections or timeline, the durations of its facts, and
 * when it was last published (absent when never).
 */
export interface DigestPostmortem extends Pick<
  Postmortem,
  'id' | 'incidentId' | 'title' | 'runbookId' | 'severity' | 'status' | 'startedAt' | 'endedAt' | 'reviewDueAt' | 'tags'
> {
  runbookTitle: string;
  publishedAt?: string;
  durations: PostmortemFacts['durations'];
}

/** An action item as the digest reads it: with the title of its post-mortem. */
export interface DigestActionItem extends ActionItem {
  postmortemTitle: string;
}

/** Rows a digest read returns, and whether there were more than the store reads at once (`digestRows`). */
export interface DigestRows<T> {
  items: T[];
  truncated: boolean;
}

/**
 * One significant term of the `contributing-factors` sections: a lexeme as full-text search indexes it
 * (English stemming, stop words dropped), the word written most often for it, in how many post-mortems
 * it appears and how often in all.
 */
export interface FactorTerm {
  term: string;
  word: string;
  postmortems: number;
  occurrences: number;
}

/** The post-mortem store. */
export interface PostmortemStore {
  /** Creates the incident's post-mortem, or returns the one it has (`created: false`); never two. */
  createPostmortem(input: NewPostmortem): Promise<{ postmortem: Postmortem; created: boolean }>;
  getPostmortem(id: string): Promise<Postmortem | undefined>;
  getByIncident(incidentId: string): Promise<Postmortem | undefined>;
  listPostmortems(filter?: PostmortemFilter): Promise<Page<Postmortem>>;
  /**
   * Writes a new revision of a section; CONFLICT (nothing written) when `baseRevision` is not current, or
   * when the post-mortem is published (reopen it first).
   */
  editSection(id: string, section: SectionId, text: string, context: EditContext): Promise<SectionRevision>;
  /** Every revision of one section in revision order, or of all sections in the order they were written (`at`). */
  sectionHistory(id: string, section?: SectionId): Promise<SectionRevision[]>;
  /** Moves the status if it is still `from` (CONFLICT otherwise); an impossible move is INVALID_INPUT. */
  setStatus(id: string, move: StatusMove): Promise<Postmortem>;
  statusHistory(id: string): Promise<StatusChange[]>;
  /**
   * Sets (or, with `undefined`, clears) when the review is due. CONFLICT when the post-mortem is published:
   * its review is over (reopen it first). The change is kept in the field history.
   */
  setReviewDue(id: string, dueAt: string | undefined, context: { actor: string; at: string }): Promise<Postmortem>;
  /** Replaces the post-mortem's tags (trimmed, de-duplicated, in the order given); the change is kept. */
  setTags(id: string, tags: readonly string[], context: { actor: string; at: string }): Promise<Postmortem>;
  /** Adds and removes tags in one step (removal wins over an add of the same tag); the change is kept. */
  updateTags(id: string, change: TagChange, context: { actor: string; at: string }): Promise<Postmortem>;
  /** Every kept change of the post-mortem's fields (tags, review due date), oldest first. */
  fieldHistory(id: string): Promise<FieldChange[]>;
  addActionItem(input: NewActionItem): Promise<ActionItem>;
  /** Applies the update if the item is still at `baseVersion` (CONFLICT otherwise, naming the current one). */
  updateActionItem(id: string, update: ActionItemUpdate): Promise<ActionItem>;
  getActionItem(id: string): Promise<ActionItem | undefined>;
  listActionItems(filter?: ActionItemFilter): Promise<Page<ActionItem>>;
  /** Full-text search (websearch syntax) over titles, sections and lessons, ranked, with snippets. */
  search(query: string, filter?: SearchFilter): Promise<SearchHit[]>;
  /**
   * The post-mortems a digest of `window` reports on: incidents that started in it, post-mortems last
   * published in it, and every one now in review or in draft past its review date. Newest incident first.
   */
  digestPostmortems(window: DigestWindow): Promise<DigestRows<DigestPostmortem>>;
  /**
   * The action items a digest of `window` reports on: every item open, in progress or done (not yet
   * verified), and every item updated or with a verification run in the window. Oldest first.
   */
  digestActionItems(window: DigestWindow): Promise<DigestRows<DigestActionItem>>;
  /**
   * The most frequent terms of the `contributing-factors` sections of post-mortems whose incident started
   * in `window`, by the number of post-mortems, then occurrences, then term; at most `limit` (default 20).
   */
  contributingFactorTerms(window: DigestWindow, limit?: number): Promise<FactorTerm[]>;
  close(): Promise<void>;
}
