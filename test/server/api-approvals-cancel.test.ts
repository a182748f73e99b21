/**
 * Separation of duties and cancellation through the API, against the real dev server (issue 10, finding 7):
 * an approving vote must name the text it approves; whoever triggered an incident may not approve its
 * approvals unless the step allows it, and a step with `distinct` shows the people counted; with
 * four-eyes, whoever supplied the params a message uses may not approve it; a recipient that is not one e-mail address fails the step before anything awaits approval;
 * only the commander (or the runbook's `cancel` roles) may cancel, refusals and cancels audited; a cancel
 * sent straight to Temporal is recorded with the identity Temporal gives. Each refusal leaves the incident
 * as it was.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/state.js';
import type { TestSmtpServer } from '../support/smtp-server.js';
import { waitForState, waitForStep, type TestEnv } from '../support/temporal.js';
import { startApiTest, type ApiHarness, type ApiTest, type ApiUser } from './support.js';

const suffix = randomBytes(3).toString('hex');

const approvalRunbook = (id: string, allowRequester: boolean) => `
apiVersion: firebreak/v1
id: ${id}
title: Rebuild
version: 1
severity: sev2
params:
  host: { type: string, required: true }
roles:
  commander: {}
  security: {}
steps:
  - id: sign
    title: Rebuild the host
    approval: Rebuild \${{ params.host }} from known-good images
    approvers: [role:commander, role:security]
    allowRequester: ${allowRequester}
`;
const strictId = `sod-strict-${suffix}`;
const twoPeopleId = `sod-two-people-${suffix}`;
const twoPeople = `
apiVersion: firebreak/v1
id: ${twoPeopleId}
title: Destroy
version: 1
severity: sev1
roles:
  commander: {}
  security: {}
  legal: {}
steps:
  - id: sign
    title: Destroy the host
    approval: Destroy the compromised host
    approvers: [role:commander, role:security, role:legal]
    quorum: 2
    distinct: 2
`;
const openId = `sod-open-${suffix}`;

const messageRunbook = (id: string, fourEyes: boolean) => `
apiVersion: firebreak/v1
id: ${id}
title: Tell the customer
version: 1
severity: sev1
params:
  customer: { type: string, required: true }
roles:
  commander: {}
  security: {}
  legal: {}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:
  - id: scope
    title: Scope
    task: Review the access logs
    assignee: role:security
    sets: [recordsAffected, dataCategories]
  - id: tell
    title: Tell the customer
    notify:
      message: breach-notice
      channels: [email]
      to: { email: ["\${{ params.customer }}"] }
      from: role:commander
      approvers: [role:legal]
      requires: [recordsAffected, dataCategories]
      fourEyes: ${fourEyes}
      allowRequester: true
`;
const fourEyesId = `sod-four-eyes-${suffix}`;
const plainMessageId = `sod-message-${suffix}`;

const holdId = `sod-hold-${suffix}`;
const hold = `
apiVersion: firebreak/v1
id: ${holdId}
title: Hold
version: 1
severity: sev3
roles:
  commander: {}
  security: {}
steps:
  - { id: wait-here, title: Wait here, task: Wait, assignee: role:security }
`;
const securityCancelsId = `sod-security-cancels-${suffix}`;
const securityCancels = `
apiVersion: firebreak/v1
id: ${securityCancelsId}
title: Hold, cancelled by security
version: 1
severity: sev3
roles:
  commander: {}
  security: {}
cancel: { roles: [role:security] }
steps:
  - { id: wait-here, title: Wait here, task: Wait, assignee: role:security }
`;

let env: TestEnv;
let api: ApiHarness;
let smtp: TestSmtpServer;
let setup: ApiTest | undefined;
beforeAll(async () => {
  const yaml = [
    approvalRunbook(strictId, false),
    approvalRunbook(openId, true),
    twoPeople,
    messageRunbook(fourEyesId, true),
    messageRunbook(plainMessageId, false),
    hold,
    securityCancels,
  ];
  ({ env, api, smtp } = setup = await startApiTest({ yaml, notifyTemplates: true, smtp: true }));
});
afterAll(() => setup?.close());

function vote(as: ApiUser, id: string, step: string, payload: Record<string, unknown>) {
  return api.call(as, { method: 'POST', url: `/api/v1/incidents/${id}/approvals/${step}`, payload });
}

function errorOf(response: { json<T>(): T }): { code: string; message: string } {
  return response.json<{ error: { code: string; message: string } }>().error;
}

/** The audit entries of one incident's write requests, as `user method path status code`. */
function auditOf(id: string): string[] {
  return api.audit.entries
    .filter((entry) => entry.incidentId === id)
    .map((entry) =>
      `${entry.user ?? '-'} ${entry.path.replace(`/api/v1/incidents/${id}`, '')} ${entry.status} ${entry.code ?? ''}`.trim(),
    );
}

