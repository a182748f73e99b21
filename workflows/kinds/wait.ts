/** `wait` steps: a durable timer (survives worker restarts; the time-skipping server skips it in tests). */
import { sleep } from '@temporalio/workflow';
import { formatDuration } from '../../src/domain/duration.js';
import type { ExecutorFor } from './types.js';

export const waitExecutor: ExecutorFor<'wait'> = {
  kind: 'wait',
  handlesTimeout: false,
  async execute(step, ctx) {
    ctx.run.updateStep(step.id, { status: 'waiting', dueAt: new Date(Date.now() + step.waitMs).toISOString() });
    await sleep(step.waitMs, { summary: `${step.id}: wait ${formatDuration(step.waitMs)}` });
    return undefined;
  },
};
