/**
 * The message routes against the real dev server: an incident's messages, one step's message (404 with
 * the reason when there is none), votes by fingerprint (400 naming the field, 404 on a step that is not a
 * notify step, audited), the messages awaiting approval, and a notify step approved through the API and
 * sent to a loopback SMTP server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/domain/state.js';
import type { PendingMessages } from '../../src/incidents/messages.js';
import { eventually } from '../support/poll.js';
import type { TestSmtpServer } from '../support/smtp-server.js';
import { waitForStep, type TestEnv } from '../support/temporal.js';
import { startApiTest, type ApiHarness, type ApiTest } from './support.js';

const suffix = randomBytes(3).toString('hex');
const holdId = `api-msg-hold-${suffix}`;
const FINGERPRINT = `sha256:${'ab'.repeat(32)}`;

const noticeId = `api-msg-notice-${suffix}`;
const notice = `
apiVersion: firebreak/v1
id: ${noticeId}
title: Customer data exposure
version: 1
severity: sev1
roles:
  commander: {}
  security: {}
  legal: {}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:
  - id: scope
    title: Establish what was accessed
    task: Review the access logs
    assignee: role:security
    sets: [recordsAffected, dataCategories]
  - id: tell
    title: Tell the customers
    notify:
      message: breach-notice
      channels: [email]
      to: { email: [customer@example.net] }
      from: role:commander
      approvers: [role:legal]
      requires: [recordsAffected, dataCategories]
`;

const hold = `
apiVersion: firebreak/v1
id: ${holdId}
title: Hold
version: 1
severity: sev3
roles:
  security: {}
steps:
  - id: scope
    title: Scope
    task: Scope it
    assignee: role:security
`;

let env: TestEnv;
let api: ApiHarness;
let smtp: TestSmtpServer;
let setup: ApiTest | undefined;
let incidentId: string;
beforeAll(async () => {
  ({ env, api, smtp } = setup = await startApiTest({ yaml: [hold, notice], notifyTemplates: true, smtp: true }));
  incidentId = await api.trigger('alice', holdId);
  await waitForStep(env.incidents, incidentId, 'scope', 'waiting');
});
afterAll(() => setup?.close());

interface ErrorAnswer {
  error: { status: number; code: string; message: string; issues?: { path: string; message: string }[] };
}

describe('reading messages', () => {
  it('lists no messages for an incident without notify steps', async () => {
    const response = await api.call('bob', { method: 'GET', url: `/api/v1/incidents/${incidentId}/messages` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ messages: [] });
  });

  it('answers 404 for an unknown incident', async () => {
    const response = await api.call('bob', { method: 'GET', url: `/api/v1/incidents/nope-${suffix}/messages` });
    expect(response.statusCode).toBe(404);
    expect(response.json<ErrorAnswer>().error.message).toBe(`no incident nope-${suffix}`);
  });

  it('answers 404 saying why a step has no message', async () => {
    const task = await api.call('bob', { method: 'GET', url: `/api/v1/incidents/${incidentId}/messages/scope` });
    expect(task.statusCode).toBe(404);
    expect(task.json<ErrorAnswer>().error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'step scope is a task step, not a notify step: it has no message',
    });
    const unknown = await api.call('bob', { method: 'GET', url: `/api/v1/incidents/${incidentId}/messages/nope` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<ErrorAnswer>().error.message).toBe(`no step nope in incident ${incidentId}`);
  });

  it('refuses a step id that is not one (400, in the path)', async () => {
    const response = await api.call('bob', { method: 'GET', url: `/api/v1/incidents/${incidentId}/messages/9x` });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorAnswer>().error.issues).toEqual([{ path: 'path.stepId', message: 'expected a step id' }]);
  });
});

describe('voting on a message', () => {
  const voteUrl = () => `/api/v1/incidents/${incidentId}/messages/scope/votes`;

  it('refuses an approval without a fingerprint, naming the field (400)', async () => {
    const response = await api.call('bob', { method: 'POST', url: voteUrl(), payload: { vote: 'approve' } });
    expect(response.statusCode).toBe(400);
    const issues = response.json<ErrorAnswer>().error.issues ?? [];
    expect(issues.map((issue) => issue.path)).toEqual(['fingerprint']);
    expect(issues[0]?.message).toMatch(/^required to approve/);
  });

  it('refuses a fingerprint that is not one, an unknown vote and unknown fields together (400)', async () => {
    const response = await api.call('bob', {
      method: 'POST',
      url: voteUrl(),
      payload: { vote: 'maybe', fingerprint: 'sha256:short', textHash: FINGERPRINT },
    });
    expect(response.statusCode).toBe(400);
    const paths = (response.json<ErrorAnswer>().error.issues ?? []).map((issue) => issue.path).sort();
    expect(paths).toEqual(['fingerprint', 'textHash', 'vote']);
  });

  it('answers 404 for a vote on a step that is not a notify step, and audits it', async () => {
    const response = await api.call('bob', {
      method: 'POST',
      url: voteUrl(),
      payload: { vote: 'approve', fingerprint: FINGERPRINT, comment: 'looks right' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json<ErrorAnswer>().error.message).toBe(
      'step scope is a task step, not a notify step: it has no message',
    );
    const entry = api.audit.entries.filter((candidate) => candidate.path === voteUrl()).at(-1);
    expect(entry).toMatchObject({ user: 'bob', status: 404, incidentId, outcome: 'refused', code: 'NOT_FOUND' });
    // The task is untouched: the vote never reached the run.
    const state = await env.incidents.state(incidentId);
    expect(state.steps.find((step) => step.id === 'scope')?.status).toBe('waiting');
  });

  it('a reject needs no fingerprint; an unknown incident is 404', async () => {
    const response = await api.call('bob', {
      method: 'POST',
      url: `/api/v1/incidents/nope-${suffix}/messages/notice/votes`,
      payload: { vote: 'reject' },
    });
    expect(response.statusCode).toBe(404);
  });

  it('answers 401 without a token', async () => {
    const response = await api.call(null, { method: 'POST', url: voteUrl(), payload: { vote: 'reject' } });
    expect(response.statusCode).toBe(401);
  });
});

describe('messages awaiting approval', () => {
  it('lists none in an incident without notify steps', async () => {
    const response = await api.call('alice', { method: 'GET', url: `/api/v1/messages/pending?incident=${incidentId}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ messages: [], truncated: false, unreadable: [] });
  });

  it('reads the running incidents, this one included, without failing on any', async () => {
    const response = await api.call('alice', { method: 'GET', url: '/api/v1/messages/pending' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ messages: { incidentId: string }[]; truncated: boolean; unreadable: string[] }>();
    expect(body.messages.filter((message) => message.incidentId === incidentId)).toEqual([]);
    expect(body.unreadable).not.toContain(incidentId);
  });

  it('answers 404 for an unknown incident and 400 for a malformed one', async () => {
    const unknown = await api.call('alice', { method: 'GET', url: `/api/v1/messages/pending?incident=nope-${suffix}` });
    expect(unknown.statusCode).toBe(404);
    const malformed = await api.call('alice', { method: 'GET', url: '/api/v1/messages/pending?incident=%20x' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<ErrorAnswer>().error.issues?.[0]?.path).toBe('query.incident');
  });
});

describe('a notify step approved through the API', () => {
  async function message(id: string): Promise<MessageRecord> {
    const response = await api.call('carol', { method: 'GET', url: `/api/v1/incidents/${id}/messages/tell` });
    expect(response.statusCode).toBe(200);
    return response.json<{ message: MessageRecord }>().message;
  }

  it('lists the message as pending, refuses a stale fingerprint, and sends once its fingerprint is approved', async () => {
    const triggered = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { runbook: noticeId },
    });
    const id = triggered.json<{ incidentId: string }>().incidentId;
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    const task = await api.call('bob', {
      method: 'POST',
      url: `/api/v1/incidents/${id}/tasks/scope/complete`,
      payload: { facts: { recordsAffected: { value: 1200 }, dataCategories: { value: ['names'] } } },
    });
    expect(task.statusCode).toBe(200);

    const pending = await eventually(async () => {
      const response = await api.call('carol', { method: 'GET', url: `/api/v1/messages/pending?incident=${id}` });
      return response.json<PendingMessages>().messages[0];
    });
    expect(pending).toMatchObject({
      incidentId: id,
      title: 'Customer data exposure',
      step: 'tell',
      message: 'breach-notice',
      channels: ['email'],
      approvers: ['role:legal'],
      votes: [],
    });
    expect(pending.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const everywhere = await api.call('carol', { method: 'GET', url: '/api/v1/messages/pending' });
    expect(everywhere.json<PendingMessages>().messages).toContainEqual(pending);

    const record = await message(id);
    expect(record).toMatchObject({ status: 'pending_approval', fingerprint: pending.fingerprint });
    expect(record.channels[0]?.parts.text).toContain('We found that 1,200 records were accessed.');

    const url = `/api/v1/incidents/${id}/messages/tell/votes`;
    const stale = await api.call('carol', {
      method: 'POST',
      url,
      payload: { vote: 'approve', fingerprint: `sha256:${'0'.repeat(64)}` },
    });
    expect(stale.statusCode).toBe(409);
    const approve = await api.call('carol', {
      method: 'POST',
      url,
      payload: { vote: 'approve', fingerprint: pending.fingerprint, comment: 'read word for word' },
    });
    expect(approve.statusCode).toBe(200);
    expect(api.audit.entries.filter((entry) => entry.path === url).map((entry) => entry.status)).toEqual([409, 200]);

    const sent = await eventually(async () => {
      const current = await message(id);
      return current.status === 'sent' ? current : undefined;
    });
    expect(sent.votes).toEqual([
      expect.objectContaining({ voter: 'carol', vote: 'approve', comment: 'read word for word' }),
    ]);
    expect(sent.sent[0]).toMatchObject({ fingerprint: pending.fingerprint, approvedBy: ['carol'] });
    expect(smtp.messages.map((mail) => mail.recipient)).toContain('customer@example.net');
    const all = await api.call('carol', { method: 'GET', url: `/api/v1/incidents/${id}/messages` });
    expect(all.json<{ messages: MessageRecord[] }>().messages.map((m) => [m.step, m.status])).toEqual([
      ['tell', 'sent'],
    ]);
  });
});