describe('approval steps', () => {
  it('refuses an approving vote that names no text, and leaves the approval as it was', async () => {
    const id = await api.trigger('alice', strictId, { host: 'web-1' });
    const before = await waitForStep(env.incidents, id, 'sign', 'waiting');
    const refused = await vote('bob', id, 'sign', { vote: 'approve', comment: 'fine' });
    expect(refused.statusCode).toBe(400);
    expect(errorOf(refused)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(errorOf(refused).message).toMatch(/must name the text it approves/);
    const after = await env.incidents.state(id);
    expect(after.approvals.sign).toMatchObject({ status: 'pending', votes: [] });
    expect(after.timeline).toEqual(before.timeline);
    expect(auditOf(id)).toContain('bob /approvals/sign 400 INVALID_INPUT');
    await env.incidents.handle(id).terminate('test over');
  });

  it("refuses the requester's approval by default; allowRequester lets them approve", async () => {
    const strict = await api.trigger('alice', strictId, { host: 'web-2' });
    const before = await waitForStep(env.incidents, strict, 'sign', 'waiting');
    const textHash = before.approvals.sign?.textHash;
    const refused = await vote('alice', strict, 'sign', { vote: 'approve', textHash });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused)).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(refused).message).toMatch(/alice triggered this incident and may not approve sign/);
    const after = await env.incidents.state(strict);
    expect(after.approvals.sign).toMatchObject({ status: 'pending', votes: [] });
    expect(after.timeline).toEqual(before.timeline);
    expect(auditOf(strict)).toContain('alice /approvals/sign 403 FORBIDDEN');
    await env.incidents.handle(strict).terminate('test over');

    const open = await api.trigger('alice', openId, { host: 'web-3' });
    const waiting = await waitForStep(env.incidents, open, 'sign', 'waiting');
    const hash = waiting.approvals.sign?.textHash;
    expect((await vote('alice', open, 'sign', { vote: 'approve', textHash: hash })).statusCode).toBe(200);
    expect((await vote('bob', open, 'sign', { vote: 'approve', textHash: hash })).statusCode).toBe(200);
    const done = await waitForState(env.incidents, open, (s) => s.status === 'completed');
    expect(done.approvals.sign?.votes.map((v) => v.voter)).toEqual(['alice', 'bob']);
  });
});

describe('the two-person rule', () => {
  it('refuses the requester and shows the distinct people counted in the incident until two approved', async () => {
    const id = await api.trigger('alice', twoPeopleId, {});
    const textHash = (await waitForStep(env.incidents, id, 'sign', 'waiting')).approvals.sign?.textHash;
    const refused = await vote('alice', id, 'sign', { vote: 'approve', textHash });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).message).toMatch(/alice triggered this incident and may not approve sign/);
    expect((await vote('bob', id, 'sign', { vote: 'approve', textHash })).statusCode).toBe(200);
    const shown = await api.call('carol', { method: 'GET', url: `/api/v1/incidents/${id}` });
    expect(shown.json<{ incident: IncidentState }>().incident.approvals.sign).toMatchObject({
      status: 'pending',
      distinct: 2,
      distinctApprovers: ['bob'],
    });
    expect((await vote('carol', id, 'sign', { vote: 'approve', textHash })).statusCode).toBe(200);
    const done = await waitForState(env.incidents, id, (s) => s.status === 'completed');
    expect(done.approvals.sign).toMatchObject({ status: 'approved', distinctApprovers: ['bob', 'carol'] });
  });
});

