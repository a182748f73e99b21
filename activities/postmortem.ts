/**
 * The activities that draft a post-mortem when an incident closes: which severities need one (the config
 * the worker was started with), and the draft itself, read from Temporal through the worker's client and
 * written to the post-mortem store. Results are small (ids, not documents): they go into workflow history.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PostmortemsConfig } from '../src/config/index.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import type { Severity } from '../src/domain/plan.js';
import { draftFromIncident, type DraftReason } from '../src/postmortems/from-incident.js';
import type { LazyPostmortemStore } from '../src/postmortems/store/index.js';
import { toActivityFailure } from './failures.js';

/** What drafting needs from the worker: the `postmortems` config and the store (opened on first use). */
export interface PostmortemActivityDeps {
  /** `review` (the reminders) and `actionItems` (the due timings) are optional: absent means their defaults. */
  config: Pick<PostmortemsConfig, 'requiredFor' | 'timeZone' | 'review' | 'actionItems'>;
  /** Absent: this worker cannot draft (the activity fails, non-retryably, saying so). */
  store?: LazyPostmortemStore;
}

/** Which incident's post-mortem to draft. */
export interface DraftPostmortemInput {
  incidentId: string;
}

/** The post-mortem drafted (or found), whether this call created it, and why (`not-required`: none made). */
export interface DraftPostmortemResult {
  postmortemId?: string;
  created: boolean;
  reason: DraftReason;
}

/** The severities whose incidents need a post-mortem without a `postmortem` step. */
export interface PostmortemPolicy {
  requiredFor: Severity[];
}

/** Creates the post-mortem activities over the worker's config and store. */
export function createPostmortemActivities(deps: { postmortems?: PostmortemActivityDeps }) {
  return {
    /** `postmortems.requiredFor` as this worker's config says. */
    postmortemPolicy(): Promise<PostmortemPolicy> {
      return Promise.resolve({ requiredFor: [...(deps.postmortems?.config.requiredFor ?? [])] });
    },

    /** Drafts and stores a closed incident's post-mortem, once (a second call finds the first). */
    async draftPostmortem(input: DraftPostmortemInput): Promise<DraftPostmortemResult> {
      try {
        const postmortems = deps.postmortems;
        if (postmortems?.store === undefined) {
          throw new FirebreakError(ErrorCode.InvalidInput, 'this worker has no post-mortem store');
        }
        const result = await draftFromIncident(
          input.incidentId,
          { temporal: Context.current().client, store: await postmortems.store.get(), postmortems: postmortems.config },
          { actor: 'system' },
        );
        return {
          ...(result.postmortem ? { postmortemId: result.postmortem.id } : {}),
          created: result.created,
          reason: result.reason,
        };
      } catch (error) {
        throw draftFailure(error);
      }
    },
  };
}

/**
 * A CONFLICT here is passing: another process holds the embedded store's lock (a restart, `firebreak dev`
 * starting), or the incident has not quite closed. It is retried with backoff like TRANSIENT, unlike
 * CONFLICT elsewhere.
 */
function draftFailure(error: unknown): Error {
  const failure = toActivityFailure(error);
  if (failure instanceof ApplicationFailure && failure.type === ErrorCode.Conflict) {
    return ApplicationFailure.create({ type: ErrorCode.Conflict, message: failure.message, nonRetryable: false });
  }
  return failure;
}
