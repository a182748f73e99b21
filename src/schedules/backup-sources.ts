/**
 * A schedule's runbook names backup sources through its backup actions' `source` input, usually from a
 * param (`source: "${{ params.source }}"`). When the schedule is created, every such source that can be
 * known then (a literal, or a param given or defaulted) must be configured under `backups` of the config
 * the API runs with, so a missing source is refused at creation instead of failing the first run.
 */
import type { ActionSpec } from '../actions/types.js';
import { backupActionSpecs } from '../actions/backup/index.js';
import type { BackupsConfig } from '../config/backups-schema.js';
import { hasOwn, own } from '../domain/own.js';
import type { ActionStep, JsonValue, Plan } from '../domain/plan.js';
import { forEachStep } from '../domain/step-kinds.js';
import type { ScheduleProblem } from './spec.js';

const PARAM_REFERENCE = /^\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** Problems with the sources the plan's backup actions will name with the schedule's params and the defaults. */
export function checkBackupSources(
  plan: Plan,
  given: Readonly<Record<string, JsonValue>>,
  backups: BackupsConfig | undefined,
  specs: readonly ActionSpec[] = backupActionSpecs,
): ScheduleProblem[] {
  const params: Record<string, JsonValue> = {};
  for (const [name, param] of Object.entries(plan.params))
    if (param.default !== undefined) params[name] = param.default;
  for (const [name, value] of Object.entries(given)) params[name] = value;
  const problems = new Map<string, ScheduleProblem>();
  const visit = (step: ActionStep): void => {
    const sections = specs.find((spec) => spec.name === step.action)?.backupSources;
    const written = own(step.with, 'source');
    if (sections === undefined || typeof written !== 'string') return;
    const named = sourceNamed(written, params);
    if (named === undefined || sections.some((section) => hasOwn(backups?.[section] ?? {}, named.source))) return;
    const where = sections.map((section) => `backups.${section}`).join(' or ');
    const configured = sections.flatMap((section) => Object.keys(backups?.[section] ?? {})).join(', ') || 'none';
    problems.set(named.path, {
      path: named.path,
      message:
        `backup source \`${named.source}\` is not configured: step ${step.id} (${step.action}) needs it under ` +
        `${where} in the config the server runs with (configured: ${configured})`,
    });
  };
  forEachStep(plan.steps, (step) => step.kind === 'action' && visit(step));
  for (const compensation of Object.values(plan.compensations)) visit(compensation);
  return [...problems.values()];
}

/** The source a `source` input names, and where it was given; undefined when only a run can tell. */
function sourceNamed(
  written: string,
  params: Readonly<Record<string, JsonValue>>,
): { source: string; path: string } | undefined {
  const reference = PARAM_REFERENCE.exec(written);
  if (reference?.[1] !== undefined) {
    const value = own(params, reference[1]);
    return typeof value === 'string' ? { source: value, path: `params.${reference[1]}` } : undefined;
  }
  return written.includes('${{') ? undefined : { source: written, path: 'runbook' };
}
