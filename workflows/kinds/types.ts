/** The contract between the interpreter and one step kind's executor. */
import type { JsonValue, StepKind, StepPlan } from '../../src/domain/plan.js';
import type { CompensationStack } from '../compensations.js';
import type { GateBook } from '../gates.js';
import type { IncidentRun } from '../run.js';

/** What an executor may use: the run, its human gates, and the interpreter itself (for nesting). */
export interface StepContext {
  run: IncidentRun;
  gates: GateBook;
  compensations: CompensationStack;
  runSteps(steps: readonly StepPlan[]): Promise<void>;
  /** Runs work that outlives its step (a repeating message) until the incident closes. */
  background(task: () => Promise<void>): void;
}

/** Runs one kind of step. Throws an `ApplicationFailure` (type = error code) to fail the step. */
export interface StepExecutor<S extends StepPlan = StepPlan> {
  kind: S['kind'];
  /** True when the kind applies the step's `timeout` itself (activity timeouts, gate waits). */
  handlesTimeout: boolean;
  execute(step: S, ctx: StepContext): Promise<JsonValue | undefined>;
}

export type ExecutorFor<K extends StepKind> = StepExecutor<Extract<StepPlan, { kind: K }>>;
