/** `decision`: a recorded choice (with options) or a timestamped acknowledgement (without). */
import { z } from 'zod';
import type { DecisionStep } from '../../domain/plan.js';
import { compact } from '../object.js';
import { Identifier, RoleRef, stepCommonShape, Text } from '../schema.js';
import { defineKind } from './types.js';

const DecisionStepSchema = z
  .strictObject({
    ...stepCommonShape,
    decision: Identifier.meta({ description: 'The decision name expressions read as decisions.<name>.' }),
    options: z.array(Text).min(2, { error: 'a decision with options needs at least two' }).optional(),
    by: RoleRef.optional().meta({ description: 'Who may record it.' }),
  })
  .meta({ id: 'DecisionStep', description: 'A recorded choice, or a timestamped acknowledgement without options.' });
type DecisionStepInput = z.infer<typeof DecisionStepSchema>;

/** The `decision` step kind. */
export const decisionKind = defineKind<DecisionStepInput, DecisionStep>({
  key: 'decision',
  planKind: 'decision',
  summary: 'a recorded choice among options, or a timestamped acknowledgement',
  schema: DecisionStepSchema,
  supportsRetry: false,
  secretsAllowedIn: [],
  decision: (step) => compact({ name: step.decision, options: step.options }),
  check(step, ctx) {
    if (step.by !== undefined) ctx.checkRole(['by'], step.by);
    const seen = new Set<string>();
    step.options?.forEach((option, index) => {
      if (seen.has(option)) ctx.report(['options', index], `option \`${option}\` is listed twice`);
      seen.add(option);
    });
  },
  compile: (step, ctx) =>
    compact({
      kind: 'decision' as const,
      ...ctx.common(step),
      decision: step.decision,
      options: step.options === undefined ? undefined : [...step.options],
      by: step.by === undefined ? undefined : ctx.role(step.by),
    }),
  describe: (step) =>
    [
      `decision ${step.decision}`,
      step.options ? `[${step.options.join(' | ')}]` : '(acknowledgement)',
      step.by ? `by role:${step.by.role}` : undefined,
    ]
      .filter(Boolean)
      .join('  '),
});
