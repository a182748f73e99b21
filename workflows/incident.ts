/**
 * The incident workflow: one run is one incident. It receives a frozen plan, runs its steps, keeps the
 * deadline clocks, answers the `state` query, takes human commands as Updates, and on abort unwinds the
 * compensations. Reads top to bottom like the runbook it runs.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ErrorCode } from '../src/domain/errors.js';
import type { JsonValue } from '../src/domain/plan.js';
import {
  SYSTEM_ACTOR,
  type Actor,
  type CancelIncident,
  type CommandResult,
  type IncidentState,
  type SetFact,
} from '../src/domain/state.js';
import { registerAlertHandlers } from './alerts.js';
import { CompensationStack } from './compensations.js';
import { runDeadlines, settleDeadlines } from './deadlines.js';
import { runSteps } from './engine.js';
import { recordFact, validateFact } from './facts.js';
import { describeFailure } from './failures.js';
import { GateBook, refuse, type Gate } from './gates.js';
import type { StepContext } from './kinds/types.js';
import {
  cancelIncidentUpdate,
  castVoteUpdate,
  completeTaskUpdate,
  recordDecisionUpdate,
  setFactUpdate,
  stateQuery,
  type IncidentResult,
  type StartIncident,
} from './definitions.js';
import { startPostmortemAtClose } from './postmortem.js';
import { IncidentRun } from './run.js';

const { cancelRequest } = proxyActivities<Activities>({
  startToCloseTimeout: 10_000,
  retry: { maximumAttempts: 3 },
  summary: 'read who cancelled from the history',
});

/** Who cancelled from Temporal is looked up in the history (issue 10, finding 7). */
const CANCEL_IDENTITY_PATCH = 'cancel-records-identity';

/** Runs one incident from its frozen plan. Fails with `ABORTED` when a step aborts the run. */
export async function incidentWorkflow(input: StartIncident): Promise<IncidentResult> {
  const run = new IncidentRun(input);
  const gates = new GateBook(run);
  const compensations = new CompensationStack(run);
  const main = new CancellationScope();
  const cancel: CancelRecord = {};
  registerHandlers(run, gates, main, cancel);

  run.event('incident.started', `${run.plan.title} (runbook ${run.plan.runbookId} v${run.plan.version})`, {
    actor: input.triggeredBy,
    data: {
      severity: run.state.severity,
      contentHash: run.plan.contentHash,
      ...(input.parent ? { parent: input.parent } : {}),
    },
  });
  const clocks = new CancellationScope();
  clocks.run(() => runDeadlines(run)).catch(ignoreCancellation);

  // Work that outlives its step (repeating messages) stops when the incident closes.
  const background = new CancellationScope();
  const ctx: StepContext = {
    run,
    gates,
    compensations,
    runSteps: (steps) => runSteps(ctx, steps),
    background: (task) => void background.run(task).catch((error: unknown) => backgroundFailed(run, error)),
  };
  let failure: ApplicationFailure | undefined;
  try {
    await main.run(() => runSteps(ctx, run.plan.steps));
    run.setStatus('completed');
    run.event('incident.completed', 'All steps finished');
  } catch (error) {
    if (isCancellation(error)) {
      const by = cancel.by ?? (await cancelledFromTemporal(run));
      run.setStatus('cancelled');
      run.event('incident.cancelled', 'The incident run was cancelled; compensations were not run', {
        actor: by.actor,
        ...(by.data ? { data: by.data } : {}),
      });
    } else {
      failure = await abort(run, compensations, error);
    }
  } finally {
    clocks.cancel();
    background.cancel();
    settleDeadlines(run);
  }
  // Let an Update that resolved the last gate return to its caller before the run closes.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  // Every Update has returned: the state is final, and the post-mortem is drafted from it.
  await startPostmortemAtClose(run, input);
  if (failure) throw failure;
  return result(run);
}

/** Unwinds compensations and builds the failure the workflow ends with. */
async function abort(run: IncidentRun, compensations: CompensationStack, error: unknown): Promise<ApplicationFailure> {
  const cause = describeFailure(error);
  run.state.error = cause;
  run.event('incident.aborting', `Aborting: ${cause.message}`, { data: { code: cause.code } });
  const failed = await compensations.unwind();
  run.setStatus('aborted');
  const suffix =
    failed.length === 0 ? '' : `; ${failed.length} compensation(s) failed: ${failed.map((f) => f.id).join(', ')}`;
  run.event('incident.aborted', `${cause.message}${suffix}`);
  return ApplicationFailure.nonRetryable(`${cause.message}${suffix}`, ErrorCode.Aborted, {
    incidentId: run.state.incidentId,
    failedCompensations: failed.map((f) => f.id),
  });
}

function result(run: IncidentRun): IncidentResult {
  return {
    incidentId: run.state.incidentId,
    status: run.state.status,
    facts: Object.fromEntries(Object.entries(run.state.facts).map(([name, fact]) => [name, fact.value])),
    steps: Object.fromEntries(run.state.steps.map((step) => [step.id, step.status])),
  };
}

