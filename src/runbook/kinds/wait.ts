/** `wait`: a durable timer. */
import { z } from 'zod';
import type { WaitStep } from '../../domain/plan.js';
import { formatDuration } from '../../domain/duration.js';
import { Duration, stepCommonShape } from '../schema.js';
import { defineKind } from './types.js';

const WaitStepSchema = z
  .strictObject({ ...stepCommonShape, wait: Duration })
  .meta({ id: 'WaitStep', description: 'Waits for a duration.' });
type WaitStepInput = z.infer<typeof WaitStepSchema>;

/** The `wait` step kind. */
export const waitKind = defineKind<WaitStepInput, WaitStep>({
  key: 'wait',
  planKind: 'wait',
  summary: 'waits for a duration',
  schema: WaitStepSchema,
  supportsRetry: false,
  secretsAllowedIn: [],
  check: () => undefined,
  compile: (step, ctx) => ({ kind: 'wait', ...ctx.common(step), waitMs: ctx.ms(step.wait) }),
  describe: (step) => `wait ${formatDuration(step.waitMs)}`,
});
