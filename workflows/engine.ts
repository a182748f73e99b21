/**
 * The interpreter loop: steps run in order; each step's common fields (`when`, `timeout`, `onFailure`,
 * `compensate`) are handled here once, and the kind-specific work is delegated to the kind's executor.
 */
import { ApplicationFailure, CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { formatDuration } from '../src/domain/duration.js';
import { ErrorCode } from '../src/domain/errors.js';
import type { JsonValue, StepPlan } from '../src/domain/plan.js';
import type { StepError } from '../src/domain/state.js';
import { describeFailure } from './failures.js';
import { executorFor } from './kinds/index.js';
import type { StepContext } from './kinds/types.js';
import { now } from './run.js';

/** Runs steps in order. Throws an `ABORTED` failure when a step fails and the runbook says to abort. */
export async function runSteps(ctx: StepContext, steps: readonly StepPlan[]): Promise<void> {
  for (const step of steps) await runStep(ctx, step);
}

async function runStep(ctx: StepContext, step: StepPlan): Promise<void> {
  const { run } = ctx;
  // The title is interpolated again as the step is reached, with the facts and decisions of the moment.
  const title = run.retitle(step);
  if (step.when !== undefined && !shouldRun(ctx, step, step.when)) return;
  run.updateStep(step.id, { status: 'running', startedAt: now() });
  run.event('step.started', title, { step: step.id });
  try {
    const output = await execute(ctx, step);
    run.updateStep(step.id, { status: 'succeeded', endedAt: now(), ...(output === undefined ? {} : { output }) });
    run.event('step.succeeded', title, { step: step.id });
    if (step.compensate !== undefined) ctx.compensations.push(step.compensate, step.id);
  } catch (error) {
    if (isCancellation(error)) {
      run.updateStep(step.id, { status: 'cancelled', endedAt: now() });
      run.removePending(step.id);
      throw error;
    }
    const failure = describeFailure(error);
    failStep(ctx, step, failure);
    // A group whose failed branches continued did run: what it did may still need undoing, as before.
    if (failure.code === ErrorCode.BranchesFailed && step.compensate !== undefined) {
      ctx.compensations.push(step.compensate, step.id);
    }
  }
}

/** Evaluates `when`; a false condition skips the step, an error fails it. */
function shouldRun(ctx: StepContext, step: StepPlan, when: string): boolean {
  let go: boolean;
  try {
    go = ctx.run.condition(when);
  } catch (error) {
    failStep(ctx, step, describeFailure(error));
    return false;
  }
  if (!go) {
    ctx.run.updateStep(step.id, { status: 'skipped', endedAt: now() });
    ctx.run.event('step.skipped', `${ctx.run.titleOf(step.id)} (when: ${when} is false)`, { step: step.id });
  }
  return go;
}

/** Records a failure and, unless the step says `onFailure: continue`, aborts the run. */
function failStep(ctx: StepContext, step: StepPlan, error: StepError): void {
  const status = error.code === ErrorCode.Timeout ? 'timed_out' : 'failed';
  ctx.run.updateStep(step.id, { status, endedAt: now(), error });
  ctx.run.event('step.failed', `${ctx.run.titleOf(step.id)}: ${error.message}`, { step: step.id, data: { code: error.code } });
  // An ABORTED failure (approval `onTimeout: abort`, or an aborting branch) ends the run regardless; a
  // group whose branches failed and said to continue goes on, whatever the group's own `onFailure`.
  if (error.code === ErrorCode.Aborted || (step.onFailure === 'abort' && error.code !== ErrorCode.BranchesFailed)) {
    const message = error.code === ErrorCode.Aborted ? error.message : `Step ${step.id} failed: ${error.message}`;
    throw ApplicationFailure.nonRetryable(message, ErrorCode.Aborted, { step: step.id, code: error.code });
  }
}

/** Runs the kind's executor, applying the step timeout here unless the kind applies it itself. */
async function execute(ctx: StepContext, step: StepPlan): Promise<JsonValue | undefined> {
  const executor = executorFor(step);
  const timeoutMs = step.timeoutMs;
  if (timeoutMs === undefined || executor.handlesTimeout) return executor.execute(step, ctx);
  let timedOut = false;
  const scope = new CancellationScope();
  const timerScope = new CancellationScope();
  const timer = timerScope.run(async () => {
    await sleep(timeoutMs, { summary: `${step.id}: timeout after ${formatDuration(timeoutMs)}` });
    timedOut = true;
    scope.cancel();
  });
  // The timer is cancelled when the step finishes first; that rejection is expected.
  timer.catch(() => undefined);
  try {
    return await scope.run(() => executor.execute(step, ctx));
  } catch (error) {
    if (timedOut && isCancellation(error)) {
      throw ApplicationFailure.nonRetryable(
        `${step.id} did not finish within ${formatDuration(timeoutMs)}`,
        ErrorCode.Timeout,
      );
    }
    throw error;
  } finally {
    if (!timedOut) timerScope.cancel();
  }
}
