/**
 * `notify` steps: a message from the runbook's templates, approved word for word, then sent. The step
 * succeeds once the first message is delivered; with `repeat`, later updates are rendered from the facts
 * of the moment and sent in the background until the named step finishes or the incident closes.
 */
import { condition, isCancellation } from '@temporalio/workflow';
import { formatDuration } from '../../src/domain/duration.js';
import type { JsonValue, NotifyRepeatPlan, NotifyStep } from '../../src/domain/plan.js';
import type { MessageRecord } from '../../src/domain/state.js';
import { describeFailure } from '../failures.js';
import { sendMessageOnce } from '../notify/message.js';
import type { IncidentRun } from '../run.js';
import type { ExecutorFor, StepContext } from './types.js';

/** A repeating message stops after this many updates even if nothing else stops it. */
const MAX_REPEATS = 500;
const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'timed_out', 'cancelled']);

export const notifyExecutor: ExecutorFor<'notify'> = {
  kind: 'notify',
  handlesTimeout: true,
  async execute(step, ctx) {
    const record = await sendMessageOnce(ctx, step, { sequence: 1, needsApproval: step.approvers.length > 0 });
    const { repeat } = step;
    if (repeat !== undefined) ctx.background(() => repeatMessages(ctx, step, repeat));
    return outputOf(record);
  },
};

function outputOf(record: MessageRecord): JsonValue {
  const last = record.sent[record.sent.length - 1];
  return {
    message: record.message,
    fingerprint: record.fingerprint ?? null,
    sequence: record.sequence,
    deliveries: (last?.deliveries ?? []).map((entry) => ({ channel: entry.channel, accepted: entry.accepted })),
  };
}

/** Sends an update every `everyMs` until the `until` step finishes; each one approved unless pre-approved. */
async function repeatMessages(ctx: StepContext, step: NotifyStep, repeat: NotifyRepeatPlan): Promise<void> {
  const { run } = ctx;
  const needsApproval = step.approvers.length > 0 && !repeat.preApproved;
  for (let sequence = 2; sequence <= MAX_REPEATS + 1; sequence++) {
    const current = run.state.messages?.[step.id];
    if (current) current.nextAt = new Date(Date.now() + repeat.everyMs).toISOString();
    const summary = `${step.id}: update ${sequence} due in ${formatDuration(repeat.everyMs)}`;
    if (await condition(() => untilReached(run, repeat), repeat.everyMs, { summary })) {
      if (current) delete current.nextAt;
      run.event('message.repeats_stopped', `${run.titleOf(step.id)}: no more updates (${repeat.until ?? ''} finished)`, {
        step: step.id,
      });
      return;
    }
    try {
      await sendMessageOnce(ctx, step, { sequence, needsApproval });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const reason = describeFailure(error);
      run.event('message.repeat_failed', `${run.titleOf(step.id)}: update ${sequence} was not sent: ${reason.message}`, {
        step: step.id,
        data: { code: reason.code, sequence },
      });
    }
  }
}

function untilReached(run: IncidentRun, repeat: NotifyRepeatPlan): boolean {
  if (repeat.until === undefined) return false;
  const status = run.state.steps.find((s) => s.id === repeat.until)?.status;
  return status !== undefined && FINISHED.has(status);
}
