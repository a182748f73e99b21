/** `parallel`: branches that run together; all must finish before the next step. */
import { z } from 'zod';
import type { ParallelStep } from '../../domain/plan.js';
import { stepCommonShape } from '../schema.js';
import { defineKind, type AuthoringStep, type StepKindDefinition } from './types.js';

/** Builds the `parallel` kind around the schema of a step, which it nests (the registry passes it in). */
export function createParallelKind(step: z.ZodType<AuthoringStep>): StepKindDefinition {
  const ParallelStepSchema = z
    .strictObject({
      ...stepCommonShape,
      parallel: z.array(step).min(1, { error: 'a parallel step needs at least one branch' }).meta({
        description: 'Steps that run together; all must finish.',
      }),
    })
    .meta({ id: 'ParallelStep', description: 'Runs its branches together.' });
  type ParallelStepInput = z.infer<typeof ParallelStepSchema>;

  return defineKind<ParallelStepInput, ParallelStep>({
    key: 'parallel',
    planKind: 'parallel',
    summary: 'runs its branches together; all must finish',
    schema: ParallelStepSchema,
    supportsRetry: false,
    secretsAllowedIn: [],
    nestedStepsKey: 'parallel',
    check: (parsed, ctx) => ctx.checkSteps(parsed.parallel, ['parallel']),
    compile: (parsed, ctx) => ({
      kind: 'parallel',
      ...ctx.common(parsed),
      branches: ctx.compileSteps(parsed.parallel, ['parallel']),
    }),
    describe: (plan) => `parallel  ${plan.branches.length} branch${plan.branches.length === 1 ? '' : 'es'}`,
  });
}
