/**
 * Checks that apply to every step whatever its kind (common fields, `${{ }}` templates, decisions
 * declared twice), then the kind's own reference checks through the context it is given.
 */
import type { SecretCatalog } from '../secrets/declared.js';
import type { z } from 'zod';
import type { TemplateCatalog } from '../templating/catalog.js';
import type { ActionCatalog } from './action-catalog.js';
import type { RunbookDeclarations } from './declarations.js';
import { checkCondition, checkTemplates } from './expression-checks.js';
import type { DocPath, Issue } from '../diagnostics/located-issue.js';
import { kindOfStep, STEP_KIND_REGISTRY, type AuthoringStep, type StepKindDefinition } from './kinds/index.js';
import type { ChildRunbookInfo, InfraCatalog, StepCheckContext } from './kinds/types.js';
import type { ParsedRunbook } from './parse.js';
import { parseDuration } from '../domain/duration.js';
import { roleName } from './schema.js';
import { isTemplate } from './templates.js';
import { forEachParsedStep, stepIdAtPath } from './walk.js';
import { mapZodIssues } from '../diagnostics/zod-issues.js';
import { hasOwn } from '../domain/own.js';

/** What checking a runbook may consult beyond the file itself. */
export interface CheckOptions {
  actions: ActionCatalog;
  /** A loaded runbook by id (for `runbook:` steps), or undefined. */
  runbook(id: string): ChildRunbookInfo | undefined;
  /** Message templates (for `notify` steps); undefined when none were loaded. */
  templates?: TemplateCatalog;
  /** The declared secrets, when the config is known: secret names in the runbook are checked against them. */
  secrets?: SecretCatalog;
  /** The configured infrastructure providers, when the config is known: `infra.*` steps are checked against them. */
  infra?: InfraCatalog;
}

/** The state shared by all checks of one runbook. */
export interface CheckState {
  parsed: ParsedRunbook;
  decl: RunbookDeclarations;
  options: CheckOptions;
  issues: Issue[];
  /** First step to declare each decision name. */
  decisionOwners: Map<string, string>;
  report: (path: DocPath, message: string, options?: { key?: boolean }) => void;
  /** Steps (not compensations) by id with their paths, built on first use. */
  stepsById?: Map<string, { step: AuthoringStep; path: DocPath }>;
}

/** Reports a `role:<name>` (or bare role name) that the runbook does not declare. */
export function checkRoleRef(state: CheckState, path: DocPath, ref: string): void {
  const name = roleName(ref);
  if (hasOwn(state.parsed.parts.roles, name)) return;
  const declared = Object.keys(state.parsed.parts.roles).join(', ') || 'none';
  state.report(path, `unknown role \`${name}\` (declared roles: ${declared})`);
}

/** Checks a list of steps (top level, branches or compensations). */
export function checkStepList(state: CheckState, steps: readonly (AuthoringStep | undefined)[], path: DocPath): void {
  steps.forEach((step, index) => {
    if (step !== undefined) checkStep(state, step, [...path, index]);
  });
}

function checkStep(state: CheckState, step: AuthoringStep, path: DocPath): void {
  const kind = kindOfStep(step);
  checkCommon(state, step, path, kind);
  const decision = kind.decision(step);
  if (decision !== undefined) {
    const owner = state.decisionOwners.get(decision.name);
    if (owner === undefined) state.decisionOwners.set(decision.name, step.id);
    else state.report([...path, kind.key], `decision \`${decision.name}\` is already declared by step \`${owner}\``);
  }
  for (const [key, value] of Object.entries(step)) {
    if (key === 'when' || key === kind.nestedStepsKey) continue;
    checkTemplates(state.decl, value, [...path, key], kind.secretsAllowedIn.includes(key), state.report);
  }
  kind.check(step, contextFor(state, path));
}

const RETRY_KINDS = STEP_KIND_REGISTRY.filter((kind) => kind.supportsRetry).map((kind) => kind.key);

