/**
 * `action` steps: one registered action, run as an activity with the step's timeout and retry policy. A step
 * with `requires: approval:<step>` runs only once that approval was given in this run: an approval that was
 * rejected, timed out, skipped by its `when:` or let through by `onFailure: continue` stops the step here,
 * before its action (infra.destroy, infra.redeploy) touches anything.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { ErrorCode } from '../../src/domain/errors.js';
import { hasOwn } from '../../src/domain/own.js';
import { runAction } from '../activity-calls.js';
import type { ExecutorFor } from './types.js';

/**
 * `requires` came after runs that were started by a newer trigger but may be run by an older worker, which
 * ignored it: the check is behind a patch so both replay. Plans without `requires` never reach it.
 */
const REQUIRES_PATCH = 'action-requires-approval';

export const actionExecutor: ExecutorFor<'action'> = {
  kind: 'action',
  handlesTimeout: true,
  execute(step, ctx) {
    if (step.requires !== undefined && patched(REQUIRES_PATCH)) {
      const id = step.requires.approval;
      const approval = hasOwn(ctx.run.state.approvals, id) ? ctx.run.state.approvals[id] : undefined;
      if (approval?.status !== 'approved') {
        throw ApplicationFailure.nonRetryable(
          `${step.action} needs approval ${id}, which ${approval === undefined ? 'did not run' : `is ${approval.status}`}`,
          ErrorCode.Forbidden,
        );
      }
    }
    return runAction(ctx.run, step);
  },
};
