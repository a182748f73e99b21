/** `action`: runs a registered action (`http.request`, `command.run`, `timeline.note`) with `with` as input. */
import { z } from 'zod';
import type { ActionStep } from '../../domain/plan.js';
import { JsonValue, stepCommonShape, Text } from '../schema.js';
import { scanTemplate, secretParamName } from '../../domain/expressions.js';
import { formatSlotPath, secretPathAllowed } from '../../domain/secret-slots.js';
import { defineKind, type StepCheckContext } from './types.js';
import type { DocPath } from '../../diagnostics/located-issue.js';

const REQUIRES = /^approval:[A-Za-z][A-Za-z0-9_-]*$/;

/** An action step as written; compensations use the same shape. */
export const ActionStepSchema = z
  .strictObject({
    ...stepCommonShape,
    action: Text.meta({ description: 'A registered action: http.request, command.run, timeline.note.' }),
    with: z
      .record(z.string(), JsonValue)
      .default({})
      .meta({ description: "The action's input; strings may embed ${{ }}." }),
    requires: z
      .string()
      .regex(REQUIRES, { error: 'expected approval:<step id>' })
      .optional()
      .meta({
        description:
          'approval:<step>: a preceding approval step that must have been approved before this step runs (infra.destroy and infra.redeploy need one with distinct: 2 or more).',
      }),
  })
  .meta({ id: 'ActionStep', description: 'Runs a registered action.' });
export type ActionStepInput = z.infer<typeof ActionStepSchema>;

/** The `action` step kind. */
export const actionKind = defineKind<ActionStepInput, ActionStep>({
  key: 'action',
  planKind: 'action',
  summary: 'runs a registered action with `with` as its input',
  schema: ActionStepSchema,
  supportsRetry: true,
  secretsAllowedIn: ['with'],
  check(step, ctx) {
    if (!ctx.actions.has(step.action)) {
      const known = ctx.actions.names().join(', ') || 'none';
      ctx.report(['action'], `unknown action \`${step.action}\` (known actions: ${known})`);
      return;
    }
    const schema = ctx.actions.inputSchema(step.action);
    if (schema) ctx.checkInput(['with'], schema, step.with);
    checkSecretPositions(step, ctx);
    const rules = ctx.actions.rules?.(step.action) ?? {};
    checkRequires(step, ctx, rules.approval?.distinct);
    if (rules.infraOperation !== undefined) checkInfraProvider(step, ctx, rules.infraOperation);
  },
  compile: (step, ctx) => ({
    kind: 'action',
    ...ctx.common(step),
    action: step.action,
    with: ctx.json(step.with),
    ...(step.requires === undefined ? {} : { requires: { approval: step.requires.slice('approval:'.length) } }),
  }),
  describe: (step) => `action ${step.action}`,
});

/**
 * A secret param may only go where the action takes secrets (`http.request`: url, headers, json;
 * `command.run`: env, stdin), so it can never land in argv, a note or any other field that is shown.
 */
function checkSecretPositions(step: ActionStepInput, ctx: StepCheckContext): void {
  const allowed = ctx.actions.secretInputs(step.action);
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string') {
      const scan = scanTemplate(value);
      if (!scan.ok) return;
      for (const { expression } of scan.parts) {
        const name = secretParamName({ params: ctx.params }, expression);
        if (name === undefined || secretPathAllowed(path, allowed)) continue;
        const where = allowed.map((pattern) => pattern.join('.')).join(', ');
        ctx.report(
          ['with', ...path],
          `secret param \`${name}\` cannot go to ${formatSlotPath(path)}: ${step.action} takes secrets ${where === '' ? 'nowhere' : `only in ${where}`}`,
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(step.with, []);
}

/**
 * `requires: approval:<step>`: the step named must be an approval step that runs before this one: earlier
 * in the same list, or earlier than a group this step is in. A compensation runs after the steps, so any
 * approval step of the runbook may precede it. An action that needs the two-person rule (infra.destroy,
 * infra.redeploy) must name one with at least that many distinct people.
 */
function checkRequires(step: ActionStepInput, ctx: StepCheckContext, distinct: number | undefined): void {
  const rule = `\`${step.action}\` must name a preceding approval step with \`distinct: ${distinct ?? 2}\` or more (the two-person rule)`;
  if (step.requires === undefined) {
    // A `requires` the schema refused has been reported already.
    if (distinct !== undefined && ctx.written(['requires']) === undefined) {
      ctx.report(['action'], `${rule}: add \`requires: approval:<step id>\``);
    }
    return;
  }
  const id = step.requires.slice('approval:'.length);
  const found = ctx.stepAt(id);
  if (found === undefined) {
    ctx.report(['requires'], `unknown step \`${id}\`: \`requires\` names an approval step of this runbook`);
    return;
  }
  if (typeof found.step.approval !== 'string') {
    ctx.report(['requires'], `\`${id}\` is not an approval step`);
    return;
  }
  if (!precedes(found.path, ctx.path)) {
    ctx.report(['requires'], `approval \`${id}\` does not run before this step: put it earlier in \`steps\`, not in a parallel branch beside this step`);
    return;
  }
  const has = typeof found.step.distinct === 'number' ? found.step.distinct : undefined;
  if (distinct !== undefined && (has === undefined || has < distinct)) {
    ctx.report(['requires'], `${rule}: approval \`${id}\` has ${has === undefined ? 'no `distinct`' : `\`distinct: ${has}\``}`);
  }
}

/**
 * Whether the step at `before` has finished when the step at `at` starts, going by their places: only the
 * runbook's `steps` list runs in order (the branches of a `parallel` step run at once), so the approval, or
 * the group it is in, must come earlier in that list than the step or the group the step is in.
 */
function precedes(before: DocPath, at: DocPath): boolean {
  if (before[0] !== 'steps') return false;
  if (at[0] === 'compensations') return true;
  const [, mine] = at;
  const [, theirs] = before;
  return typeof mine === 'number' && typeof theirs === 'number' && theirs < mine;
}

/**
 * When the config is known, a configured provider a literal `with.provider` names must support the
 * operation. A provider that is not configured here is not refused: the starter runbooks name providers
 * (docker, aws) a deployment may not have, and a runbook must not stop the others from loading; its step
 * fails when it runs, naming the configured providers.
 */
function checkInfraProvider(step: ActionStepInput, ctx: StepCheckContext, operation: string): void {
  const infra = ctx.infra;
  const name = step.with.provider;
  if (infra === undefined || typeof name !== 'string' || name.includes('${{')) return;
  const provider = infra.provider(name);
  if (provider === undefined) return;
  if (!provider.capabilities.has(operation)) {
    const supported = [...provider.capabilities].join(', ') || 'nothing';
    ctx.report(['action'], `infra provider \`${name}\` (${provider.kind}) does not support ${operation} (it supports ${supported})`);
  }
}
