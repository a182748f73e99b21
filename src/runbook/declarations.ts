/**
 * The names a runbook declares (params, roles, facts, decisions, step and compensation ids), collected
 * once so that every reference check and every expression check reads the same set.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { createExpressionEnvironment, type ExpressionDeclarations } from '../domain/expressions.js';
import type { DocPath } from '../diagnostics/located-issue.js';
import type { AuthoringStep } from './kinds/index.js';
import type { ParsedRunbook } from './parse.js';
import { forEachParsedStep, forEachRawStep, rawKindOf } from './walk.js';

/** Where a decision is declared, and whether it has options (then it is a string, else a timestamp). */
export interface DecisionDeclaration {
  hasOptions: boolean;
  options?: string[];
  stepId: string;
  path: DocPath;
}

/** Everything a runbook declares, plus the expression environment built from it. */
export interface RunbookDeclarations {
  decisions: Map<string, DecisionDeclaration>;
  /** Ids of steps and parallel branches (what `steps[...]` and `metBy` may name). */
  stepIds: Set<string>;
  compensationIds: Set<string>;
  /** Facts that some step records (a task's `sets`), read from the raw document so broken steps count. */
  factsSet: Set<string>;
  expressions: ExpressionDeclarations;
  env: Environment;
}

/** Collects the declarations of a parsed runbook; a decision declared twice keeps its first declaration. */
export function collectDeclarations(parsed: ParsedRunbook): RunbookDeclarations {
  const { parts, source } = parsed;
  const raw = source.value as Record<string, unknown> | null;
  const stepIds = new Set<string>();
  const factsSet = new Set<string>();
  forEachRawStep(raw?.steps, ['steps'], (step) => {
    if (typeof step.id === 'string') stepIds.add(step.id);
    for (const fact of rawKindOf(step)?.factsSet(step as AuthoringStep) ?? []) factsSet.add(fact);
  });
  const compensationIds = new Set<string>();
  forEachRawStep(raw?.compensations, ['compensations'], (step) => {
    if (typeof step.id === 'string') compensationIds.add(step.id);
  });
  const decisions = new Map<string, DecisionDeclaration>();
  forEachParsedStep(parts.steps, ['steps'], (step, path, kind) => {
    const declared = kind.decision(step);
    if (declared === undefined || decisions.has(declared.name)) return;
    const entry: DecisionDeclaration = { hasOptions: declared.options !== undefined, stepId: step.id, path };
    if (declared.options !== undefined) entry.options = declared.options;
    decisions.set(declared.name, entry);
  });
  const decisionTypes: Record<string, boolean> = Object.fromEntries(parsed.salvagedDecisions);
  for (const [name, entry] of decisions) decisionTypes[name] = entry.hasOptions;
  // Names that failed the schema may not be valid CEL field names: only valid ones enter the environment.
  const expressions: ExpressionDeclarations = {
    params: pickNames(parts.params, IDENTIFIER),
    facts: pickNames(parts.facts, IDENTIFIER),
    decisions: pickNames(decisionTypes, IDENTIFIER),
    stepIds: [...stepIds].filter((id) => STEP_ID.test(id)),
  };
  return {
    decisions,
    stepIds,
    compensationIds,
    factsSet,
    expressions,
    env: createExpressionEnvironment(expressions),
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]*$/;

function pickNames<T>(record: Record<string, T>, pattern: RegExp): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => pattern.test(name)));
}
