/**
 * Human steps against the real dev server: tasks with facts, decisions, approvals (who may vote, double
 * votes, quorum, one person per role, `distinct` people for the two-person rule, rejection, timeout
 * escalation and abort), direct facts, cancel.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirebreakError } from '../../src/domain/errors.js';
import { sha256Hex } from '../../src/domain/sha256.js';
import {
  alice,
  bob,
  carol,
  dave,
  erin,
  frank,
  mallory,
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

const roles = `
roles:
  commander: {}
  security: {}
  legal: { escalateTo: ciso, after: 1h }
  ciso: {}
`;

/** The code a refused command carries. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FirebreakError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('tasks and facts', () => {
  it('completes a task with typed facts, refusing outsiders, wrong types and missing facts', async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: task-facts
title: Task facts
version: 1
severity: sev2
${roles}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
  attacker: { type: string }
steps:
  - id: scope
    title: Scope
    task: Establish what was accessed
    assignee: role:security
    sets: [recordsAffected, dataCategories]
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    expect(await refusal(env.incidents.completeTask(id, { actor: mallory, step: 'scope' }))).toEqual({
      code: 'FORBIDDEN',
      message: 'mallory holds no role in this incident',
    });
    expect((await refusal(env.incidents.completeTask(id, { actor: alice, step: 'scope' }))).code).toBe('FORBIDDEN');
    expect(
      await refusal(
        env.incidents.completeTask(id, { actor: bob, step: 'scope', facts: { recordsAffected: { value: 'many' } } }),
      ),
    ).toEqual({ code: 'INVALID_INPUT', message: 'Fact recordsAffected: expected a whole number, got "many"' });
    expect(
      await refusal(
        env.incidents.completeTask(id, { actor: bob, step: 'scope', facts: { recordsAffected: { value: 10 } } }),
      ),
    ).toEqual({ code: 'INVALID_INPUT', message: 'Task scope must establish: dataCategories' });
    expect((await refusal(env.incidents.completeTask(id, { actor: bob, step: 'nope' }))).code).toBe('NOT_FOUND');

    // A fact set directly (suspected) counts towards the task.
    await env.incidents.setFact(id, { actor: alice, name: 'dataCategories', value: ['email'], confirmed: false });
    expect((await refusal(env.incidents.setFact(id, { actor: alice, name: 'nope', value: 1 }))).code).toBe('NOT_FOUND');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 1200 } },
      note: 'from logs',
    });
    expect((await refusal(env.incidents.completeTask(id, { actor: bob, step: 'scope' }))).code).toBe('CONFLICT');

    const result = await env.incidents.result(id);
    expect(result.facts).toEqual({ dataCategories: ['email'], recordsAffected: 1200 });
    const state = await env.incidents.state(id);
    expect(state.facts.dataCategories).toMatchObject({ status: 'suspected', setBy: 'alice' });
    expect(state.facts.recordsAffected).toMatchObject({ status: 'confirmed', setBy: 'bob', step: 'scope' });
    expect(stepOf(state, 'scope')).toMatchObject({ status: 'succeeded', completedBy: 'bob' });
    expect(state.timeline.filter((e) => e.type === 'task.completed').map((e) => e.actor)).toEqual(['bob']);
  });

  it('reminds before a task is due, then marks it overdue, and keeps waiting', async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: task-due
title: Task due
version: 1
severity: sev2
${roles}
steps:
  - { id: preserve, title: Preserve evidence, task: Snapshot the disk, assignee: role:security, due: 2s }
`);
    const id = await env.trigger(plan);
    const overdue = await waitForState(env.incidents, id, (s) => s.timeline.some((e) => e.type === 'overdue'));
    expect(overdue.timeline.filter((e) => e.step === 'preserve').map((e) => e.type)).toEqual([
      'step.started',
      'task.assigned',
      'reminder',
      'overdue',
    ]);
    expect(overdue.timeline.find((e) => e.type === 'reminder')?.data).toMatchObject({
      to: ['bob', 'bob@example.com', 'erin', 'erin@example.com', 'frank', 'frank@example.com'],
    });
    expect(stepOf(overdue, 'preserve')).toMatchObject({ status: 'waiting' });
    expect(stepOf(overdue, 'preserve').overdueAt).toBeDefined();
    await env.incidents.completeTask(id, { actor: frank, step: 'preserve' });
    expect((await env.incidents.result(id)).status).toBe('completed');
  });
  it("escalates a waiting task to the role's escalateTo after its `after`, and times it out", async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: task-escalate
title: Task escalation
version: 1
severity: sev2
roles:
  legal: { escalateTo: ciso, after: 3s }
  ciso: {}
steps:
  - { id: review, title: Legal review, task: Review the statement, assignee: role:legal }
  - { id: sign, title: Sign, task: Sign the statement, assignee: role:legal, timeout: 1s, onFailure: continue }
  - { id: after, title: After, action: timeline.note, with: { text: after } }
`);
    const id = await env.trigger(plan);
    // Before the escalation (3s), ciso may not act on legal's task.
    await waitForStep(env.incidents, id, 'review', 'waiting');
    expect((await refusal(env.incidents.completeTask(id, { actor: dave, step: 'review' }))).code).toBe('FORBIDDEN');
    const escalated = await waitForState(env.incidents, id, (s) => s.timeline.some((e) => e.type === 'escalated'));
    expect(stepOf(escalated, 'review').actors).toEqual(['role:legal', 'role:ciso']);
    await env.incidents.completeTask(id, { actor: dave, step: 'review' });
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({ review: 'succeeded', sign: 'timed_out', after: 'succeeded' });
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'sign').error).toEqual({ code: 'TIMEOUT', message: 'Task sign was not completed within 1s' });
  });
});

describe('decisions', () => {
  it('records an attributed decision with options and an acknowledgement, by the named role only', async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: decisions
title: Decisions
version: 1
severity: sev2
${roles}
steps:
  - { id: aware, title: We are aware, decision: becameAware, by: role:commander }
  - { id: pd, title: Personal data?, decision: personalData, options: [yes, no], by: role:commander }
  - id: only-if-yes
    title: Only when personal data
    when: decisions.personalData == "yes" && decisions.becameAware <= incident.startedAt + duration("1h")
    action: timeline.note
    with: { text: "personal data, aware at \${{ decisions.becameAware }}" }
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'aware', 'waiting');
    expect((await refusal(env.incidents.recordDecision(id, { actor: bob, decision: 'becameAware' }))).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (await refusal(env.incidents.recordDecision(id, { actor: alice, decision: 'personalData', option: 'yes' }))).code,
    ).toBe('CONFLICT');
    await env.incidents.recordDecision(id, { actor: alice, decision: 'becameAware' });
    await waitForStep(env.incidents, id, 'pd', 'waiting');
    expect(
      await refusal(env.incidents.recordDecision(id, { actor: alice, decision: 'personalData', option: 'maybe' })),
    ).toEqual({
      code: 'INVALID_INPUT',
      message: 'Decision personalData needs one of: yes, no',
    });
    await env.incidents.recordDecision(id, { actor: erin, decision: 'personalData', option: 'yes' });
    const result = await env.incidents.result(id);
    expect(result.steps['only-if-yes']).toBe('succeeded');
    const state = await env.incidents.state(id);
    expect(state.decisions.personalData).toMatchObject({ option: 'yes', by: 'erin', step: 'pd' });
    expect(state.decisions.becameAware).toMatchObject({ by: 'alice', step: 'aware' });
    expect(state.decisions.becameAware?.option).toBeUndefined();
  });
});

describe('approvals', () => {
  const approval = (extra: string) => `
apiVersion: firebreak/v1
id: approvals
title: Approvals
version: 1
severity: sev1
params:
  service: { type: string, default: billing }
${roles}
steps:
  - id: approve
    title: Rebuild?
    approval: Rebuild \${{ params.service }} from known-good artifacts
    approvers: [role:commander, role:security]
${extra}
  - { id: rebuild, title: Rebuild, action: timeline.note, with: { text: rebuilding } }
`;

  it('needs one approver per listed role; one person in two roles cannot approve alone', async () => {
    const id = await env.trigger(env.compile(approval('')));
    const waiting = await waitForStep(env.incidents, id, 'approve', 'waiting');
    const record = waiting.approvals.approve!;
    expect(record).toMatchObject({
      text: 'Rebuild billing from known-good artifacts',
      status: 'pending',
      approvers: ['role:commander', 'role:security'],
    });
    expect(record.textHash).toBe(`sha256:${sha256Hex('Rebuild billing from known-good artifacts')}`);
    expect(waiting.pending.map((p) => [p.kind, p.step])).toEqual([['approval', 'approve']]);

    expect(await refusal(env.incidents.vote(id, { actor: carol, step: 'approve', vote: 'approve' }))).toEqual({
      code: 'FORBIDDEN',
      message: 'carol may not act on approve: it needs role:commander or role:security',
    });
    expect((await refusal(env.incidents.vote(id, { actor: mallory, step: 'approve', vote: 'approve' }))).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (await refusal(env.incidents.vote(id, { actor: erin, step: 'approve', vote: 'approve', textHash: 'sha256:00' })))
        .code,
    ).toBe('CONFLICT');
    await env.incidents.vote(id, {
      actor: erin,
      step: 'approve',
      vote: 'approve',
      textHash: record.textHash,
      comment: 'clean images verified',
    });
    expect(await refusal(env.incidents.vote(id, { actor: erin, step: 'approve', vote: 'approve' }))).toEqual({
      code: 'CONFLICT',
      message: 'erin already voted on approve',
    });
    // erin holds both roles but counts once: still pending.
    expect((await env.incidents.state(id)).approvals.approve?.status).toBe('pending');
    await env.incidents.vote(id, { actor: bob, step: 'approve', vote: 'approve', textHash: record.textHash });
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({ approve: 'succeeded', rebuild: 'succeeded' });
    const state = await env.incidents.state(id);
    expect(state.approvals.approve?.votes.map((v) => [v.voter, v.vote])).toEqual([
      ['erin', 'approve'],
      ['bob', 'approve'],
    ]);
    expect(state.approvals.approve?.status).toBe('approved');
  });

  it('approves on a quorum and fails the step on a reject vote', async () => {
    const quorum = await env.trigger(env.compile(approval('    quorum: 2')));
    const { textHash } = (await waitForStep(env.incidents, quorum, 'approve', 'waiting')).approvals.approve!;
    await env.incidents.vote(quorum, { actor: bob, step: 'approve', vote: 'approve', textHash });
    await env.incidents.vote(quorum, { actor: frank, step: 'approve', vote: 'approve', textHash });
    expect((await env.incidents.result(quorum)).steps.approve).toBe('succeeded');

    const rejected = await env.trigger(env.compile(approval('')));
    await waitForStep(env.incidents, rejected, 'approve', 'waiting');
    await env.incidents.vote(rejected, {
      actor: alice,
      step: 'approve',
      vote: 'reject',
      comment: 'images not verified',
    });
    await expect(env.incidents.result(rejected)).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await env.incidents.state(rejected);
    expect(stepOf(state, 'approve').error).toEqual({
      code: 'APPROVAL_REJECTED',
      message: 'Approval approve was rejected',
    });
    expect(stepOf(state, 'rebuild').status).toBe('pending');
    expect(state.status).toBe('aborted');
    expect(
      state.timeline.filter((e) => e.type.startsWith('approval.') && e.step === 'approve').map((e) => e.type),
    ).toContain('approval.rejected');
  });

  it('with distinct: 2, one person in both roles is one person: a second person must approve', async () => {
    const id = await env.trigger(env.compile(approval('    quorum: 2\n    distinct: 2')));
    const { textHash } = (await waitForStep(env.incidents, id, 'approve', 'waiting')).approvals.approve!;
    await env.incidents.vote(id, { actor: erin, step: 'approve', vote: 'approve', textHash });
    // The same person under their e-mail address is still erin: no second vote, for the quorum or anyone.
    expect(
      await refusal(
        env.incidents.vote(id, { actor: { id: 'ERIN@example.com' }, step: 'approve', vote: 'approve', textHash }),
      ),
    ).toEqual({ code: 'CONFLICT', message: 'ERIN@example.com already voted on approve' });
    // The requester (alice, a commander) may not approve.
    expect(await refusal(env.incidents.vote(id, { actor: alice, step: 'approve', vote: 'approve', textHash }))).toEqual(
      {
        code: 'FORBIDDEN',
        message:
          'alice triggered this incident and may not approve approve; someone else must (or the step sets allowRequester: true)',
      },
    );
    const waiting = await env.incidents.state(id);
    expect(waiting.approvals.approve).toMatchObject({ status: 'pending', distinct: 2, distinctApprovers: ['erin'] });
    expect(stepOf(waiting, 'approve').status).toBe('waiting');
    await env.incidents.vote(id, { actor: bob, step: 'approve', vote: 'approve', textHash });
    expect((await env.incidents.result(id)).steps).toEqual({ approve: 'succeeded', rebuild: 'succeeded' });
    expect((await env.incidents.state(id)).approvals.approve).toMatchObject({
      status: 'approved',
      distinctApprovers: ['erin', 'bob'],
    });
  });

  it('with distinct: 2, two people of one role are needed where one approval from the role would do', async () => {
    const id = await env.trigger(
      env.compile(approval('    distinct: 2').replace('role:commander, role:security', 'role:security')),
    );
    const { textHash } = (await waitForStep(env.incidents, id, 'approve', 'waiting')).approvals.approve!;
    await env.incidents.vote(id, { actor: bob, step: 'approve', vote: 'approve', textHash });
    const waiting = await env.incidents.state(id);
    expect(waiting.approvals.approve).toMatchObject({ status: 'pending', distinctApprovers: ['bob'] });
    expect(stepOf(waiting, 'approve').status).toBe('waiting');
    await env.incidents.vote(id, { actor: frank, step: 'approve', vote: 'approve', textHash });
    expect((await env.incidents.result(id)).steps.approve).toBe('succeeded');
  });

  it('with distinct and allowRequester, the requester counts for their role but never as one of the people', async () => {
    const id = await env.trigger(env.compile(approval('    allowRequester: true\n    distinct: 2')));
    const { textHash } = (await waitForStep(env.incidents, id, 'approve', 'waiting')).approvals.approve!;
    await env.incidents.vote(id, { actor: alice, step: 'approve', vote: 'approve', textHash });
    await env.incidents.vote(id, { actor: bob, step: 'approve', vote: 'approve', textHash });
    // Both roles have approved, but only bob counts as a person: still waiting.
    const waiting = await env.incidents.state(id);
    expect(waiting.approvals.approve).toMatchObject({ status: 'pending', distinctApprovers: ['bob'] });
    expect(stepOf(waiting, 'approve').status).toBe('waiting');
    await env.incidents.vote(id, { actor: frank, step: 'approve', vote: 'approve', textHash });
    expect((await env.incidents.result(id)).steps.approve).toBe('succeeded');
    expect((await env.incidents.state(id)).approvals.approve?.distinctApprovers).toEqual(['bob', 'frank']);
  });

  it('with distinct, escalates on timeout when the roles have approved but people are missing', async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: escalation-distinct
title: Escalation for a second person
version: 1
severity: sev1
${roles}
steps:
  - id: sign-off
    title: Legal sign-off
    approval: Destroy the compromised host
    approvers: [role:legal]
    distinct: 2
    timeout: 2s
    onTimeout: escalate
`);
    const id = await env.trigger(plan);
    const { textHash } = (await waitForStep(env.incidents, id, 'sign-off', 'waiting')).approvals['sign-off']!;
    await env.incidents.vote(id, { actor: carol, step: 'sign-off', vote: 'approve', textHash });
    const escalated = await waitForState(env.incidents, id, (s) => s.approvals['sign-off']?.escalated === true);
    expect(escalated.timeline.find((e) => e.type === 'escalated')?.message).toBe(
      'sign-off escalated from role:legal to role:ciso',
    );
    await env.incidents.vote(id, { actor: dave, step: 'sign-off', vote: 'approve', textHash });
    expect((await env.incidents.result(id)).steps['sign-off']).toBe('succeeded');
    expect((await env.incidents.state(id)).approvals['sign-off']?.distinctApprovers).toEqual(['carol', 'dave']);
  });

  it("escalates on timeout to the waiting role's escalateTo, who may then approve", async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: escalation
title: Escalation
version: 1
severity: sev1
${roles}
steps:
  - id: sign-off
    title: Legal sign-off
    approval: Publish the statement
    approvers: [role:commander, role:legal]
    allowRequester: true # alice triggers and approves as commander
    timeout: 2s
    onTimeout: escalate
`);
    const id = await env.trigger(plan);
    const { textHash } = (await waitForStep(env.incidents, id, 'sign-off', 'waiting')).approvals['sign-off']!;
    await env.incidents.vote(id, { actor: alice, step: 'sign-off', vote: 'approve', textHash });
    expect(
      (await refusal(env.incidents.vote(id, { actor: dave, step: 'sign-off', vote: 'approve', textHash }))).code,
    ).toBe('FORBIDDEN');
    const escalated = await waitForState(env.incidents, id, (s) => s.approvals['sign-off']?.escalated === true);
    expect(escalated.timeline.find((e) => e.type === 'escalated')).toMatchObject({
      message: 'sign-off escalated from role:legal to role:ciso',
      data: { from: ['legal'], to: 'ciso', notify: ['dave', 'dave@example.com'] },
    });
    await env.incidents.vote(id, { actor: dave, step: 'sign-off', vote: 'approve', textHash });
    expect((await env.incidents.result(id)).steps['sign-off']).toBe('succeeded');
    const state = await env.incidents.state(id);
    expect(state.approvals['sign-off']?.votes.map((v) => [v.voter, v.roles])).toEqual([
      ['alice', ['commander']],
      ['dave', ['legal']],
    ]);
  });

  it('fails the step when an approval times out with onTimeout: reject', async () => {
    const id = await env.trigger(
      env.compile(approval('    timeout: 1s\n    onTimeout: reject\n    onFailure: continue')),
    );
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({ approve: 'timed_out', rebuild: 'succeeded' });
    const state = await env.incidents.state(id);
    expect(state.approvals.approve?.status).toBe('timed_out');
    expect(stepOf(state, 'approve').error).toEqual({
      code: 'TIMEOUT',
      message: 'Approval approve got no decision within 1s',
    });
  });

  it('aborts the run when an approval times out with onTimeout: abort, even with onFailure: continue', async () => {
    const id = await env.trigger(
      env.compile(approval('    timeout: 1s\n    onTimeout: abort\n    onFailure: continue')),
    );
    await expect(env.incidents.result(id)).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await env.incidents.state(id);
    expect(state.approvals.approve?.status).toBe('timed_out');
    expect(state.status).toBe('aborted');
    expect(stepOf(state, 'rebuild').status).toBe('pending');
  });
});

describe('cancel', () => {
  it('cancels a waiting incident for the commander, with a reason, and refuses outsiders', async () => {
    const id = await env.trigger(
      env.compile(`
apiVersion: firebreak/v1
id: cancel-me
title: Cancel me
version: 1
severity: sev4
${roles}
steps:
  - { id: wait-here, title: Wait, task: Wait for a person, assignee: role:commander }
`),
    );
    await waitForStep(env.incidents, id, 'wait-here', 'waiting');
    expect((await refusal(env.incidents.cancel(id, { actor: mallory, reason: 'no' }))).code).toBe('FORBIDDEN');
    expect((await refusal(env.incidents.cancel(id, { actor: alice, reason: '  ' }))).code).toBe('INVALID_INPUT');
    await env.incidents.cancel(id, { actor: alice, reason: 'false positive' });
    const result = await env.incidents.result(id);
    expect(result.status).toBe('cancelled');
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'wait-here').status).toBe('cancelled');
    expect(state.pending).toEqual([]);
    expect(state.timeline.find((e) => e.type === 'incident.cancel_requested')).toMatchObject({
      actor: 'alice',
      message: 'Cancel requested: false positive',
    });
  });
});
