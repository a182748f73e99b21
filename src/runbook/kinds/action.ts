/** `action`: runs a registered action (`http.request`, `command.run`, `timeline.note`) with `with` as input. */
import { z } from 'zod';
import type { ActionStep } from '../../domain/plan.js';
import { JsonValue, stepCommonShape, Text } from '../schema.js';
import { defineKind } from './types.js';

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
  },
  compile: (step, ctx) => ({ kind: 'action', ...ctx.common(step), action: step.action, with: ctx.json(step.with) }),
  describe: (step) => `action ${step.action}`,
});
