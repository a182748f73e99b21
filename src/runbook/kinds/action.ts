/** `action`: runs a registered action (`http.request`, `command.run`, `timeline.note`) with `with` as input. */
import { z } from 'zod';
import type { ActionStep } from '../../domain/plan.js';
import { JsonValue, stepCommonShape, Text } from '../schema.js';
import { scanTemplate, secretParamName } from '../../domain/expressions.js';
import { formatSlotPath, secretPathAllowed } from '../../domain/secret-slots.js';
import { defineKind, type StepCheckContext } from './types.js';

/** An action step as written; compensations use the same shape. */
export const ActionStepSchema = z
  .strictObject({
    ...stepCommonShape,
    action: Text.meta({ description: 'A registered action: http.request, command.run, timeline.note.' }),
    with: z
      .record(z.string(), JsonValue)
      .default({})
      .meta({ description: "The action's input; strings may embed ${{ }}." }),
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
  },
  compile: (step, ctx) => ({ kind: 'action', ...ctx.common(step), action: step.action, with: ctx.json(step.with) }),
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
