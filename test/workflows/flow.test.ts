/**
 * Control flow against the real dev server: parallel branches, child runbooks, waits, step timeouts,
 * deadline clocks, dedup keys and the search attributes incidents are listed by.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderIncident } from '../../src/cli/render-incident.js';
import { FirebreakError } from '../../src/domain/errors.js';
import {
  alice,
  startInput,
  startTestEnv,
  stepOf,
  waitForState,
  waitForStep,
  type TestEnv,
} from '../support/temporal.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => env?.close());

const head = (id: string) => `
apiVersion: firebreak/v1
id: ${id}
title: ${id}
version: 2
severity: sev2
roles:
  commander: {}
  security: {}
`;

describe('parallel', () => {
  it('runs branches together, waits for all, and fails when a branch aborts after the rest finish', async () => {
    const plan = env.compile(`${head('parallel')}
steps:
  - id: contain
    title: Contain
    parallel:
      - { id: human, title: Confirm isolation, task: Confirm the host is isolated, assignee: role:security }
      - { id: note, title: Log, action: timeline.note, with: { text: containment started } }
      - { id: broken, title: Broken, action: command.run, with: { command: isolate-host, args: [db-1] }, retry: { maxAttempts: 1 } }
  - { id: after, title: After, action: timeline.note, with: { text: never } }
`);
    const id = await env.trigger(plan);
    const waiting = await waitForState(
      env.incidents,
      id,
      (s) => stepOf(s, 'broken').status === 'failed' && stepOf(s, 'human').status === 'waiting',
    );
    expect(stepOf(waiting, 'note').status).toBe('succeeded');
    expect(stepOf(waiting, 'contain').status).toBe('running');
    expect(stepOf(waiting, 'human').parent).toBe('contain');
    // alice is the commander, not security: the task refuses her, and the incident stays as it was.
    const before = await env.incidents.state(id);
    const refused = env.incidents.completeTask(id, { actor: alice, step: 'human' });
    await expect(refused).rejects.toBeInstanceOf(FirebreakError);
    await expect(refused).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'alice may not act on human: it needs role:security',
    });
    expect(await env.incidents.state(id)).toEqual(before);
    await env.incidents.completeTask(id, { actor: { id: 'bob' }, step: 'human' });
    await expect(env.incidents.result(id)).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await env.incidents.state(id);
    expect([stepOf(state, 'human').status, stepOf(state, 'contain').status, stepOf(state, 'after').status]).toEqual([
      'succeeded',
      'failed',
      'pending',
    ]);
  });

  it('records a group whose branches failed and continued as failed, with their errors, and goes on', async () => {
    const plan = env.compile(`${head('parallel-continue')}
steps:
  - id: contain
    title: Contain
    parallel:
      - { id: block, title: Block, onFailure: continue, action: command.run, with: { command: isolate-host, args: [db-1] }, retry: { maxAttempts: 1 } }
      - { id: revoke, title: Revoke, onFailure: continue, action: command.run, with: { command: isolate-host, args: [db-2] }, retry: { maxAttempts: 1 } }
      - { id: note, title: Note, action: timeline.note, with: { text: containment tried } }
  - { id: after, title: After, action: timeline.note, with: { text: went on } }
`);
    const id = await env.trigger(plan);
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({
      contain: 'failed',
      block: 'failed',
      revoke: 'failed',
      note: 'succeeded',
      after: 'succeeded',
    });
    const state = await env.incidents.state(id);
    expect(state.status).toBe('completed');
    const contain = stepOf(state, 'contain');
    expect(contain.error?.code).toBe('BRANCHES_FAILED');
    expect(contain.error?.message).toMatch(
      /^2 of 3 branches failed and the run continued: block \(COMMAND_FAILED: .+\); revoke \(COMMAND_FAILED: .+\)$/s,
    );
    expect(state.timeline.filter((event) => event.step === 'contain').map((event) => event.type)).toEqual([
      'step.started',
      'step.failed',
    ]);
    const shown = renderIncident(state, new Date());
    expect(shown).toMatch(/\n {2}contain +parallel +failed +Contain +BRANCHES_FAILED: 2 of 3 branches failed/);
    expect(shown).toMatch(/\n {4}block +action +failed +Block +COMMAND_FAILED: /);
  });

  it('interpolates step titles where people see them: state, pending actions, timeline, incident show', async () => {
    const plan = env.compile(`${head('titles')}
params:
  source: { type: string, required: true }
facts:
  host: { type: string }
steps:
  - { id: scope, title: "Scope \${{ params.source }}", task: "Find the host of \${{ params.source }}", assignee: role:security, sets: [host] }
  - { id: isolate, title: "Isolate \${{ facts.host }}", action: timeline.note, with: { text: isolated } }
`);
    const id = await env.trigger(plan, { source: 'orders' });
    const waiting = await waitForStep(env.incidents, id, 'scope', 'waiting');
    expect(stepOf(waiting, 'scope').title).toBe('Scope orders');
    expect(waiting.pending.map((action) => [action.title, action.prompt])).toEqual([
      ['Scope orders', 'Find the host of orders'],
    ]);
    // Not known yet: shown as written until the step is reached.
    expect(stepOf(waiting, 'isolate').title).toBe('Isolate ${{ facts.host }}');
    await env.incidents.completeTask(id, { actor: { id: 'bob' }, step: 'scope', facts: { host: { value: 'db-7' } } });
    await env.incidents.result(id);
    const state = await env.incidents.state(id);
    expect(state.steps.map((step) => step.title)).toEqual(['Scope orders', 'Isolate db-7']);
    expect(state.timeline.map((event) => event.message)).toEqual(
      expect.arrayContaining(['Scope orders', 'Scope orders: Find the host of orders', 'Isolate db-7']),
    );
    expect(JSON.stringify(state)).not.toContain('${{');
    expect(renderIncident(state, new Date())).not.toContain('${{');
  });

  it('times out a whole parallel step, cancelling its waiting branches', async () => {
    const plan = env.compile(`${head('parallel-timeout')}
steps:
  - id: both
    title: Both
    timeout: 1s
    onFailure: continue
    parallel:
      - { id: slow, title: Slow, task: Never done, assignee: role:security }
      - { id: sleep, title: Sleep, wait: 1h }
  - { id: after, title: After, action: timeline.note, with: { text: after } }
`);
    const id = await env.trigger(plan);
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({ both: 'timed_out', slow: 'cancelled', sleep: 'cancelled', after: 'succeeded' });
    expect((await env.incidents.state(id)).pending).toEqual([]);
  });
});

describe('child runbooks and waits', () => {
  it('runs a child runbook with interpolated params and returns its result as the step output', async () => {
    const child = `
apiVersion: firebreak/v1
id: restore-child
title: Restore
version: 1
severity: sev3
params:
  before: { type: datetime, required: true }
  target: { type: string, default: db }
facts:
  restoredFrom: { type: string }
steps:
  - { id: pause, title: Pause, wait: 1s }
  - { id: restore, title: Restore, action: timeline.note, with: { text: "restore \${{ params.target }} before \${{ params.before }}" } }
`;
    const plan = env.compile(
      `${head('parent')}
facts:
  compromiseStart: { type: datetime }
steps:
  - { id: start, title: When did it start, task: Find the first sign, assignee: role:security, sets: [compromiseStart] }
  - { id: recover, title: Recover, runbook: restore-child, with: { before: "\${{ facts.compromiseStart }}" } }
`,
      child,
    );
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'start', 'waiting');
    await env.incidents.completeTask(id, {
      actor: { id: 'bob' },
      step: 'start',
      facts: { compromiseStart: { value: '2026-11-20T03:00:00Z' } },
    });
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({ start: 'succeeded', recover: 'succeeded' });
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'recover').output).toMatchObject({ incidentId: `${id}.recover`, status: 'completed' });
    const childState = await env.incidents.state(`${id}.recover`);
    expect(childState.timeline.find((e) => e.type === 'note')?.message).toBe(
      'restore db before 2026-11-20T03:00:00.000Z',
    );
    expect(childState.runbook).toMatchObject({ id: 'restore-child', version: 1 });
    expect(childState.timeline[0]?.data).toMatchObject({ parent: { incidentId: id, step: 'recover' } });
  });
});

describe('deadlines', () => {
  it('starts at the decision, reminds at the offsets, goes overdue, and is met late by its step', async () => {
    const plan = env.compile(`${head('deadline')}
deadlines:
  - id: regulator
    title: Notify the regulator
    startsAt: decision:becameAware
    within: 3s
    remind: [1s, 2s]
    remindTo: role:commander
    metBy: step:file-report
steps:
  - { id: aware, title: Aware, decision: becameAware, by: role:commander }
  - { id: file-report, title: File the report, task: File it, assignee: role:commander }
`);
    const id = await env.trigger(plan);
    const notStarted = await waitForStep(env.incidents, id, 'aware', 'waiting');
    expect(notStarted.deadlines.regulator).toMatchObject({ status: 'not_started', remindersSent: [] });
    await env.incidents.recordDecision(id, { actor: alice, decision: 'becameAware' });
    const running = await waitForState(env.incidents, id, (s) => s.deadlines.regulator?.status === 'running');
    const decidedAt = Date.parse(running.decisions.becameAware!.at);
    expect(Date.parse(running.deadlines.regulator!.dueAt!)).toBe(decidedAt + 3000);
    const overdue = await waitForState(env.incidents, id, (s) => s.deadlines.regulator?.status === 'overdue');
    expect(overdue.deadlines.regulator!.remindersSent).toHaveLength(2);
    const reminders = overdue.timeline.filter((e) => e.type === 'reminder');
    expect(reminders.map((e) => e.data)).toEqual([
      expect.objectContaining({
        deadline: 'regulator',
        offset: '1s',
        to: ['alice', 'alice@example.com', 'erin', 'erin@example.com'],
      }),
      expect.objectContaining({ deadline: 'regulator', offset: '2s' }),
    ]);
    expect(overdue.timeline.some((e) => e.type === 'deadline.overdue')).toBe(true);
    await env.incidents.completeTask(id, { actor: alice, step: 'file-report' });
    await env.incidents.result(id);
    const state = await env.incidents.state(id);
    expect(state.deadlines.regulator).toMatchObject({ status: 'met_late' });
  });

  it('is met in time, and a deadline whose when is false does not apply', async () => {
    const plan = env.compile(`${head('deadline-when')}
deadlines:
  - { id: fast, title: Fast, startsAt: decision:becameAware, within: 1h, remind: [30m], metBy: step:report }
  - { id: pd, title: Personal data, startsAt: decision:becameAware, within: 1h, metBy: step:notify-people, when: decisions.personalData == "yes" }
steps:
  - { id: aware, title: Aware, decision: becameAware }
  - { id: pd-decision, title: Personal data?, decision: personalData, options: [yes, no] }
  - { id: report, title: Report, action: timeline.note, with: { text: reported } }
  - { id: notify-people, title: Tell people, when: decisions.personalData == "yes", action: timeline.note, with: { text: told } }
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'aware', 'waiting');
    await env.incidents.recordDecision(id, { actor: alice, decision: 'becameAware' });
    await waitForStep(env.incidents, id, 'pd-decision', 'waiting');
    await env.incidents.recordDecision(id, { actor: alice, decision: 'personalData', option: 'no' });
    await env.incidents.result(id);
    const state = await env.incidents.state(id);
    expect(state.deadlines.fast).toMatchObject({ status: 'met', remindersSent: [] });
    expect(state.deadlines.pd).toMatchObject({ status: 'not_applicable' });
    expect(stepOf(state, 'notify-people').status).toBe('skipped');
  });
});

describe('dedup and visibility', () => {
  it('returns the open incident for a repeated dedup key, and a new one once it closed', async () => {
    const plan = env.compile(`${head('dedup')}
steps:
  - { id: hold, title: Hold, task: Hold the incident open, assignee: role:commander }
`);
    const key = `alert-${Date.now()}`;
    const start = startInput(plan, {}, { dedupKey: key, severity: 'sev1' });
    const results = await Promise.all([1, 2, 3, 4].map(() => env.incidents.trigger(start)));
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    const first = created[0]!.incidentId;
    const state = await waitForStep(env.incidents, first, 'hold', 'waiting');
    expect(state.severity).toBe('sev1');

    const described = await env.client.workflow.getHandle(first).describe();
    expect(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['FirebreakRunbook', 'dedup'],
        ['FirebreakSeverity', 'sev1'],
        ['FirebreakStatus', 'running'],
        ['FirebreakDedupKey', key],
      ]),
    );
    await env.incidents.completeTask(first, { actor: alice, step: 'hold' });
    await env.incidents.result(first);
    const closed = await env.client.workflow.getHandle(first).describe();
    expect(closed.typedSearchAttributes.getAll().find((p) => p.key.name === 'FirebreakStatus')?.value).toBe(
      'completed',
    );

    const again = await env.incidents.trigger(start);
    expect(again.created).toBe(true);
    expect(again.incidentId).not.toBe(first);
  });
});
