/** `parallel` steps: every branch runs at once and all must finish before the step does. */
import type { ExecutorFor } from './types.js';

export const parallelExecutor: ExecutorFor<'parallel'> = {
  kind: 'parallel',
  handlesTimeout: false,
  async execute(step, ctx) {
    // allSettled, not all: a failed branch must not leave its siblings' outcomes unrecorded.
    const results = await Promise.allSettled(step.branches.map((branch) => ctx.runSteps([branch])));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    return { branches: step.branches.map((branch) => ({ id: branch.id, status: ctx.run.step(branch.id).status })) };
  },
};
