/**
 * A post-mortem's review reminders, as the post-mortem workflow plans them (`workflows/postmortem-review.ts`):
 * one reminder `remindBefore` the review is due, then an overdue notice at the due date and every
 * `overdueEvery` after it, at most `MAX_OVERDUE_NOTICES`, while the post-mortem is not published. Pure and
 * workflow-safe: it takes the time and what was already sent, and says what to send now and when to wake.
 */

/** A post-mortem's status, as `src/postmortems/types.ts` names them. */
export type ReviewedStatus = 'draft' | 'in-review' | 'published';

/** The `patched()` id under which the post-mortem workflow follows the review after drafting (issue 13). */
export const POSTMORTEM_REVIEW_PATCH = 'postmortem-review';

/** Overdue notices stop after this many; the workflow still waits for the publication. */
export const MAX_OVERDUE_NOTICES = 12;

/**
 * The longest the workflow sleeps without reading the post-mortem again: a change whose signal was lost
 * (an API process that died between writing and signalling) is seen within a day.
 */
export const REVIEW_RECHECK_MS = 86_400_000;

/** The notices the review sends. */
export type ReviewNoticeKind = 'review-reminder' | 'review-overdue' | 'postmortem-published';

/** A post-mortem as the review workflow reads it at each wake: small, it goes into history. */
export interface PostmortemReviewView {
  /** False when the store has no such post-mortem (the workflow then ends). */
  found: boolean;
  status?: ReviewedStatus;
  reviewDueAt?: string;
  /** How many times it has been published (a reopened one counts its earlier publications). */
  publications: number;
  /** The publication in force when it is published: its place in the status history, who and when. */
  publication?: { seq: number; by: string; at: string };
  /** `postmortems.review` of the worker that read it. */
  remindBeforeMs: number;
  overdueEveryMs: number;
}

/** What the review already sent, carried across wakes and continue-as-new. */
export interface ReviewProgress {
  /** The due date (ISO) the counts below are about; a new due date starts them again. */
  dueAt?: string;
  /** The publication round they are about (`publications` when they were sent): a reopen starts them again. */
  round: number;
  reminded: boolean;
  /** Overdue notices sent for this due date and round. */
  overdue: number;
}

/** The review's next move: a notice to send now (with its occurrence), and when to look again. */
export interface ReviewPlan {
  send?: { kind: 'review-reminder' | 'review-overdue'; occurrence: number };
  /** Epoch ms to wake at for the next notice; absent: nothing more is scheduled (wait for a change). */
  wakeAt?: number;
  progress: ReviewProgress;
  /** The overdue notices just ran out (log it once). */
  exhausted?: boolean;
}

/** The progress of a review that has sent nothing. */
export function freshProgress(view: Pick<PostmortemReviewView, 'reviewDueAt' | 'publications'>): ReviewProgress {
  return {
    ...(view.reviewDueAt === undefined ? {} : { dueAt: view.reviewDueAt }),
    round: view.publications,
    reminded: false,
    overdue: 0,
  };
}

/**
 * What to send now and when to wake, for an unpublished post-mortem at `nowMs`. A wake that comes late
 * (a worker down for days) sends only the latest overdue notice due, never a burst of the missed ones.
 */
export function planReview(view: PostmortemReviewView, progress: ReviewProgress, nowMs: number): ReviewPlan {
  const current =
    progress.dueAt === view.reviewDueAt && progress.round === view.publications ? progress : freshProgress(view);
  if (view.reviewDueAt === undefined) return { progress: current };
  const due = Date.parse(view.reviewDueAt);
  const every = Math.max(view.overdueEveryMs, 60_000);
  if (nowMs >= due) {
    const occurrence = Math.floor((nowMs - due) / every);
    if (current.overdue >= MAX_OVERDUE_NOTICES) return { progress: { ...current, reminded: true } };
    if (occurrence < current.overdue) return { progress: current, wakeAt: due + current.overdue * every };
    const sent = Math.min(occurrence, MAX_OVERDUE_NOTICES - 1) + 1;
    const next = { ...current, reminded: true, overdue: sent };
    return {
      send: { kind: 'review-overdue', occurrence: sent - 1 },
      progress: next,
      ...(sent < MAX_OVERDUE_NOTICES ? { wakeAt: due + sent * every } : { exhausted: true }),
    };
  }
  const remindAt = due - view.remindBeforeMs;
  if (current.reminded) return { progress: current, wakeAt: due };
  if (nowMs >= remindAt) {
    return { send: { kind: 'review-reminder', occurrence: 0 }, progress: { ...current, reminded: true }, wakeAt: due };
  }
  return { progress: current, wakeAt: remindAt };
}

/**
 * The idempotency key of one review notice: the same for a retry or a replay of it, different for another
 * occurrence, another due date or another publication round.
 */
export function reviewNoticeKey(
  postmortemId: string,
  kind: ReviewNoticeKind,
  progress: Pick<ReviewProgress, 'dueAt' | 'round'>,
  occurrence: number,
): string {
  if (kind === 'postmortem-published') return `postmortem:${postmortemId}:published:${occurrence}`;
  return `postmortem:${postmortemId}:${kind}:${progress.dueAt ?? 'none'}:r${progress.round}:${occurrence}`;
}
