/**
 * Following a drafted post-mortem until it is published (`postmortemWorkflow`, after the draft). At each wake
 * it reads the post-mortem through an activity, sends what is due (`src/domain/postmortem-review.ts`: a
 * reminder before the review is due, overdue notices at the due date and every `overdueEvery` after it,
 * at most 12) and sleeps on a timer until the next one, woken early by `postmortemChanged`. Once the
 * post-mortem is published it sends the summary to the audience, once per publication, and ends; a reopen
 * starts the workflow again through the signal helper. Long reviews continue as new.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, SendReviewNoticeResult } from '../activities/index.js';
import {
  freshProgress,
  MAX_OVERDUE_NOTICES,
  planReview,
  REVIEW_RECHECK_MS,
  reviewNoticeKey,
  type PostmortemReviewView,
  type ReviewNoticeKind,
  type ReviewProgress,
} from '../src/domain/postmortem-review.js';
import { describeFailure } from './failures.js';
import {
  postmortemChangedSignal,
  type PostmortemWorkflowProgress,
  type ReviewOutcome,
  type StartPostmortem,
} from './postmortem-definitions.js';

// Reading the store: retried with backoff while it is away or locked by another process, for a few hours.
const { readPostmortemReview } = proxyActivities<Activities>({
  startToCloseTimeout: 60_000,
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 600_000, maximumAttempts: 30 },
  summary: 'read the post-mortem under review',
});

// A notice: retried while the SMTP server is away (a few hours), never with another idempotency key.
const { sendReviewNotice } = proxyActivities<Activities>({
  startToCloseTimeout: 120_000,
  retry: { initialInterval: 5_000, backoffCoefficient: 2, maximumInterval: 900_000, maximumAttempts: 25 },
});

/** A run continues as new after this many wakes, or when Temporal suggests it, to keep its history short. */
const WAKES_PER_RUN = 200;
/** Signals counted towards continuing as new (a burst of edits each signals once). */
const SIGNALS_PER_RUN = 100;
/** How many notices the progress query keeps (the latest). */
const NOTICES_SHOWN = 20;

/** The state one run of the review keeps, shown by the progress query. */
export interface ReviewRun {
  progress: PostmortemWorkflowProgress;
}

/**
 * Follows the post-mortem until it is published (and its summary sent) or it is gone. Continues as new
 * with what it sent when its history grows long.
 */
export async function followReview(
  input: StartPostmortem & { postmortemId: string },
  run: ReviewRun,
): Promise<ReviewOutcome> {
  const { postmortemId } = input;
  let changed = false;
  let signals = 0;
  setHandler(postmortemChangedSignal, ({ reason }) => {
    changed = true;
    signals += 1;
    log.info('post-mortem changed', { postmortemId, reason });
  });
  let progress: ReviewProgress | undefined = input.review;
  let summary: ReviewOutcome | undefined;
  for (let wakes = 0; ; wakes += 1) {
    changed = false;
    const view = await read(postmortemId);
    if (!view.found) {
      log.warn('the post-mortem under review is gone from the store: the review ends', { postmortemId });
      return { ended: 'missing' };
    }
    if (view.status === 'published' && view.publication !== undefined) {
      const { seq } = view.publication;
      if (summary?.publication !== seq) {
        const outcome = await sendSummary(postmortemId, seq, run);
        // Stale: reopened (or published again) while it was being sent; read it again.
        if (outcome.skipped === 'stale') continue;
        summary = outcome;
      }
      // A change signalled while the summary went out (a reopen) is read before the review ends.
      if (!changed) return summary;
      continue;
    }
    const plan = planReview(view, progress ?? freshProgress(view), Date.now());
    progress = plan.progress;
    run.progress.review = progress;
    if (plan.send !== undefined) {
      const { kind, occurrence } = plan.send;
      await notify(run, { postmortemId, kind, reviewDueAt: view.reviewDueAt, progress, occurrence });
    }
    if (plan.exhausted === true) {
      log.info(`overdue reminders stop after ${MAX_OVERDUE_NOTICES}: waiting for the publication only`, {
        postmortemId,
      });
    }
    if (wakes + 1 >= WAKES_PER_RUN || signals >= SIGNALS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      return await continueAsNew<(input: StartPostmortem) => Promise<unknown>>({ ...input, review: progress });
    }
    await sleepUntil(plan.wakeAt, run, () => changed);
  }
}

/**
 * The post-mortem as it is now. The activity retries for hours while the store is away; after that (or
 * for a worker without a store) the workflow fails with an ApplicationFailure, and the next change
 * signalled starts it again.
 */
async function read(postmortemId: string): Promise<PostmortemReviewView> {
  try {
    return await readPostmortemReview({ postmortemId });
  } catch (error) {
    const cause = describeFailure(error);
    throw ApplicationFailure.nonRetryable(`Reading the post-mortem under review failed: ${cause.message}`, cause.code);
  }
}

/** Sleeps until `wakeAt` (at most a day: the post-mortem is read again then) or until a signal. */
async function sleepUntil(wakeAt: number | undefined, run: ReviewRun, woken: () => boolean): Promise<void> {
  const now = Date.now();
  const until = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, now + REVIEW_RECHECK_MS);
  if (wakeAt === undefined) delete run.progress.nextWakeAt;
  else run.progress.nextWakeAt = new Date(wakeAt).toISOString();
  if (until > now) await condition(woken, until - now);
}

/** Sends the summary of the publication in force to the audience, once, and ends the review. */
async function sendSummary(postmortemId: string, publication: number, run: ReviewRun): Promise<ReviewOutcome> {
  const result = await notify(run, {
    postmortemId,
    kind: 'postmortem-published',
    progress: { round: 0 },
    occurrence: publication,
    publication,
  });
  return {
    ended: 'published',
    publication,
    ...(result === undefined ? { skipped: 'failed' } : { sent: result.sent.length }),
    ...(result?.skipped === undefined ? {} : { skipped: result.skipped }),
  };
}

/** One notice through the activity; a failure or nobody reachable is logged, never fails the review. */
async function notify(
  run: ReviewRun,
  notice: {
    postmortemId: string;
    kind: ReviewNoticeKind;
    progress: Pick<ReviewProgress, 'dueAt' | 'round'>;
    occurrence: number;
    reviewDueAt?: string | undefined;
    publication?: number;
  },
): Promise<SendReviewNoticeResult | undefined> {
  const { postmortemId, kind, occurrence } = notice;
  const idempotencyKey = reviewNoticeKey(postmortemId, kind, notice.progress, occurrence);
  const record = (sent: number, skipped?: string) => {
    run.progress.notices = [
      ...run.progress.notices,
      { kind, occurrence, sent, ...(skipped === undefined ? {} : { skipped }) },
    ].slice(-NOTICES_SHOWN);
  };
  try {
    const result = await sendReviewNotice({
      postmortemId,
      kind,
      idempotencyKey,
      ...(notice.reviewDueAt === undefined ? {} : { reviewDueAt: notice.reviewDueAt }),
      ...(notice.publication === undefined ? {} : { publication: notice.publication }),
    });
    record(result.sent.length, result.skipped);
    if (result.skipped !== undefined) {
      log.warn(`${kind} notice not sent: ${result.skipped}`, { postmortemId, unreachable: result.unreachable });
    } else if (result.unreachable.length > 0) {
      log.warn(`${kind} notice reached some people only`, { postmortemId, unreachable: result.unreachable });
    }
    return result;
  } catch (error) {
    record(0, 'failed');
    log.warn(`${kind} notice failed`, { postmortemId, error: describeFailure(error).message });
    return undefined;
  }
}
