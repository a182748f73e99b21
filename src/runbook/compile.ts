/**
 * The compiler: a runbook that passed the schema and every check becomes the frozen `Plan` a workflow
 * runs, with durations in milliseconds, role references as objects, source locations per step and the
 * content hash of the file it came from.
 */
import { parseDuration } from '../domain/duration.js';
import {
  deepFreeze,
  PLAN_FORMAT,
  type DeadlinePlan,
  type JsonObject,
  type ParamPlan,
  type Plan,
  type ReviewPlan,
  type RolePlan,
  type StepCommon,
  type StepPlan,
} from '../domain/plan.js';
import type { TemplateCatalog } from '../templating/catalog.js';
import type { DocPath } from '../diagnostics/located-issue.js';
import { actionKind } from './kinds/action.js';
import { kindOfStep, type AuthoringStep } from './kinds/index.js';
import type { StepCompileContext } from './kinds/types.js';
import { compact } from './object.js';
import type { ParsedRunbook } from './parse.js';
import type { Runbook } from './runbook-schema.js';
import { roleName, type DeadlineSpec, type ParamSpec, type RoleSpec } from './schema.js';
import { coerceParamValue } from './trigger-params.js';
import { forEachParsedStep } from './walk.js';

/** A parsed runbook whose schema passed. */
export type ValidRunbook = ParsedRunbook & { runbook: Runbook };

/**
 * Compiles a checked runbook to a deep-frozen plan; `childPlan` supplies the plans of child runbooks and
 * `templates` the messages `notify` steps embed.
 */
export function compilePlan(parsed: ValidRunbook, childPlan: (id: string) => Plan, templates?: TemplateCatalog): Plan {
  const { runbook, source } = parsed;
  const ctxAt = (path: DocPath): StepCompileContext => ({
    common: (step) => compileCommon(step, source.locate(path)),
    ms,
    role: (ref) => ({ role: roleName(ref) }),
    json: (value) => JSON.parse(JSON.stringify(value ?? {})) as JsonObject,
    compileSteps: (steps, relative) => compileSteps(steps, [...path, ...relative]),
    childPlan,
    ...(templates === undefined ? {} : { templates }),
  });
  const compileSteps = (steps: readonly AuthoringStep[], path: DocPath): StepPlan[] =>
    steps.map((step, index) => kindOfStep(step).compile(step, ctxAt([...path, index])));
  const compensations = Object.fromEntries(
    runbook.compensations.map((step, index) => [step.id, actionKind.compile(step, ctxAt(['compensations', index]))]),
  );
  const plan: Plan = compact({
    format: PLAN_FORMAT,
    runbookId: runbook.id,
    title: runbook.title,
    version: runbook.version,
    contentHash: parsed.contentHash,
    description: runbook.description,
    severity: runbook.severity,
    kind: runbook.kind,
    tags: [...runbook.tags],
    params: mapValues(runbook.params, compileParam),
    roles: mapValues(runbook.roles, compileRole),
    facts: mapValues(runbook.facts, (fact) => compact({ type: fact.type, description: fact.description })),
    decisions: compileDecisions(runbook),
    deadlines: runbook.deadlines.map(compileDeadline),
    steps: compileSteps(runbook.steps, ['steps']),
    compensations: compensations as Plan['compensations'],
    cancel: runbook.cancel === undefined ? undefined : { roles: runbook.cancel.roles.map(roleName) },
    review: runbook.review === undefined ? undefined : compileReview(runbook.review),
    source: { file: source.file },
  });
  return deepFreeze(plan);
}

function compileReview(review: NonNullable<Runbook['review']>): ReviewPlan {
  return compact({ every: review.every, everyMs: ms(review.every), owner: roleName(review.owner), last: review.last });
}

function ms(duration: string): number {
  const value = parseDuration(duration);
  // The schema accepted only valid durations; reaching this means the schema and the parser disagree.
  if (value === undefined) throw new Error(`invalid duration ${duration} passed the schema`);
  return value;
}

function compileCommon(step: AuthoringStep, loc: { line: number; col: number }): StepCommon {
  const retry =
    step.retry === undefined
      ? undefined
      : compact({
          maxAttempts: step.retry.maxAttempts,
          initialIntervalMs: step.retry.initialInterval === undefined ? undefined : ms(step.retry.initialInterval),
          maximumIntervalMs: step.retry.maximumInterval === undefined ? undefined : ms(step.retry.maximumInterval),
          backoffCoefficient: step.retry.backoffCoefficient,
        });
  return compact({
    id: step.id,
    title: step.title,
    when: step.when,
    timeoutMs: step.timeout === undefined ? undefined : ms(step.timeout),
    retry,
    onFailure: step.onFailure,
    compensate: step.compensate,
    tags: [...step.tags],
    loc: { line: loc.line, col: loc.col },
  });
}

function compileParam(spec: ParamSpec): ParamPlan {
  // Defaults are stored normalised (a datetime as an ISO string in UTC), exactly as a trigger value would be.
  const coerced = spec.default === undefined ? undefined : coerceParamValue(spec, spec.default);
  return compact({
    type: spec.type,
    required: spec.required,
    default: coerced?.ok ? coerced.value : undefined,
    enum: spec.enum === undefined ? undefined : [...spec.enum],
    description: spec.description,
  });
}

function compileRole(spec: RoleSpec): RolePlan {
  return compact({
    members: [...new Set(spec.members)],
    description: spec.description,
    sender: spec.sender === undefined ? undefined : { ...spec.sender },
    escalateTo: spec.escalateTo,
    afterMs: spec.after === undefined ? undefined : ms(spec.after),
  });
}

function compileDeadline(spec: DeadlineSpec): DeadlinePlan {
  return compact({
    id: spec.id,
    title: spec.title,
    startsAt: { decision: spec.startsAt.slice('decision:'.length) },
    withinMs: ms(spec.within),
    remindMs: spec.remind.map(ms).sort((a, b) => a - b),
    remindTo: spec.remindTo === undefined ? undefined : { role: roleName(spec.remindTo) },
    metBy: { step: spec.metBy.slice('step:'.length) },
    when: spec.when,
  });
}

function compileDecisions(runbook: Runbook): Plan['decisions'] {
  const decisions: Plan['decisions'] = {};
  forEachParsedStep(runbook.steps, ['steps'], (step, _path, kind) => {
    const declared = kind.decision(step);
    if (declared === undefined) return;
    decisions[declared.name] = declared.options === undefined ? {} : { options: [...declared.options] };
  });
  return decisions;
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
