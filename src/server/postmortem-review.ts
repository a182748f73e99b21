/**
 * The API's side of a post-mortem's review: the overdue mark on its views, and waking its workflow
 * (`src/postmortems/review-signal.ts`) after a change. A wake that fails is logged and does not fail the
 * request: the change is stored, and the workflow reads the post-mortem again within a day on its own.
 */
import type { Postmortem } from '../postmortems/store/index.js';
import { signalPostmortemChanged } from '../postmortems/review-signal.js';
import type { AppDeps } from './deps.js';

/** Whether the review is overdue at `now`: due before it and not published. */
export function reviewOverdue(postmortem: Pick<Postmortem, 'status' | 'reviewDueAt'>, now: Date): boolean {
  if (postmortem.status === 'published' || postmortem.reviewDueAt === undefined) return false;
  return Date.parse(postmortem.reviewDueAt) < now.getTime();
}

/** The post-mortem with its overdue mark. */
export function withOverdueMark<T extends Pick<Postmortem, 'status' | 'reviewDueAt'>>(
  postmortem: T,
  now: Date,
): T & { reviewOverdue: boolean } {
  return { ...postmortem, reviewOverdue: reviewOverdue(postmortem, now) };
}

/** Wakes (or starts) the post-mortem's workflow; false when Temporal could not be reached (logged). */
export async function wakeReview(
  deps: Pick<AppDeps, 'temporal' | 'logger'>,
  postmortem: Pick<Postmortem, 'id' | 'incidentId' | 'title'>,
  reason: string,
): Promise<boolean> {
  try {
    await signalPostmortemChanged(deps.temporal.client, deps.temporal.taskQueue, {
      incidentId: postmortem.incidentId,
      postmortemId: postmortem.id,
      title: postmortem.title,
      reason,
    });
    return true;
  } catch (error) {
    deps.logger.error(
      { err: error, postmortemId: postmortem.id, incidentId: postmortem.incidentId },
      'the post-mortem workflow was not signalled: it reads the post-mortem again within a day',
    );
    return false;
  }
}
