/**
 * The step-kind registry: the one list of kinds, the step schema built from it, and lookups from a step
 * (authored or compiled) to its kind. Adding a kind means adding a file and a line here.
 */
import { z } from 'zod';
import type { StepPlan } from '../../domain/plan.js';
import { actionKind } from './action.js';
import { approvalKind } from './approval.js';
import { decisionKind } from './decision.js';
import { notifyKind } from './notify.js';
import { createParallelKind } from './parallel.js';
import { postmortemKind } from './postmortem.js';
import { runbookKind } from './runbook.js';
import { taskKind } from './task.js';
import type { AuthoringStep, StepKindDefinition } from './types.js';
import { UNAVAILABLE_KINDS, type UnavailableKind } from './unavailable.js';
import { waitKind } from './wait.js';

/** A step of any kind; parallel branches nest through it. */
export const StepSchema: z.ZodType<AuthoringStep> = z.lazy(() => StepUnion);

/** Every kind this release runs, in the order the format lists them. */
export const STEP_KIND_REGISTRY: readonly StepKindDefinition[] = [
  actionKind,
  taskKind,
  decisionKind,
  approvalKind,
  notifyKind,
  createParallelKind(StepSchema),
  runbookKind,
  waitKind,
  postmortemKind,
];

const StepUnion = z
  .union(STEP_KIND_REGISTRY.map((kind) => kind.schema) as [z.ZodType<AuthoringStep>, ...z.ZodType<AuthoringStep>[]])
  .meta({ id: 'Step', description: 'One step: the common fields and exactly one kind.' });

const byPlanKind = new Map<string, StepKindDefinition>(STEP_KIND_REGISTRY.map((kind) => [kind.planKind, kind]));

/** The kind keys present on a raw step object, available or not, in registry order. */
export function kindKeysOf(raw: unknown): { available: StepKindDefinition[]; unavailable: UnavailableKind[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { available: [], unavailable: [] };
  return {
    available: STEP_KIND_REGISTRY.filter((kind) => kind.key in raw),
    unavailable: UNAVAILABLE_KINDS.filter((kind) => kind.key in raw),
  };
}

/** The kind of a parsed step (exactly one kind key is present once the schema accepted it). */
export function kindOfStep(step: AuthoringStep): StepKindDefinition {
  const [kind] = kindKeysOf(step).available;
  if (!kind) throw new Error(`step ${step.id} has no kind`);
  return kind;
}

/** The kind of a compiled step. */
export function kindOfPlanStep(step: StepPlan): StepKindDefinition {
  const kind = byPlanKind.get(step.kind);
  if (!kind) throw new Error(`no step kind registered for ${step.kind}`);
  return kind;
}

/** The field names that hold nested steps (`parallel`), for walking raw documents. */
export const NESTED_STEP_KEYS: readonly string[] = STEP_KIND_REGISTRY.flatMap((kind) =>
  kind.nestedStepsKey === undefined ? [] : [kind.nestedStepsKey],
);

export type { AuthoringStep, StepKindDefinition } from './types.js';
export { UNAVAILABLE_KINDS } from './unavailable.js';
