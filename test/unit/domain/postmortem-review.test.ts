/**
 * The review's plan (`planReview`): a reminder `remindBefore` the due date, overdue notices at it and every
 * `overdueEvery` after, at most 12, never a burst after a late wake; a new due date or a reopen starts
 * the count again; the idempotency keys are stable per occurrence.
 */
import { describe, expect, it } from 'vitest';
import {
  freshProgress,
  MAX_OVERDUE_NOTICES,
  planReview,
  reviewNoticeKey,
  type PostmortemReviewView,
  type ReviewProgress,
} from '../../../src/domain/postmortem-review.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const DUE = new Date(T0 + 5 * DAY).toISOString();
const view = (overrides: Partial<PostmortemReviewView> = {}): PostmortemReviewView => ({
  found: true,
  status: 'draft',
  reviewDueAt: DUE,
  publications: 0,
  remindBeforeMs: DAY,
  overdueEveryMs: 7 * DAY,
  ...overrides,
});

/** Walks the plan from T0, waking when it asks to, and returns what was sent at which day. */
function walk(v: PostmortemReviewView, untilDays: number): { day: number; kind: string; occurrence: number }[] {
  const sent: { day: number; kind: string; occurrence: number }[] = [];
  let progress: ReviewProgress = freshProgress(v);
  let now = T0;
  while (now <= T0 + untilDays * DAY) {
    const plan = planReview(v, progress, now);
    progress = plan.progress;
    if (plan.send) sent.push({ day: (now - T0) / DAY, ...plan.send });
    if (plan.wakeAt === undefined) break;
    expect(plan.wakeAt).toBeGreaterThan(now);
    now = plan.wakeAt;
  }
  return sent;
}

describe('planReview', () => {
  it('reminds a day before, then marks overdue at the due date and every 7 days, 12 times at most', () => {
    const sent = walk(view(), 200);
    expect(sent.slice(0, 3)).toEqual([
      { day: 4, kind: 'review-reminder', occurrence: 0 },
      { day: 5, kind: 'review-overdue', occurrence: 0 },
      { day: 12, kind: 'review-overdue', occurrence: 1 },
    ]);
    expect(sent.filter((s) => s.kind === 'review-overdue')).toHaveLength(MAX_OVERDUE_NOTICES);
    expect(sent.at(-1)).toEqual({ day: 5 + 7 * 11, kind: 'review-overdue', occurrence: 11 });
  });

  it('says when the overdue notices run out, then schedules nothing', () => {
    let progress = freshProgress(view());
    const late = T0 + 5 * DAY + 7 * DAY * 11;
    progress = { ...progress, reminded: true, overdue: 11 };
    const last = planReview(view(), progress, late);
    expect(last).toMatchObject({ send: { kind: 'review-overdue', occurrence: 11 }, exhausted: true });
    expect(last.wakeAt).toBeUndefined();
    expect(planReview(view(), last.progress, late + 30 * DAY)).toEqual({ progress: last.progress });
  });

  it('sends only the latest overdue notice after a late wake, not the ones missed', () => {
    const progress = { ...freshProgress(view()), reminded: true, overdue: 1 };
    const plan = planReview(view(), progress, T0 + 5 * DAY + 7 * DAY * 3 + 1000);
    expect(plan.send).toEqual({ kind: 'review-overdue', occurrence: 3 });
    expect(plan.progress.overdue).toBe(4);
    expect(plan.wakeAt).toBe(T0 + 5 * DAY + 7 * DAY * 4);
  });

  it('reminds at once when drafted with less than remindBefore to go, and never after the due date', () => {
    const soon = view({ reviewDueAt: new Date(T0 + 12 * 3_600_000).toISOString() });
    expect(planReview(soon, freshProgress(soon), T0).send).toEqual({ kind: 'review-reminder', occurrence: 0 });
    const past = view({ reviewDueAt: new Date(T0 - DAY).toISOString() });
    expect(walk(past, 1).map((s) => s.kind)).toEqual(['review-overdue']);
  });

  it('has nothing to send or wake for without a due date', () => {
    const none = view({ reviewDueAt: undefined });
    expect(planReview(none, freshProgress(none), T0)).toEqual({ progress: { round: 0, reminded: false, overdue: 0 } });
  });

  it('starts again for a new due date and after a reopen, with new keys', () => {
    const sent = { ...freshProgress(view()), reminded: true, overdue: 2 };
    const moved = view({ reviewDueAt: new Date(T0 + 20 * DAY).toISOString() });
    const plan = planReview(moved, sent, T0 + 13 * DAY);
    expect(plan.send).toBeUndefined();
    expect(plan.progress).toEqual({ dueAt: moved.reviewDueAt, round: 0, reminded: false, overdue: 0 });
    expect(plan.wakeAt).toBe(T0 + 19 * DAY);
    const reopened = view({ publications: 1 });
    const again = planReview(reopened, sent, T0 + 13 * DAY);
    expect(again.send).toEqual({ kind: 'review-overdue', occurrence: 1 });
    expect(reviewNoticeKey('pm1', 'review-overdue', again.progress, 1)).not.toBe(
      reviewNoticeKey('pm1', 'review-overdue', sent, 1),
    );
  });

  it('keys a notice by post-mortem, kind, due date, round and occurrence', () => {
    const progress = { dueAt: DUE, round: 0 };
    expect(reviewNoticeKey('pm1', 'review-overdue', progress, 2)).toBe(`postmortem:pm1:review-overdue:${DUE}:r0:2`);
    expect(reviewNoticeKey('pm1', 'review-overdue', progress, 2)).toBe(
      reviewNoticeKey('pm1', 'review-overdue', { ...progress }, 2),
    );
    expect(reviewNoticeKey('pm1', 'postmortem-published', { round: 0 }, 4)).toBe('postmortem:pm1:published:4');
  });
});
