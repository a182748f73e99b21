/** `parallel` steps: every branch runs at once and all must finish before the step does. */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { ErrorCode } from '../../src/domain/errors.js';
import type { ExecutorFor } from './types.js';

/**
 * A group whose branches failed (and continued) used to be recorded as succeeded. An incident that started
 * before keeps that record on replay, since `when: steps.<group>.status == ...` may have read it.
 */
const FAILED_BRANCHES_PATCH = 'parallel-records-failed-branches';

export const parallelExecutor: ExecutorFor<'parallel'> = {
  kind: 'parallel',
  handlesTimeout: false,
  async execute(step, ctx) {
    // allSettled, not all: a failed branch must not leave its siblings' outcomes unrecorded.
    const results = await Promise.allSettled(step.branches.map((branch) => ctx.runSteps([branch])));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    const branches = step.branches.map((branch) => ctx.run.step(branch.id));
    const output = { branches: branches.map((branch) => ({ id: branch.id, status: branch.status })) };
    const broken = branches.filter((branch) => branch.status === 'failed' || branch.status === 'timed_out');
    if (broken.length > 0 && patched(FAILED_BRANCHES_PATCH)) {
      // The engine records the group as failed without aborting: each failed branch said to continue.
      ctx.run.updateStep(step.id, { output });
      const errors = broken.map(
        (branch) => `${branch.id} (${branch.error?.code ?? branch.status}: ${branch.error?.message ?? ''})`,
      );
      throw ApplicationFailure.nonRetryable(
        `${broken.length} of ${branches.length} branches failed and the run continued: ${errors.join('; ')}`,
        ErrorCode.BranchesFailed,
      );
    }
    return output;
  },
};
