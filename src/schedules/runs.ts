/**
 * What a schedule's runs did, read from each run's workflow description: its status and the memo it
 * keeps (the incident it started, the runbook version, how the incident ended, or why none started).
 * Reading a description needs no worker, so a schedule shows its runs even while workers are down.
 */
import { WorkflowNotFoundError, type Client, type ScheduleExecutionResult } from '@temporalio/client';
import { ScheduledRunMemoSchema, type ScheduleRun } from './schema.js';

/** Describes one run a schedule took. */
export async function readRun(client: Client, action: ScheduleExecutionResult): Promise<ScheduleRun> {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  const base = { workflowId, scheduledAt: action.scheduledAt.toISOString(), startedAt: action.takenAt.toISOString() };
  try {
    // The run id matters: two runs triggered in the same second share a workflow id.
    const description = await client.workflow.getHandle(workflowId, firstExecutionRunId).describe();
    const status = description.status.name.toLowerCase();
    const parsed = ScheduledRunMemoSchema.safeParse(description.memo ?? {});
    const memo = parsed.success ? parsed.data : {};
    const incidentStatus =
      memo.status ?? (memo.incidentId !== undefined && status === 'running' ? 'running' : undefined);
    return {
      ...base,
      status,
      ...(memo.incidentId === undefined ? {} : { incidentId: memo.incidentId }),
      ...(incidentStatus === undefined ? {} : { incidentStatus }),
      ...(memo.version === undefined ? {} : { version: memo.version }),
      ...(memo.error === undefined ? {} : { error: memo.error }),
    };
  } catch (error) {
    // Past the namespace's retention, a closed run is gone: the schedule still lists it.
    if (error instanceof WorkflowNotFoundError) return { ...base, status: 'unknown' };
    throw error;
  }
}

/** Describes several runs, in the order given. */
export function readRuns(client: Client, actions: readonly ScheduleExecutionResult[]): Promise<ScheduleRun[]> {
  return Promise.all(actions.map((action) => readRun(client, action)));
}
