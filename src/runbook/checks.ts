/**
 * Checks beyond the schema for one runbook: duplicate ids, references to undeclared roles, facts, params,
 * decisions, steps and compensations, deadlines, param defaults and every expression. All problems are
 * collected; nothing stops at the first.
 */
import { parseDuration } from '../domain/duration.js';
import { collectDeclarations } from './declarations.js';
import { checkCondition, checkTemplates } from './expression-checks.js';
import type { DocPath, Issue } from '../diagnostics/located-issue.js';
import type { ParsedRunbook } from './parse.js';
import { checkRoleRef, checkStepList, type CheckOptions, type CheckState } from './step-checks.js';
import { coerceParamValue } from './trigger-params.js';
import { forEachRawStep, rawKindOf, stepIdAtPath } from './walk.js';
import { hasOwn } from '../domain/own.js';

export type { CheckOptions } from './step-checks.js';

/** Runs every reference and expression check on a parsed runbook (valid parts only when the schema failed). */
export function checkRunbook(parsed: ParsedRunbook, options: CheckOptions): Issue[] {
  const { source, parts } = parsed;
  const issues: Issue[] = [];
  const state: CheckState = {
    parsed,
    decl: collectDeclarations(parsed),
    options,
    issues,
    decisionOwners: new Map(),
    report(path, message, extra) {
      const stepId = stepIdAtPath(source.value, path);
      issues.push(
        source.issueAt(
          path,
          message,
          stepId === undefined ? { key: extra?.key === true } : { key: extra?.key === true, stepId },
        ),
      );
    },
  };
  checkDuplicateStepIds(state);
  checkOncePerRunbook(state);
  checkParams(state);
  checkRoles(state);
  checkDeadlines(state);
  checkStepList(state, parts.steps, ['steps']);
  parts.compensations.forEach((compensation, index) => {
    if (compensation?.compensate !== undefined) {
      state.report(['compensations', index, 'compensate'], 'a compensation cannot register a compensation of its own', {
        key: true,
      });
    }
  });
  checkStepList(state, parts.compensations, ['compensations']);
  return issues;
}

// Ids are read from the raw document so that a step that failed the schema still claims its id.
function checkDuplicateStepIds(state: CheckState): void {
  const { source } = state.parsed;
  const raw = source.value as Record<string, unknown> | null;
  const seen = new Map<string, DocPath>();
  const visit = (step: Record<string, unknown>, path: DocPath): void => {
    if (typeof step.id !== 'string') return;
    const first = seen.get(step.id);
    if (first === undefined) {
      seen.set(step.id, path);
      return;
    }
    const { line } = source.locate([...first, 'id']);
    state.report(
      [...path, 'id'],
      `duplicate step id \`${step.id}\` (first used on line ${line}); step ids are unique in a runbook`,
    );
  };
  forEachRawStep(raw?.steps, ['steps'], visit);
  forEachRawStep(raw?.compensations, ['compensations'], visit);
}

// A kind a runbook may hold once (`postmortem`): every later step of that kind is reported, any depth.
function checkOncePerRunbook(state: CheckState): void {
  const { source } = state.parsed;
  const raw = source.value as Record<string, unknown> | null;
  const first = new Map<string, string>();
  forEachRawStep(raw?.steps, ['steps'], (step, path) => {
    const kind = rawKindOf(step);
    if (kind === undefined || !kind.oncePerRunbook) return;
    const id = typeof step.id === 'string' ? step.id : '(no id)';
    const owner = first.get(kind.key);
    if (owner === undefined) {
      first.set(kind.key, id);
      return;
    }
    const message = `a runbook has at most one \`${kind.key}\` step; step \`${owner}\` is one`;
    state.report([...path, kind.key], message, { key: true });
  });
}

function checkParams(state: CheckState): void {
  for (const [name, spec] of Object.entries(state.parsed.parts.params)) {
    if (spec.enum !== undefined && spec.type !== 'string') {
      state.report(['params', name, 'enum'], '`enum` applies to string params only', { key: true });
    }
    if (spec.default === undefined) continue;
    const coerced = coerceParamValue(spec, spec.default);
    if (!coerced.ok) state.report(['params', name, 'default'], `default does not fit the param: ${coerced.message}`);
    else if (spec.type === 'secret') checkSecretName(state, ['params', name, 'default'], coerced.value);
  }
}

function checkRoles(state: CheckState): void {
  for (const [name, spec] of Object.entries(state.parsed.parts.roles)) {
    if (spec.escalateTo === name) {
      state.report(['roles', name, 'escalateTo'], 'a role cannot escalate to itself');
    } else if (spec.escalateTo !== undefined) {
      checkRoleRef(state, ['roles', name, 'escalateTo'], spec.escalateTo);
    }
    if (spec.after !== undefined && spec.escalateTo === undefined) {
      state.report(['roles', name, 'after'], '`after` needs `escalateTo`: the role that may act once it has passed', {
        key: true,
      });
    }
  }
  const seen = new Set<string>();
  state.parsed.parts.cancel?.roles.forEach((ref, index) => {
    checkRoleRef(state, ['cancel', 'roles', index], ref);
    if (seen.has(ref)) state.report(['cancel', 'roles', index], `${ref} is listed twice`);
    seen.add(ref);
  });
  const review = state.parsed.parts.review;
  if (review !== undefined) checkRoleRef(state, ['review', 'owner'], review.owner);
}

function checkDeadlines(state: CheckState): void {
  const { decl } = state;
  const ids = new Set<string>();
  state.parsed.parts.deadlines.forEach((deadline, index) => {
    if (deadline === undefined) return;
    const path = ['deadlines', index];
    if (ids.has(deadline.id)) state.report([...path, 'id'], `duplicate deadline id \`${deadline.id}\``);
    ids.add(deadline.id);
    const decision = deadline.startsAt.slice('decision:'.length);
    if (!hasOwn(decl.expressions.decisions, decision)) {
      const declared = Object.keys(decl.expressions.decisions).join(', ') || 'none';
      state.report([...path, 'startsAt'], `unknown decision \`${decision}\` (declared decisions: ${declared})`);
    }
    const step = deadline.metBy.slice('step:'.length);
    if (!decl.stepIds.has(step)) {
      const hint = decl.compensationIds.has(step) ? ': a compensation cannot meet a deadline' : '';
      state.report([...path, 'metBy'], `unknown step \`${step}\`${hint || ` (no step has this id)`}`);
    }
    if (deadline.remindTo !== undefined) checkRoleRef(state, [...path, 'remindTo'], deadline.remindTo);
    const within = parseDuration(deadline.within) ?? 0;
    deadline.remind.forEach((offset, at) => {
      if ((parseDuration(offset) ?? 0) >= within) {
        state.report([...path, 'remind', at], `reminder at ${offset} is not before the deadline (${deadline.within})`);
      }
    });
    if (deadline.when !== undefined) checkCondition(decl, deadline.when, [...path, 'when'], state.report);
    checkTemplates(decl, deadline.title, [...path, 'title'], false, state.report);
  });
}

/** A secret named in the runbook file must be declared for it, when the config is known. */
export function checkSecretName(state: CheckState, path: DocPath, name: unknown): void {
  const { secrets } = state.options;
  if (secrets === undefined || typeof name !== 'string') return;
  const problem = secrets.problem(name, state.parsed.parts.id);
  if (problem !== undefined) state.report(path, problem);
}
