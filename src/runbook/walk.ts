/** Walking the steps of a runbook, raw or parsed, parallel branches included, with their document paths. */
import type { DocPath } from '../diagnostics/located-issue.js';
import {
  kindKeysOf,
  kindOfStep,
  NESTED_STEP_KEYS,
  type AuthoringStep,
  type StepKindDefinition,
} from './kinds/index.js';

/** Visits every raw step object under `steps` (and nested branches), whatever its validity. */
export function forEachRawStep(
  raw: unknown,
  path: DocPath,
  visit: (step: Record<string, unknown>, path: DocPath) => void,
): void {
  if (!Array.isArray(raw)) return;
  raw.forEach((item: unknown, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
    const step = item as Record<string, unknown>;
    const here = [...path, index];
    visit(step, here);
    for (const key of NESTED_STEP_KEYS) forEachRawStep(step[key], [...here, key], visit);
  });
}

/** Visits every parsed step (and nested branches) with its kind; `undefined` entries failed the schema. */
export function forEachParsedStep(
  steps: readonly (AuthoringStep | undefined)[],
  path: DocPath,
  visit: (step: AuthoringStep, path: DocPath, kind: StepKindDefinition) => void,
): void {
  steps.forEach((step, index) => {
    if (step === undefined) return;
    const kind = kindOfStep(step);
    const here = [...path, index];
    visit(step, here, kind);
    if (kind.nestedStepsKey !== undefined) {
      forEachParsedStep(step[kind.nestedStepsKey] as readonly AuthoringStep[], [...here, kind.nestedStepsKey], visit);
    }
  });
}

/** The id of the innermost step a document path points into (`steps[2].parallel[0].with.url` gives the branch). */
export function stepIdAtPath(root: unknown, path: DocPath): string | undefined {
  let current: unknown = root;
  let id: string | undefined;
  let parentKey: string | number | undefined;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') break;
    current = (current as Record<string | number, unknown>)[segment];
    const holdsSteps =
      parentKey === 'steps' || parentKey === 'compensations' || NESTED_STEP_KEYS.includes(String(parentKey));
    if (typeof segment === 'number' && holdsSteps && current !== null && typeof current === 'object') {
      const candidate = (current as Record<string, unknown>).id;
      if (typeof candidate === 'string') id = candidate;
    }
    parentKey = segment;
  }
  return id;
}

/** The kind a raw step names, when it names exactly one available kind. */
export function rawKindOf(step: unknown): StepKindDefinition | undefined {
  const { available, unavailable } = kindKeysOf(step);
  return available.length === 1 && unavailable.length === 0 ? available[0] : undefined;
}
