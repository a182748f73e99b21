/**
 * The action item watcher's rules that its workflow shares with the rest of the code: the workflow id, and
 * when a due reminder or an overdue notice is next due. Workflow-safe: no I/O, no clock (callers pass `now`).
 */

/** The id of the workflow that watches an action item: one per item. */
export function actionItemWorkflowId(itemId: string): string {
  return `action-item:${itemId}`;
}

/** How long before `dueAt` the owner is reminded, and how often an overdue item is announced again. */
export interface DueTimings {
  remindBeforeMs: number;
  overdueEveryMs: number;
}

/** `postmortems.actionItems` when the config leaves it out: remind 2 days before, overdue again every 7 days. */
export const DEFAULT_DUE_TIMINGS: DueTimings = { remindBeforeMs: 2 * 86_400_000, overdueEveryMs: 7 * 86_400_000 };

/**
 * The shortest interval between two overdue notices of one item: more often than hourly is a storm, not a
 * reminder. The config refuses less, and the watcher never goes below it whatever its input says.
 */
export const MIN_OVERDUE_EVERY_MS = 3_600_000;

/** What the watcher reads from the worker's config once per run: the due timings and the notices' time zone. */
export interface ActionItemPolicy extends DueTimings {
  timeZone: string;
}

/** What the watcher has sent for one due date; a new due date starts again from nothing. */
export interface DueNoticesSent {
  dueAt: string;
  reminded: boolean;
  /** How many overdue notices were sent for this due date. */
  overdue: number;
}

/** The next notice for a due date and when it is due (epoch ms; at or before `now`: send it now). */
export interface NextDueNotice {
  kind: 'reminder' | 'overdue';
  at: number;
}

/** What was sent for `dueAt`: the record when it is for this due date, nothing sent otherwise. */
export function sentFor(dueAt: string, sent: DueNoticesSent | undefined): DueNoticesSent {
  return sent !== undefined && sent.dueAt === dueAt ? sent : { dueAt, reminded: false, overdue: 0 };
}

/**
 * The next notice of an open item due at `dueAt`. The reminder is `remindBeforeMs` before the due date (at
 * once when the item is already that close, never once it is past due); the first overdue notice is at the
 * due date, then one every `overdueEveryMs`.
 */
export function nextDueNotice(sent: DueNoticesSent, now: number, timings: DueTimings): NextDueNotice {
  const due = Date.parse(sent.dueAt);
  if (!sent.reminded && sent.overdue === 0 && now < due) return { kind: 'reminder', at: due - timings.remindBeforeMs };
  return { kind: 'overdue', at: due + sent.overdue * overdueEvery(timings) };
}

function overdueEvery(timings: DueTimings): number {
  return Math.max(timings.overdueEveryMs, MIN_OVERDUE_EVERY_MS);
}

/**
 * The record after sending `notice` at `now`. After an outage the overdue count catches up with the clock,
 * so one notice goes out for the missed ones rather than a burst, and the next is in the future.
 */
export function afterDueNotice(
  sent: DueNoticesSent,
  notice: NextDueNotice,
  now: number,
  timings: DueTimings,
): DueNoticesSent {
  if (notice.kind === 'reminder') return { ...sent, reminded: true };
  const due = Date.parse(sent.dueAt);
  const elapsed = Math.floor((now - due) / overdueEvery(timings)) + 1;
  return { ...sent, reminded: true, overdue: Math.max(sent.overdue + 1, elapsed) };
}
