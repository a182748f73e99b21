/**
 * The activities of a post-mortem's review (`workflows/postmortem-review.ts`): read the post-mortem at each
 * wake (a small view: status, due date, the publication in force, the reminder settings), and send one of
 * its notices through `sendNotice`. The notice is built here from the store, not from history, so section
 * texts never enter workflow history; and it is sent only if it still holds when it is sent (a reminder for
 * the due date the workflow planned, a summary of the publication still in force), else skipped as `stale`.
 */
import { reviewRemindersOf, type PostmortemsConfig } from '../src/config/index.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import type { NoticeResult } from '../src/domain/notice.js';
import type { PostmortemReviewView, ReviewNoticeKind } from '../src/domain/postmortem-review.js';
import { publishedNoticeData, reviewNoticeData } from '../src/postmortems/review-notices.js';
import {
  STORE_LIMITS,
  type LazyPostmortemStore,
  type Postmortem,
  type PostmortemStore,
  type StatusChange,
} from '../src/postmortems/store/index.js';
import { toActivityFailure } from './failures.js';
import type { createNoticeActivities } from './notices.js';

/** What the review activities need from the worker. */
export interface ReviewActivityDeps {
  postmortems?: { config: Partial<Pick<PostmortemsConfig, 'review' | 'timeZone'>>; store?: LazyPostmortemStore };
}

/** Which post-mortem to read. */
export interface ReadPostmortemReviewInput {
  postmortemId: string;
}

/** One review notice to send, as the workflow planned it. */
export interface SendReviewNoticeInput {
  postmortemId: string;
  kind: ReviewNoticeKind;
  idempotencyKey: string;
  /** Reminders: the due date planned for (a different one now: `stale`). */
  reviewDueAt?: string;
  /** The summary: the publication (status history place) it is about (no longer in force: `stale`). */
  publication?: number;
}

/** What sending did: the notice's result, or `stale` (nothing sent: the post-mortem changed since). */
export type SendReviewNoticeResult = Omit<NoticeResult, 'skipped'> & {
  skipped?: NoticeResult['skipped'] | 'stale';
};

type SendNotice = ReturnType<typeof createNoticeActivities>['sendNotice'];

/** Creates the review activities over the worker's store and its `sendNotice`. */
export function createReviewActivities(deps: ReviewActivityDeps, sendNotice: SendNotice) {
  const store = (): Promise<PostmortemStore> => {
    const lazy = deps.postmortems?.store;
    if (lazy === undefined) throw new FirebreakError(ErrorCode.InvalidInput, 'this worker has no post-mortem store');
    return lazy.get();
  };
  /** Runs store reads, mapping their errors at the activity edge. */
  const reading = async <T>(read: (db: PostmortemStore) => Promise<T>): Promise<T> => {
    try {
      return await read(await store());
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
  const timeZone = () => deps.postmortems?.config.timeZone ?? 'UTC';

  return {
    /** The post-mortem's review state now (small: it goes into the workflow's history). */
    readPostmortemReview(input: ReadPostmortemReviewInput): Promise<PostmortemReviewView> {
      return reading(async (db) => {
        const { remindBefore, overdueEvery } = reviewRemindersOf(deps.postmortems?.config);
        const settings = { remindBeforeMs: remindBefore, overdueEveryMs: overdueEvery };
        const postmortem = await db.getPostmortem(input.postmortemId);
        if (postmortem === undefined) return { found: false, publications: 0, ...settings };
        const history = await db.statusHistory(postmortem.id);
        const publication = publicationOf(postmortem, history);
        return {
          found: true,
          status: postmortem.status,
          ...(postmortem.reviewDueAt === undefined ? {} : { reviewDueAt: postmortem.reviewDueAt }),
          publications: history.filter((change) => change.to === 'published').length,
          ...(publication === undefined ? {} : { publication }),
          ...settings,
        };
      });
    },

    /** Builds one review notice from the post-mortem as it is now and sends it, unless it no longer holds. */
    async sendReviewNotice(input: SendReviewNoticeInput): Promise<SendReviewNoticeResult> {
      const postmortem = await reading((db) => db.getPostmortem(input.postmortemId));
      if (postmortem === undefined) return { sent: [], unreachable: [], skipped: 'stale' };
      const about = { kind: 'postmortem' as const, id: postmortem.id };
      if (input.kind === 'postmortem-published') {
        const [history, items] = await reading((db) =>
          Promise.all([
            db.statusHistory(postmortem.id),
            db.listActionItems({ postmortemId: postmortem.id, limit: STORE_LIMITS.maxLimit }),
          ]),
        );
        const publication = publicationOf(postmortem, history);
        if (publication === undefined || publication.seq !== input.publication) {
          return { sent: [], unreachable: [], skipped: 'stale' };
        }
        const earlier = history.slice(0, publication.seq - 1).some((change) => change.to === 'published');
        return sendNotice({
          kind: 'postmortem-published',
          to: [...postmortem.people.audience],
          data: publishedNoticeData(postmortem, items.items, { ...publication, updated: earlier }, timeZone()),
          idempotencyKey: input.idempotencyKey,
          about,
        });
      }
      if (postmortem.status === 'published' || postmortem.reviewDueAt !== input.reviewDueAt) {
        return { sent: [], unreachable: [], skipped: 'stale' };
      }
      return sendNotice({
        kind: input.kind,
        to: [...postmortem.people.facilitators],
        data: reviewNoticeData(postmortem, timeZone()),
        idempotencyKey: input.idempotencyKey,
        about,
      });
    },
  };
}

/** The publication in force: the last status change, when it published the post-mortem. */
function publicationOf(
  postmortem: Postmortem,
  history: readonly StatusChange[],
): { seq: number; by: string; at: string } | undefined {
  const last = history.at(-1);
  if (postmortem.status !== 'published' || last?.to !== 'published') return undefined;
  return { seq: history.length, by: last.actor, at: last.at };
}
