/**
 * `postmortem.digest`: the periodic lessons-learned review as a step. Reads the period's post-mortems,
 * action items and contributing-factor terms from the post-mortem store, the restore drills from the drill
 * history in the blob store, and the loaded runbooks' review dates, then computes the digest
 * (`src/postmortems/digest.ts`, pure) as the step's output, for a `notify` step to send
 * (`steps.<id>.output` in its templates).
 */
import { z } from 'zod';
import type { ActionDefinition, ActionResult, ActionSpec } from '../types.js';
import { readDrillPeriods } from '../../backup/drills/period.js';
import { DURATION_PATTERN, parseDuration } from '../../domain/duration.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { computeDigest, DIGEST_LIST_LIMIT, type DigestRunbook, type LessonsDigest } from '../../postmortems/digest.js';
import type { LazyPostmortemStore } from '../../postmortems/store/index.js';
import type { RunbookCatalog } from '../../runbook/catalog.js';
import type { BlobStore } from '../../storage/blob-store.js';

const DAY_MS = 86_400_000;
/** The longest period a digest covers: a year and a bit, so one read stays bounded. */
const MAX_PERIOD_MS = 400 * DAY_MS;
/** Contributing-factor terms the digest lists. */
const FACTOR_TERMS = 20;

/** Input of `postmortem.digest`. */
export const PostmortemDigestInput = z.strictObject({
  period: z
    .string()
    .regex(DURATION_PATTERN, { error: 'expected a duration such as 30d, 4w or 90d' })
    .refine(
      (text) => {
        const ms = parseDuration(text);
        return ms === undefined || (ms >= DAY_MS && ms <= MAX_PERIOD_MS);
      },
      { error: 'must be between 1d and 400d' },
    )
    .meta({ description: 'How far back from now the digest looks, e.g. 30d.' }),
  now: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 instant such as 2026-12-01T09:00:00Z' })
    .optional()
    .meta({ description: 'The end of the period (default: the time the step runs); for rehearsals and tests.' }),
  limit: z
    .int()
    .min(1)
    .max(DIGEST_LIST_LIMIT)
    .optional()
    .meta({ description: `Entries each list holds at most (default ${DIGEST_LIST_LIMIT}); the rest are counted.` }),
});
export type PostmortemDigestInput = z.infer<typeof PostmortemDigestInput>;

/** Name, description and schema of `postmortem.digest`. */
export const postmortemDigestSpec: ActionSpec<typeof PostmortemDigestInput> = {
  name: 'postmortem.digest',
  description:
    'Compute the lessons-learned digest of a period: post-mortems, action items, verification failures, recurring tags and factors, incident times, missed deadlines, drills and runbooks due for review.',
  input: PostmortemDigestInput,
};

/** What the digest reads from. */
export interface PostmortemDigestDeps {
  /** The post-mortem store (opened on first use); absent: the action fails, saying so. */
  postmortems?: LazyPostmortemStore;
  /** The blob store drill records live in (the backup store). */
  drills: BlobStore;
  /** The runbooks as they are now, for their review dates; absent: the action fails, saying so. */
  runbooks?: () => Promise<RunbookCatalog>;
  /** Injectable clock (tests). */
  now?: () => Date;
}

/** The `postmortem.digest` action. */
export function postmortemDigestAction(deps: PostmortemDigestDeps): ActionDefinition<typeof PostmortemDigestInput> {
  return { ...postmortemDigestSpec, execute: (input) => digest(deps, input) };
}

async function digest(deps: PostmortemDigestDeps, input: PostmortemDigestInput): Promise<ActionResult> {
  if (deps.postmortems === undefined) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'postmortem.digest: this worker has no post-mortem store');
  }
  if (deps.runbooks === undefined) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'postmortem.digest: this worker has no runbook catalog');
  }
  const until = input.now === undefined ? (deps.now?.() ?? new Date()) : new Date(input.now);
  const window = {
    since: new Date(until.getTime() - (parseDuration(input.period) ?? 0)).toISOString(),
    until: until.toISOString(),
  };
  const store = await deps.postmortems.get();
  const [postmortems, actionItems, factors, drills, catalog] = await Promise.all([
    store.digestPostmortems(window),
    store.digestActionItems(window),
    store.contributingFactorTerms(window, FACTOR_TERMS),
    readDrillPeriods(deps.drills, window),
    deps.runbooks(),
  ]);
  const found = computeDigest({
    period: input.period,
    window,
    postmortems,
    actionItems,
    factors,
    drills,
    runbooks: runbooksOf(catalog),
    ...(input.limit === undefined ? {} : { limit: input.limit }),
  });
  return { output: found as unknown as ActionResult['output'], note: noteOf(found) };
}

function runbooksOf(catalog: RunbookCatalog): DigestRunbook[] {
  return [...catalog.runbooks.values()]
    .map(({ plan }) => ({ id: plan.runbookId, title: plan.title, ...(plan.review ? { review: plan.review } : {}) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One line for the timeline: the numbers that matter most. */
export function noteOf(found: LessonsDigest): string {
  const { actionItems, postmortems, drillTotals } = found;
  return (
    `Lessons-learned digest of the ${found.period.length} to ${found.period.until}: ` +
    `${found.incidents.total} incidents, ${postmortems.published.total} post-mortems published, ` +
    `${postmortems.awaitingReview.total} awaiting review; ${actionItems.open.total} action items open ` +
    `(${actionItems.overdue.total} overdue), ${actionItems.doneUnverified.total} done but unverified, ` +
    `${actionItems.verified.total} verified; ${found.verificationFailures.total} verification failures; ` +
    `${found.missedDeadlines.total} deadlines missed; drills ${drillTotals.passed} passed, ${drillTotals.failed} failed; ` +
    `${found.runbookReviews.total} runbooks due for review.`
  );
}
