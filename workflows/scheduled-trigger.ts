/**
 * One run of a schedule. The schedule names a runbook, not a plan: this workflow asks an activity to
 * prepare the incident from the runbook catalog as it is now, starts the incident as a child (abandoned on
 * close, like a dedup claim's), and waits for it to end. Waiting is what makes the schedule's SKIP overlap
 * policy mean "the previous incident is still running". Each step is recorded in the memo, so the schedule
 * can show which incident a run started and how it ended without asking a worker.
 */
import {
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  TerminatedFailure,
  TimeoutFailure,
  upsertMemo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ErrorCode } from '../src/domain/errors.js';
import type { ScheduledRunMemo, ScheduledRunResult, ScheduledTrigger } from '../src/domain/schedule.js';
import {
  KIND_ATTRIBUTE_PATCH,
  kindAttribute,
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
} from '../src/domain/search-attributes.js';
import { describeFailure } from './failures.js';
import { incidentWorkflow } from './incident.js';

// Loading runbooks is local file I/O: quick, and retried a few times in case a file is being replaced.
const { prepareScheduledIncident } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
  summary: 'load the runbook and prepare the incident',
});

/** Starts an incident from the current runbook and waits for it to close; fails when none could start. */
export async function scheduledTriggerWorkflow(input: ScheduledTrigger): Promise<ScheduledRunResult> {
  let prepared: Awaited<ReturnType<typeof prepareScheduledIncident>>;
  try {
    prepared = await prepareScheduledIncident(input);
  } catch (error) {
    const cause = describeFailure(error);
    record({ error: cause.message });
    throw ApplicationFailure.create({
      type: cause.code,
      message: `scheduled run of ${input.runbook} started no incident: ${cause.message}`,
      nonRetryable: true,
    });
  }
  const { incidentId, start } = prepared;
  record({ incidentId, version: start.plan.version, contentHash: start.plan.contentHash });
  const child = await startChild(incidentWorkflow, {
    workflowId: incidentId,
    args: [start],
    // The incident outlives this run if the run is ended from outside.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: `${start.plan.title} (${start.plan.runbookId} v${start.plan.version})`,
    typedSearchAttributes: [
      { key: RUNBOOK_ATTRIBUTE, value: start.plan.runbookId },
      { key: SEVERITY_ATTRIBUTE, value: start.severity ?? start.plan.severity },
      { key: STATUS_ATTRIBUTE, value: 'running' },
      ...(patched(KIND_ATTRIBUTE_PATCH) ? [kindAttribute(start.plan)] : []),
    ],
  });
  const status = await outcome(child);
  record({ status });
  return { incidentId, status };
}

function record(memo: ScheduledRunMemo): void {
  upsertMemo({ ...memo });
}

/** How the incident ended: its own status, or how it was stopped. */
async function outcome(child: ChildWorkflowHandle<typeof incidentWorkflow>): Promise<string> {
  try {
    return (await child.result()).status;
  } catch (error) {
    if (!(error instanceof ChildWorkflowFailure)) throw error;
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === ErrorCode.Aborted) return 'aborted';
    if (cause instanceof CancelledFailure) return 'cancelled';
    if (cause instanceof TerminatedFailure) return 'terminated';
    if (cause instanceof TimeoutFailure) return 'timed_out';
    return 'failed';
  }
}
