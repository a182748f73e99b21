/**
 * Post-mortems from the workflow side. `startPostmortemAtClose` runs as an incident closes: when the
 * incident needs a post-mortem (`src/domain/postmortem.ts`), it starts `postmortemWorkflow` as an abandoned
 * child, whose id (`postmortem:<incident>`) makes it one per incident. `postmortemWorkflow` drafts the
 * post-mortem through an activity (the store is reached only through activities); review timers will join
 * it later, which is why drafting is a workflow of its own and not an activity of the incident.
 */
import {
  ApplicationFailure,
  CancellationScope,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, DraftPostmortemResult } from '../activities/index.js';
import {
  POSTMORTEM_DRAFT_PATCH,
  postmortemReason,
  postmortemWorkflowId,
  severityApplies,
} from '../src/domain/postmortem.js';
import type { StartIncident } from './definitions.js';
import { describeFailure } from './failures.js';
import type { IncidentRun } from './run.js';

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

/** What starts a post-mortem workflow. */
export interface StartPostmortem {
  incidentId: string;
}

/** What a post-mortem workflow returns: the post-mortem drafted (or found), and why. */
export interface PostmortemWorkflowResult extends DraftPostmortemResult {
  incidentId: string;
}

/** Drafts the closed incident's post-mortem (idempotent: a second run finds the first draft). */
export async function postmortemWorkflow(input: StartPostmortem): Promise<PostmortemWorkflowResult> {
  try {
    return { incidentId: input.incidentId, ...(await draftPostmortem({ incidentId: input.incidentId })) };
  } catch (error) {
    const cause = describeFailure(error);
    throw ApplicationFailure.nonRetryable(`Drafting the post-mortem failed: ${cause.message}`, cause.code);
  }
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