function checkCommon(state: CheckState, step: AuthoringStep, path: DocPath, kind: StepKindDefinition): void {
  if (step.retry !== undefined) {
    if (!kind.supportsRetry) {
      const keys = RETRY_KINDS.map((key) => `\`${key}\``);
      const kinds = keys.length > 1 ? `${keys.slice(0, -1).join(', ')} and ${keys.at(-1)}` : keys.join('');
      state.report(
        [...path, 'retry'],
        `\`retry\` only applies to ${kinds} steps: a \`${kind.key}\` step is not retried`,
        { key: true },
      );
    }
    const initial = step.retry.initialInterval === undefined ? undefined : parseDuration(step.retry.initialInterval);
    const maximum = step.retry.maximumInterval === undefined ? undefined : parseDuration(step.retry.maximumInterval);
    if (initial !== undefined && maximum !== undefined && initial > maximum) {
      state.report(
        [...path, 'retry', 'maximumInterval'],
        '`maximumInterval` must not be shorter than `initialInterval`',
      );
    }
  }
  if (step.when !== undefined) checkCondition(state.decl, step.when, [...path, 'when'], state.report);
  if (step.compensate !== undefined) checkCompensateRef(state, step.compensate, [...path, 'compensate']);
}

function checkCompensateRef(state: CheckState, id: string, path: DocPath): void {
  if (state.decl.compensationIds.has(id)) return;
  if (state.decl.stepIds.has(id)) {
    state.report(path, `\`${id}\` is a step, not a compensation: list it under \`compensations:\``);
    return;
  }
  const declared = [...state.decl.compensationIds].join(', ') || 'none';
  state.report(path, `unknown compensation \`${id}\` (declared compensations: ${declared})`);
}

function contextFor(state: CheckState, path: DocPath): StepCheckContext {
  const { parts } = state.parsed;
  const { decl } = state;
  return {
    report: (relative, message, options) => state.report([...path, ...relative], message, options),
    checkRole: (relative, ref) => checkRoleRef(state, [...path, ...relative], ref),
    checkFact(relative, name) {
      if (hasOwn(parts.facts, name)) return;
      const declared = Object.keys(parts.facts).join(', ') || 'none';
      state.report([...path, ...relative], `unknown fact \`${name}\` (declared facts: ${declared})`);
    },
    checkInput: (relative, schema, value) => checkInput(state, [...path, ...relative], schema, value),
    written: (relative) => valueAt(state.parsed.source.value, [...path, ...relative]),
    checkSteps: (steps, relative) => checkStepList(state, steps, [...path, ...relative]),
    params: parts.params,
    roles: parts.roles,
    facts: parts.facts,
    decisions: new Set(Object.keys(decl.expressions.decisions)),
    stepIds: decl.stepIds,
    compensationIds: decl.compensationIds,
    factsSet: decl.factsSet,
    ...(state.options.templates === undefined ? {} : { templates: state.options.templates }),
    ...(state.options.secrets === undefined ? {} : { secrets: state.options.secrets }),
    actions: state.options.actions,
    runbook: (id) => state.options.runbook(id),
    runbookId: parts.id,
    path,
    stepAt(id) {
      if (state.stepsById === undefined) {
        const byId = new Map<string, { step: AuthoringStep; path: DocPath }>();
        forEachParsedStep(parts.steps, ['steps'], (step, at) => {
          if (!byId.has(step.id)) byId.set(step.id, { step, path: at });
        });
        state.stepsById = byId;
      }
      return state.stepsById.get(id);
    },
    ...(state.options.infra === undefined ? {} : { infra: state.options.infra }),
  };
}

function valueAt(root: unknown, path: DocPath): unknown {
  let here = root;
  for (const key of path) {
    if (here === null || typeof here !== 'object' || !Object.hasOwn(here, key)) return undefined;
    here = (here as Record<string | number, unknown>)[key];
  }
  return here;
}

// A `${{ }}` value is only known at run time (the action validates it again after interpolation), so
// problems exactly at a template are not reported here.
function checkInput(state: CheckState, path: DocPath, schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  const { source } = state.parsed;
  const issues = mapZodIssues(result.error.issues, source, {
    base: path,
    value,
    skip: isTemplate,
    stepIdAt: (at) => stepIdAtPath(source.value, at),
  });
  state.issues.push(...issues);
}