function backgroundFailed(run: IncidentRun, error: unknown): void {
  if (isCancellation(error)) return;
  const cause = describeFailure(error);
  run.event('background.failed', `Background work stopped: ${cause.message}`, { data: { code: cause.code } });
}

function ignoreCancellation(error: unknown): void {
  if (!isCancellation(error)) throw error;
}

/** Who cancelled the run, when the cancel came through Firebreak (the `cancelIncident` Update). */
interface CancelRecord {
  by?: { actor: Actor; data?: JsonValue };
}

/**
 * Who cancelled the run when the cancel came straight from Temporal (its UI, CLI or another client): the
 * workflow is not told, so an activity reads the identity from the cancel request in the history. Runs
 * that started before this record `system`, as they did.
 */
async function cancelledFromTemporal(run: IncidentRun): Promise<{ actor: Actor | string; data?: JsonValue }> {
  if (!patched(CANCEL_IDENTITY_PATCH)) return { actor: SYSTEM_ACTOR };
  const { incidentId } = run.state;
  try {
    const request = await CancellationScope.nonCancellable(() =>
      cancelRequest({ incidentId, runId: workflowInfo().runId }),
    );
    const data: JsonValue = { via: 'temporal', ...(request.reason ? { reason: request.reason } : {}) };
    return { actor: { id: request.identity, source: 'temporal' }, data };
  } catch (error) {
    const cause = describeFailure(error);
    return { actor: { id: 'temporal', source: 'temporal' }, data: { via: 'temporal', lookupFailed: cause.message } };
  }
}

/** Wires the query and every Update. Validators refuse before anything reaches history. */
function registerHandlers(run: IncidentRun, gates: GateBook, main: CancellationScope, cancel: CancelRecord): void {
  setHandler(stateQuery, (): IncidentState => run.state);

  const gateCommand = <C extends { actor: Actor }>(find: (command: C) => Gate<C>) => ({
    validator: (command: C): void => {
      requireRunning(run);
      const gate = find(command);
      gate.validate(command, gates.authorize(gate, command.actor));
    },
    handler: (command: C): CommandResult => {
      const gate = find(command);
      gate.apply(command, gates.authorize(gate, command.actor));
      return { ok: true, message: `${gate.step} updated` };
    },
  });
  const task = gateCommand((command: { actor: Actor; step: string }) => gates.find('task', command.step));
  setHandler(completeTaskUpdate, task.handler, { validator: task.validator });
  const decision = gateCommand((command: { actor: Actor; decision: string }) => gates.findDecision(command.decision));
  setHandler(recordDecisionUpdate, decision.handler, { validator: decision.validator });
  const vote = gateCommand((command: { actor: Actor; step: string }) => gates.find('approval', command.step));
  setHandler(castVoteUpdate, vote.handler, { validator: vote.validator });

  setHandler(
    setFactUpdate,
    (command) => {
      recordFact(
        run,
        command.name,
        { value: command.value, ...(command.confirmed === undefined ? {} : { confirmed: command.confirmed }) },
        command.actor,
      );
      return { ok: true, message: `${command.name} set` };
    },
    {
      validator: (command: SetFact) => {
        requireRunning(run);
        requireRole(run, command.actor);
        validateFact(run, command.name, command.value);
      },
    },
  );
  registerAlertHandlers(run);
  setHandler(
    cancelIncidentUpdate,
    (command) => {
      run.event('incident.cancel_requested', `Cancel requested: ${command.reason}`, { actor: command.actor });
      cancel.by = { actor: command.actor, data: { reason: command.reason } };
      main.cancel();
      return { ok: true, message: 'cancelling' };
    },
    {
      validator: (command: CancelIncident) => {
        requireRunning(run);
        requireCancelRole(run, command.actor);
        if (typeof command.reason !== 'string' || command.reason.trim() === '') {
          refuse(ErrorCode.InvalidInput, 'A cancel needs a reason');
        }
      },
    },
  );
}

function requireRunning(run: IncidentRun): void {
  if (run.state.status !== 'running') refuse(ErrorCode.Conflict, `The incident is ${run.state.status}`);
}

/**
 * Who may cancel: the runbook's `cancel.roles`; without them `commander` when the runbook declares it,
 * else any role holder (drill runbooks with one role).
 */
export function cancelRoles(run: IncidentRun): string[] | undefined {
  if (run.plan.cancel !== undefined) return [...run.plan.cancel.roles];
  return Object.hasOwn(run.plan.roles, 'commander') ? ['commander'] : undefined;
}

function requireCancelRole(run: IncidentRun, actor: Actor): void {
  requireRole(run, actor);
  const roles = cancelRoles(run);
  if (roles === undefined || run.rolesOf(actor).some((role) => roles.includes(role))) return;
  refuse(
    ErrorCode.Forbidden,
    `${actor.id} may not cancel this incident: it needs ${roles.map((role) => `role:${role}`).join(' or ')}`,
  );
}

function requireRole(run: IncidentRun, actor: Actor): void {
  if (run.rolesOf(actor).length === 0) refuse(ErrorCode.Forbidden, `${actor.id} holds no role in this incident`);
}
