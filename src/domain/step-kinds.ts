/**
 * What shared code needs to know about each kind of compiled step, in one table: the steps it nests, the
 * decision it records, the gate people act on it through, and whether it carries a message. Shared code
 * (the workflow's run state and gates, the CLI, the incident client) asks here instead of comparing
 * `step.kind` with a name. Workflow-safe: plain data, no zod, no Node.
 */
import type { NotifyStep, PostmortemStep, StepKind, StepPlan } from './plan.js';
import { own } from './own.js';

/** The human gates a step can open; the `completeTask`, `recordDecision` and `castVote` Updates find them. */
export const GATE_KINDS = ['task', 'decision', 'approval'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/** One kind's traits; each hook is only called with steps of that kind. */
interface StepKindTraits<S extends StepPlan> {
  /** Steps nested in this one (a parallel step's branches). */
  children?(step: S): readonly StepPlan[];
  /** The name of the decision this step records. */
  decision?(step: S): string;
  /** The gate people act on the step through, when it waits for people. */
  gate?: GateKind;
  /** The step has a message (rendered, approved, sent): only `notify` steps, which `isMessageStep` narrows to. */
  message?: S extends NotifyStep ? true : never;
  /** The step says the incident needs a post-mortem: only `postmortem` steps, which `isPostmortemStep` narrows to. */
  postmortem?: S extends PostmortemStep ? true : never;
}

const TRAITS: { readonly [K in StepKind]: StepKindTraits<Extract<StepPlan, { kind: K }>> } = {
  action: {},
  task: { gate: 'task' },
  decision: { decision: (step) => step.decision, gate: 'decision' },
  approval: { gate: 'approval' },
  // A message is voted on through the same gate kind as an approval step (the `castVote` Update).
  notify: { gate: 'approval', message: true },
  parallel: { children: (step) => step.branches },
  runbook: {},
  wait: {},
  postmortem: { postmortem: true },
};

/** The traits of a kind; none for a kind this release does not know (a state written by a newer one). */
function traitsOf(kind: string): StepKindTraits<StepPlan> {
  return own<StepKindTraits<StepPlan>>(TRAITS, kind) ?? {};
}

/** The steps nested in a step (a parallel step's branches); none for most kinds. */
export function childrenOf(step: StepPlan): readonly StepPlan[] {
  return traitsOf(step.kind).children?.(step) ?? [];
}

/** The name of the decision a step records, or undefined when it records none. */
export function decisionOf(step: StepPlan): string | undefined {
  return traitsOf(step.kind).decision?.(step);
}

/** The gate a step of this kind opens for people, or undefined when it waits for nobody. */
export function gateKindOf(kind: StepKind): GateKind | undefined {
  return traitsOf(kind).gate;
}

/** Whether steps of this kind carry a message (rendered, approved and sent). */
export function carriesMessage(kind: StepKind): boolean {
  return traitsOf(kind).message === true;
}

/** Whether a step carries a message; narrows it to the step type that holds one. */
export function isMessageStep(step: StepPlan): step is NotifyStep {
  return carriesMessage(step.kind);
}

/** Whether a step says the incident needs a post-mortem; narrows it to the step type that says who runs it. */
export function isPostmortemStep(step: StepPlan): step is PostmortemStep {
  return traitsOf(step.kind).postmortem === true;
}

/** Visits every step of a plan, nested steps included (parallel branches), depth first in runbook order. */
export function forEachStep(steps: readonly StepPlan[], visit: (step: StepPlan) => void): void {
  for (const step of steps) {
    visit(step);
    forEachStep(childrenOf(step), visit);
  }
}
