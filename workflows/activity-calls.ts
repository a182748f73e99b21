/**
 * How the workflow calls an action: the `runAction` activity with the step's timeout and retry policy.
 * Shared by `action` steps, compensations and (for the retry policy) child-runbook steps.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_CODES } from '../src/domain/errors.js';
import type { ActionStep, JsonValue, RetryPlan } from '../src/domain/plan.js';
import type { IncidentRun } from './run.js';

/** When a step gives no timeout: long enough for a slow API or a script, short enough to notice. */
const DEFAULT_ACTION_TIMEOUT_MS = 10 * 60_000;
/** When a step gives no retry: a broken URL must not be retried forever (Temporal's default). */
const DEFAULT_MAX_ATTEMPTS = 3;
/** Activities heartbeat while they run, so a dead worker's attempt is retried within this, not at its timeout. */
const HEARTBEAT_TIMEOUT_MS = 30_000;

/** Runs an action step (or a compensation) through the `runAction` activity and returns its output. */
export async function runAction(run: IncidentRun, step: ActionStep): Promise<JsonValue> {
  const input = run.interpolateInput(step.with);
  const { runAction: activity } = proxyActivities<Activities>(activityOptions(step));
  const result = await activity({
    incidentId: run.state.incidentId,
    runbook: run.plan.runbookId,
    stepId: step.id,
    action: step.action,
    with: input.value,
    ...(input.secrets.length === 0 ? {} : { secrets: input.secrets }),
    ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
    maxAttempts: step.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  });
  if (result.note !== undefined) run.event('note', result.note, { step: step.id });
  return result.output;
}

/** The activity options of an action step: its timeout (retries included), heartbeats and retry policy. */
function activityOptions(step: ActionStep): ActivityOptions {
  const timeout = step.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
  return {
    startToCloseTimeout: timeout,
    // The step's timeout bounds the whole step, retries included.
    ...(step.timeoutMs === undefined ? {} : { scheduleToCloseTimeout: step.timeoutMs }),
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: retryPolicy(step.retry),
    summary: `${step.id}: ${step.action}`,
  };
}

/** The Temporal retry policy for a step's `retry:` (actions, and child-runbook steps). */
export function retryPolicy(retry: RetryPlan | undefined): NonNullable<ActivityOptions['retry']> {
  return {
    maximumAttempts: retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    initialInterval: retry?.initialIntervalMs ?? 1_000,
    backoffCoefficient: retry?.backoffCoefficient ?? 2,
    ...(retry?.maximumIntervalMs === undefined ? {} : { maximumInterval: retry.maximumIntervalMs }),
    nonRetryableErrorTypes: [...NON_RETRYABLE_CODES],
  };
}
