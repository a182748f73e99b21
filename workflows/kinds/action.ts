/** `action` steps: one registered action, run as an activity with the step's timeout and retry policy. */
import { runAction } from '../activity-calls.js';
import type { ExecutorFor } from './types.js';

export const actionExecutor: ExecutorFor<'action'> = {
  kind: 'action',
  handlesTimeout: true,
  execute: (step, ctx) => runAction(ctx.run, step),
};
