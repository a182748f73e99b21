/**
 * Post-mortems from the workflow side. `startPostmortemAtClose` runs as an incident closes: when the
 * incident needs a post-mortem (`src/domain/postmortem.ts`), it starts `postmortemWorkflow` as an abandoned
 * child, whose id (`postmortem:<incident>`) makes it one per incident. `postmortemWorkflow` drafts the
 * post-mortem through an activity (the store is reached only through activities), then follows its review
 * until it is published (`postmortem-review.ts`): reminders, overdue notices and the published summary.
 */
import {
  ApplicationFailure,
  CancellationScope,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, DraftPostmortemResult } from '../activities/index.js';
import { POSTMORTEM_REVIEW_PATCH } from '../src/domain/postmortem-review.js';
import {
  POSTMORTEM_DRAFT_PATCH,
  postmortemReason,
  postmortemWorkflowId,
  severityApplies,
} from '../src/domain/postmortem.js';
import type { StartIncident } from './definitions.js';
import { describeFailure } from './failures.js';
import {
  postmortemProgressQuery,
  type PostmortemWorkflowProgress,
  type PostmortemWorkflowResult,
  type StartPostmortem,
} from './postmortem-definitions.js';
import { followReview } from './postmortem-review.js';
import type { IncidentRun } from './run.js';

export type { PostmortemWorkflowResult, StartPostmortem } from './postmortem-definitions.js';

// A read of the worker's config: a local activity, run in the worker without a trip through the task queue.
const { postmortemPolicy } = proxyLocalActivities<Activities>({
  startToCloseTimeout: 10_000,
  retry: { maximumAttempts: 5 },
  summary: 'which severities need a post-mortem',
});

// A CONFLICT (the embedded store locked by a process starting or stopping) and TRANSIENT (the database
// away) are retried with backoff, for a few hours; anything else non-retryable fails the workflow at once.
const { draftPostmortem } = proxyActivities<Activities>({
  startToCloseTimeout: 120_000,
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 600_000, maximumAttempts: 30 },
  summary: 'draft the post-mortem from the closed incident',
});

/**
 * Drafts the closed incident's post-mortem (idempotent: a second run finds the first draft), or takes the
 * one named in its input, then follows its review until it is published (behind `patched()`, so a run
 * recorded before the review existed replays to its end after the draft).
 */
export async function postmortemWorkflow(input: StartPostmortem): Promise<PostmortemWorkflowResult> {
  const progress: PostmortemWorkflowProgress = {
    incidentId: input.incidentId,
    ...(input.review === undefined ? {} : { review: input.review }),
    notices: [],
  };
  // A query handler adds no command: histories recorded without it replay unchanged.
  setHandler(postmortemProgressQuery, () => progress);
  let draft: DraftPostmortemResult;
  if (input.postmortemId !== undefined) {
    draft = { postmortemId: input.postmortemId, created: false, reason: 'existing' };
  } else {
    try {
      draft = await draftPostmortem({ incidentId: input.incidentId });
    } catch (error) {
      const cause = describeFailure(error);
      throw ApplicationFailure.nonRetryable(`Drafting the post-mortem failed: ${cause.message}`, cause.code);
    }
  }
  progress.draft = draft;
  const result = { incidentId: input.incidentId, ...draft };
  const { postmortemId } = draft;
  if (postmortemId === undefined || !patched(POSTMORTEM_REVIEW_PATCH)) return result;
  return { ...result, review: await followReview({ ...input, postmortemId }, { progress }) };
}

/**
 * Starts the post-mortem workflow of a closing incident when it needs one. Never fails the incident: a
 * duplicate start is the one already running, and any other failure is logged (the manual
 * `firebreak postmortem draft` remains). Runs even when the incident was cancelled (non-cancellable).
 */
export async function startPostmortemAtClose(run: IncidentRun, input: StartIncident): Promise<void> {
  if (!patched(POSTMORTEM_DRAFT_PATCH)) return;
  const { incidentId } = run.state;
  await CancellationScope.nonCancellable(async () => {
    try {
      let reason = postmortemReason(run.state, run.plan, input, []);
      if (reason === undefined && severityApplies(run.plan, input)) {
        const { requiredFor } = await postmortemPolicy();
        reason = postmortemReason(run.state, run.plan, input, requiredFor);
      }
      if (reason === undefined) return;
      await startChild(postmortemWorkflow, {
        workflowId: postmortemWorkflowId(incidentId),
        args: [{ incidentId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Post-mortem of ${incidentId} (${run.plan.title})`,
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      log.warn('the post-mortem workflow did not start', { incidentId, error: describeFailure(error).message });
    }
  });
}