describe('messages', () => {
  async function pendingMessage(id: string): Promise<IncidentState> {
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    const task = await api.call('bob', {
      method: 'POST',
      url: `/api/v1/incidents/${id}/tasks/scope/complete`,
      payload: { facts: { recordsAffected: { value: 12 }, dataCategories: { value: ['email'] } } },
    });
    expect(task.statusCode).toBe(200);
    return waitForState(env.incidents, id, (s) => s.messages?.tell?.status === 'pending_approval');
  }

  it('with fourEyes, refuses the person who supplied the params the message uses (its recipient)', async () => {
    const id = await api.trigger('carol', fourEyesId, { customer: 'customer@example.net' });
    const before = await pendingMessage(id);
    const fingerprint = before.messages?.tell?.fingerprint;
    const url = `/api/v1/incidents/${id}/messages/tell/votes`;
    const refused = await api.call('carol', { method: 'POST', url, payload: { vote: 'approve', fingerprint } });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).message).toMatch(/Four-eyes rule: carol supplied the params customer/);
    const after = await env.incidents.state(id);
    expect(after.messages?.tell).toMatchObject({ status: 'pending_approval', votes: [] });
    expect(after.timeline).toEqual(before.timeline);
    expect(smtp.messages).toEqual([]);
    await env.incidents.handle(id).terminate('test over');
  });

  it.each([
    ['a line break', 'customer@example.net\r\nBcc: everyone@example.org', /contains a line break/],
    ['two addresses', 'customer@example.net, everyone@example.org', /not one e-mail address/],
  ])('fails the step before approval when the recipient param holds %s', async (_what, customer, why) => {
    const id = await api.trigger('alice', plainMessageId, { customer });
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    const task = await api.call('bob', {
      method: 'POST',
      url: `/api/v1/incidents/${id}/tasks/scope/complete`,
      payload: { facts: { recordsAffected: { value: 12 }, dataCategories: { value: ['email'] } } },
    });
    expect(task.statusCode).toBe(200);
    const failed = await waitForState(env.incidents, id, (s) => s.status !== 'running');
    const tell = failed.steps.find((step) => step.id === 'tell');
    expect(tell).toMatchObject({ status: 'failed', error: { code: 'INVALID_INPUT' } });
    expect(tell?.error?.message).toMatch(why);
    expect(failed.messages?.tell).toBeUndefined();
    expect(failed.approvals.tell).toBeUndefined();
    expect(failed.pending).toEqual([]);
    const types = failed.timeline.map((event) => event.type);
    expect(types).not.toContain('message.rendered');
    expect(types).not.toContain('message.approval_requested');
    expect(smtp.messages).toEqual([]);
  });
});

describe('cancel', () => {
  const cancel = (as: ApiUser, id: string) =>
    api.call(as, { method: 'POST', url: `/api/v1/incidents/${id}/cancel`, payload: { reason: `by ${as}` } });

  it('refuses a role holder who is not the commander, audited; the commander cancels, audited', async () => {
    const id = await api.trigger('bob', holdId);
    const before = await waitForStep(env.incidents, id, 'wait-here', 'waiting');
    const refused = await cancel('bob', id);
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).message).toBe('bob may not cancel this incident: it needs role:commander');
    const still = await env.incidents.state(id);
    expect(still.status).toBe('running');
    expect(still.timeline).toEqual(before.timeline);

    expect((await cancel('alice', id)).statusCode).toBe(200);
    const done = await waitForState(env.incidents, id, (s) => s.status === 'cancelled');
    expect(done.timeline.filter((e) => e.type.startsWith('incident.cancel'))).toMatchObject([
      { type: 'incident.cancel_requested', actor: 'alice', source: 'api', message: 'Cancel requested: by alice' },
      { type: 'incident.cancelled', actor: 'alice', source: 'api' },
    ]);
    expect(auditOf(id).filter((line) => line.includes('/cancel'))).toEqual([
      'bob /cancel 403 FORBIDDEN',
      'alice /cancel 200',
    ]);
  });

  it("follows the runbook's cancel roles", async () => {
    const id = await api.trigger('alice', securityCancelsId);
    await waitForStep(env.incidents, id, 'wait-here', 'waiting');
    const refused = await cancel('alice', id);
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).message).toBe('alice may not cancel this incident: it needs role:security');
    expect((await cancel('bob', id)).statusCode).toBe(200);
    await waitForState(env.incidents, id, (s) => s.status === 'cancelled');
  });

  it('records a cancel sent straight to Temporal with the identity Temporal gives', async () => {
    const id = await api.trigger('alice', holdId);
    await waitForStep(env.incidents, id, 'wait-here', 'waiting');
    const connection = await Connection.connect({ address: env.address });
    try {
      const operator = new Client({ connection, identity: 'ops-console@test' });
      await operator.workflow.getHandle(id).cancel();
    } finally {
      await connection.close();
    }
    const done = await waitForState(env.incidents, id, (s) => s.status === 'cancelled');
    expect(done.timeline.find((e) => e.type === 'incident.cancelled')).toMatchObject({
      actor: 'ops-console@test',
      source: 'temporal',
      data: { via: 'temporal' },
    });
  });
});
