/** `decision` steps: an attributed, timestamped choice (or acknowledgement), recorded through an Update. */
import { ApplicationFailure } from '@temporalio/workflow';
import { formatDuration } from '../../src/domain/duration.js';
import { ErrorCode } from '../../src/domain/errors.js';
import type { RecordDecision } from '../../src/domain/state.js';
import { refuse, waitForGate, type Gate } from '../gates.js';
import { now } from '../run.js';
import type { ExecutorFor } from './types.js';

export const decisionExecutor: ExecutorFor<'decision'> = {
  kind: 'decision',
  handlesTimeout: true,
  async execute(step, { run, gates }) {
    const roles = step.by ? [step.by.role] : [];
    let recorded: RecordDecision | undefined;
    const gate: Gate<RecordDecision> = {
      kind: 'decision',
      step: step.id,
      roles,
      standIns: new Map(),
      validate(command) {
        if (step.options === undefined) {
          if (command.option !== undefined)
            refuse(ErrorCode.InvalidInput, `Decision ${step.decision} takes no option: it records when it was made`);
        } else if (command.option === undefined || !step.options.includes(command.option)) {
          refuse(ErrorCode.InvalidInput, `Decision ${step.decision} needs one of: ${step.options.join(', ')}`);
        }
      },
      apply(command) {
        recorded = command;
        run.state.decisions[step.decision] = {
          name: step.decision,
          by: command.actor.id,
          at: now(),
          step: step.id,
          ...(command.option === undefined ? {} : { option: command.option }),
        };
        const what = command.option === undefined ? 'acknowledged' : `= ${command.option}`;
        run.event('decision.recorded', `${step.decision} ${what}`, { actor: command.actor, step: step.id });
      },
      done: () => recorded !== undefined,
    };
    const prompt = run.text(step.title);
    const actors = roles.map((r) => `role:${r}`);
    gates.open(gate);
    run.updateStep(step.id, { status: 'waiting', prompt, actors });
    run.addPending({
      kind: 'decision',
      step: step.id,
      title: run.titleOf(step.id),
      prompt,
      actors,
      ...(step.options ? { options: [...step.options] } : {}),
    });
    const done = await waitForGate(run, gate, {
      ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
      escalationRoles: roles,
    });
    gates.close(step.id);
    if (!done || !recorded) {
      throw ApplicationFailure.nonRetryable(
        `Decision ${step.decision} was not made within ${formatDuration(step.timeoutMs ?? 0)}`,
        ErrorCode.Timeout,
      );
    }
    run.updateStep(step.id, { completedBy: recorded.actor.id });
    const decision = run.state.decisions[step.decision];
    return decision ? { ...decision } : null;
  },
};
