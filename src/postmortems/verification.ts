/**
 * How an action item's verification run is judged and recorded. **The rule**: the run passes when its
 * incident completed and none of its steps failed or timed out. "Completed" alone is not enough: a drill's
 * `drill.record` step fails with DRILL_FAILED when the drill failed, and the runbook continues past it (to
 * alert), so the incident completes all the same. An incident that failed, was aborted or was cancelled
 * fails the verification. Pure: the watcher's activities read the incident and the item and call these.
 */
import type { IncidentState, StepState } from '../domain/state.js';
import { STORE_LIMITS } from './store/limits.js';
import type { ActionItem, ActionItemPatch, VerificationRun } from './store/types.js';

/** How a verification run ended, and why, in words for the item's reason and the owner's page. */
export interface VerificationOutcome {
  result: 'passed' | 'failed';
  reason: string;
}

const FAILED_STEP = new Set(['failed', 'timed_out']);

/** Judges a closed incident by the rule above. */
export function verificationOutcome(
  state: Pick<IncidentState, 'incidentId' | 'status' | 'steps' | 'error'>,
): VerificationOutcome {
  if (state.status !== 'completed') {
    const error = state.error === undefined ? '' : `: ${state.error.code}: ${state.error.message}`;
    return {
      result: 'failed',
      reason: `the incident ${state.status === 'running' ? 'is still running' : state.status}${error}`,
    };
  }
  const failed = state.steps.filter((step) => FAILED_STEP.has(step.status));
  const [first, ...others] = failed;
  if (first === undefined) return { result: 'passed', reason: 'the incident completed with no failed step' };
  const code = (step: StepState) => step.error?.code ?? step.status.replace('_', ' ');
  const why = first.error === undefined ? code(first) : `${first.error.code}: ${first.error.message}`;
  const also =
    others.length === 0 ? '' : `; also failed: ${others.map((step) => `${step.id} (${code(step)})`).join(', ')}`;
  return { result: 'failed', reason: `step ${first.id} (${first.title}) failed: ${why}${also}` };
}

/** The incidents of the item's runs still `pending`: started, with no `passed` or `failed` run of the same incident. */
export function unsettledRuns(item: Pick<ActionItem, 'runs'>): string[] {
  const settled = new Set(item.runs.filter((run) => run.result !== 'pending').map((run) => run.incidentId));
  const pending = item.runs.filter((run) => run.result === 'pending' && !settled.has(run.incidentId));
  return [...new Set(pending.map((run) => run.incidentId))];
}

/** What settling a run does to the item as it is now. */
export type Settlement =
  /** The run was settled before (a retry of the write that did it): nothing to write. */
  | { action: 'already'; result: 'passed' | 'failed' }
  /** Write `patch` and `run` on the item's current version. */
  | {
      action: 'verified' | 'reopened' | 'recorded';
      result: 'passed' | 'failed';
      patch: ActionItemPatch;
      run: VerificationRun;
    };

/**
 * Decides how to record `outcome` of the run of `incidentId` on the item as it is now (re-decided on the
 * fresh item after a CONFLICT). A `done` item turns `verified` when the run passed, and is reopened (`open`,
 * the reason naming the incident and why) when it failed. An item someone moved meanwhile (reopened, won't-do)
 * keeps its status: the run is recorded, nothing else changes.
 */
export function settle(item: ActionItem, incidentId: string, outcome: VerificationOutcome, at: string): Settlement {
  const earlier = item.runs.find((run) => run.incidentId === incidentId && run.result !== 'pending');
  if (earlier !== undefined) return { action: 'already', result: earlier.result === 'passed' ? 'passed' : 'failed' };
  const run: VerificationRun = { incidentId, result: outcome.result, at };
  if (item.status !== 'done') return { action: 'recorded', result: outcome.result, patch: {}, run };
  if (outcome.result === 'passed') return { action: 'verified', result: 'passed', patch: { status: 'verified' }, run };
  const reason = clip(`verification incident ${incidentId} failed: ${outcome.reason}`, STORE_LIMITS.reasonChars);
  return { action: 'reopened', result: 'failed', patch: { status: 'open', statusReason: reason }, run };
}

/** Whether a settled run pages the owner: a failure, unless the item has been closed as won't-do. */
export function pagesOwner(item: Pick<ActionItem, 'status'>, result: 'passed' | 'failed'): boolean {
  return result === 'failed' && item.status !== 'wont-do';
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
