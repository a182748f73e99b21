/** `task` steps: a human task, completed through the `completeTask` Update with the facts it establishes. */
import { ApplicationFailure } from '@temporalio/workflow';
import { formatDuration } from '../../src/domain/duration.js';
import { ErrorCode } from '../../src/domain/errors.js';
import { hasOwn } from '../../src/domain/own.js';
import type { CompleteTask } from '../../src/domain/state.js';
import { recordFact, validateFact } from '../facts.js';
import { refuse, waitForGate, type Gate } from '../gates.js';
import type { ExecutorFor } from './types.js';

export const taskExecutor: ExecutorFor<'task'> = {
  kind: 'task',
  handlesTimeout: true,
  async execute(step, { run, gates }) {
    const prompt = run.text(step.task);
    const roles = step.assignee ? [step.assignee.role] : [];
    let completion: CompleteTask | undefined;
    const gate: Gate<CompleteTask> = {
      kind: 'task',
      step: step.id,
      roles,
      standIns: new Map(),
      validate(command) {
        const given = command.facts ?? {};
        for (const [name, input] of Object.entries(given)) validateFact(run, name, input.value);
        const missing = step.sets.filter((name) => !hasOwn(given, name) && !hasOwn(run.state.facts, name));
        if (missing.length > 0) refuse(ErrorCode.InvalidInput, `Task ${step.id} must establish: ${missing.join(', ')}`);
      },
      apply(command) {
        for (const [name, input] of Object.entries(command.facts ?? {}))
          recordFact(run, name, input, command.actor, step.id);
        completion = command;
      },
      done: () => completion !== undefined,
    };
    const dueAt = step.dueMs === undefined ? undefined : new Date(Date.now() + step.dueMs).toISOString();
    const actors = roles.map((r) => `role:${r}`);
    gates.open(gate);
    run.updateStep(step.id, { status: 'waiting', prompt, actors, ...(dueAt ? { dueAt } : {}) });
    run.addPending({ kind: 'task', step: step.id, title: run.titleOf(step.id), prompt, actors, ...(dueAt ? { dueAt } : {}) });
    run.event('task.assigned', `${run.titleOf(step.id)}: ${prompt}`, {
      step: step.id,
      data: { to: roles.flatMap((r) => run.membersOf(r)) },
    });
    const done = await waitGate(run, gate, step);
    gates.close(step.id);
    if (!done || !completion) {
      throw ApplicationFailure.nonRetryable(
        `Task ${step.id} was not completed within ${formatDuration(step.timeoutMs ?? 0)}`,
        ErrorCode.Timeout,
      );
    }
    run.updateStep(step.id, { completedBy: completion.actor.id });
    run.event('task.completed', `${run.titleOf(step.id)} completed${completion.note ? `: ${completion.note}` : ''}`, {
      actor: completion.actor,
      step: step.id,
    });
    const facts = Object.fromEntries(Object.entries(completion.facts ?? {}).map(([name, fact]) => [name, fact.value]));
    return { completedBy: completion.actor.id, facts, ...(completion.note ? { note: completion.note } : {}) };
  },
};

function waitGate(
  run: Parameters<typeof waitForGate>[0],
  gate: Gate<CompleteTask>,
  step: { timeoutMs?: number; dueMs?: number },
) {
  return waitForGate(run, gate, {
    ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
    ...(step.dueMs === undefined ? {} : { dueMs: step.dueMs }),
    escalationRoles: [...gate.roles],
  });
}
