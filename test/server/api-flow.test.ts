/**
 * A whole incident through the HTTP API against the real dev server: trigger, state, a task with facts,
 * a decision, an approval by two people, completion; the identity and source recorded on the timeline;
 * dedup (201, then 200 with the same id); the runbook routes; listing with filters.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/state.js';
import { dedupWorkflowId } from '../../src/incidents/client.js';
import { eventually } from '../support/poll.js';
import { waitForState, waitForStep, type TestEnv } from '../support/temporal.js';
import { startApiTest, type ApiHarness, type ApiTest } from './support.js';

const suffix = randomBytes(3).toString('hex');
const breachId = `api-breach-${suffix}`;
const holdId = `api-hold-${suffix}`;

const breach = `
apiVersion: firebreak/v1
id: ${breachId}
title: API breach
version: 2
description: Scope, decide, approve.
severity: sev2
tags: [api]
params:
  host: { type: string, required: true, description: The host }
  region: { type: string, enum: [eu, us], default: eu }
roles:
  commander: {}
  security: {}
  legal: {}
facts:
  recordsAffected: { type: integer }
steps:
  - id: scope
    title: Scope
    task: Establish what was read on \${{ params.host }}
    assignee: role:security
    sets: [recordsAffected]
  - id: notify
    title: Notify?
    decision: notifyRegulator
    options: [yes, no]
    by: role:legal
  - id: destroy
    title: Destroy the host
    approval: Destroy \${{ params.host }}
    approvers: [role:commander, role:security]
    allowRequester: true # alice triggers and approves as commander
`;

const hold = `
apiVersion: firebreak/v1
id: ${holdId}
title: Hold
version: 1
severity: sev3
roles:
  commander: {}
steps:
  - id: wait-here
    title: Wait here
    task: Wait
    assignee: role:commander
`;

let env: TestEnv;
let api: ApiHarness;
let setup: ApiTest | undefined;
beforeAll(async () => {
  ({ env, api } = setup = await startApiTest({ yaml: [breach, hold] }));
});
afterAll(() => setup?.close());

interface IncidentRow {
  incidentId: string;
  runbook: string;
  status: string;
  severity: string;
  startedAt: string;
  closedAt?: string;
}

async function state(id: string): Promise<IncidentState> {
  const response = await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${id}` });
  expect(response.statusCode).toBe(200);
  return response.json<{ incident: IncidentState }>().incident;
}

describe('an incident through the API', () => {
  it('runs from trigger to completion with tasks, facts, a decision and two approvals', async () => {
    const triggered = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { runbook: breachId, params: { host: 'db-1' }, severity: 'sev1' },
    });
    expect(triggered.statusCode).toBe(201);
    const { incidentId, created } = triggered.json<{ incidentId: string; created: boolean }>();
    expect(created).toBe(true);
    expect(incidentId).toMatch(new RegExp(`^${breachId}-\\d{8}-[0-9a-f]{8}$`));

    await waitForStep(env.incidents, incidentId, 'scope', 'waiting');
    const started = await state(incidentId);
    expect(started).toMatchObject({
      incidentId,
      runbook: { id: breachId, title: 'API breach', version: 2 },
      severity: 'sev1',
      status: 'running',
      triggeredBy: 'alice',
      params: { host: 'db-1', region: 'eu' },
    });
    expect(started.pending).toEqual([
      expect.objectContaining({ kind: 'task', step: 'scope', prompt: 'Establish what was read on db-1' }),
    ]);

    const task = await api.call('bob', {
      method: 'POST',
      url: `/api/v1/incidents/${incidentId}/tasks/scope/complete`,
      headers: { 'x-firebreak-client': 'cli' },
      payload: { facts: { recordsAffected: { value: 1200 } }, note: 'read from the replica' },
    });
    expect(task.statusCode).toBe(200);
    expect(task.json()).toEqual({ ok: true, message: 'scope updated' });

    await waitForStep(env.incidents, incidentId, 'notify', 'waiting');
    const decision = await api.call('carol', {
      method: 'POST',
      url: `/api/v1/incidents/${incidentId}/decisions`,
      payload: { decision: 'notifyRegulator', option: 'yes' },
    });
    expect(decision.statusCode).toBe(200);

    await waitForStep(env.incidents, incidentId, 'destroy', 'waiting');
    const approval = (await state(incidentId)).approvals.destroy;
    expect(approval).toMatchObject({ text: 'Destroy db-1', status: 'pending', votes: [] });
    for (const voter of ['alice', 'bob'] as const) {
      const vote = await api.call(voter, {
        method: 'POST',
        url: `/api/v1/incidents/${incidentId}/approvals/destroy`,
        payload: { vote: 'approve', comment: `ok from ${voter}`, textHash: approval?.textHash },
      });
      expect(vote.statusCode).toBe(200);
    }

    await waitForState(env.incidents, incidentId, (s) => s.status === 'completed');
    const done = await state(incidentId);
    expect(done.steps.map((step) => [step.id, step.status])).toEqual([
      ['scope', 'succeeded'],
      ['notify', 'succeeded'],
      ['destroy', 'succeeded'],
    ]);
    expect(done.facts.recordsAffected).toMatchObject({ value: 1200, status: 'confirmed', setBy: 'bob', step: 'scope' });
    expect(done.decisions.notifyRegulator).toMatchObject({ option: 'yes', by: 'carol' });
    expect(done.approvals.destroy?.status).toBe('approved');
    expect(done.approvals.destroy?.votes.map((v) => [v.voter, v.vote, v.comment])).toEqual([
      ['alice', 'approve', 'ok from alice'],
      ['bob', 'approve', 'ok from bob'],
    ]);
    // Each person's action is on the timeline with where it came from.
    expect(done.timeline[0]).toMatchObject({ type: 'incident.started', actor: 'alice', source: 'api' });
    const people = done.timeline
      .filter((event) => event.actor !== 'system' && event.type !== 'incident.started')
      .map((event) => [event.type, event.actor, event.source]);
    expect(people).toEqual([
      ['fact.set', 'bob', 'cli'],
      ['task.completed', 'bob', 'cli'],
      ['decision.recorded', 'carol', 'api'],
      ['approval.approved', 'alice', 'api'],
      ['approval.approved', 'bob', 'api'],
    ]);

    const writes = api.audit.entries.filter((entry) => entry.incidentId === incidentId && entry.method !== 'GET');
    expect(writes.map((e) => [e.user, e.source, e.status, e.outcome])).toEqual([
      ['alice', 'api', 201, 'ok'],
      ['bob', 'cli', 200, 'ok'],
      ['carol', 'api', 200, 'ok'],
      ['alice', 'api', 200, 'ok'],
      ['bob', 'api', 200, 'ok'],
    ]);
  });

  it('deduplicates by key: 201 for the first trigger, 200 with the same id for the next', async () => {
    const dedupKey = `api-dedup-${suffix}`;
    const payload = { runbook: holdId, dedupKey };
    const first = await api.call('alice', { method: 'POST', url: '/api/v1/incidents', payload });
    const second = await api.call('bob', { method: 'POST', url: '/api/v1/incidents', payload });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    const id = first.json<{ incidentId: string }>().incidentId;
    expect(second.json()).toEqual({ incidentId: id, created: false });
    // The dedup workflow exists but is not an incident.
    const dedup = await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${dedupWorkflowId(dedupKey)}` });
    expect(dedup.statusCode).toBe(404);
    expect(dedup.json()).toEqual({
      error: { status: 404, code: 'NOT_FOUND', message: `no incident ${dedupWorkflowId(dedupKey)}` },
    });
  });
});

describe('runbooks', () => {
  it('lists the loaded runbooks with params and roles, and returns one compiled plan', async () => {
    const list = await api.call('mallory', { method: 'GET', url: '/api/v1/runbooks' });
    expect(list.statusCode).toBe(200);
    const summary = list.json<{ runbooks: { id: string }[] }>().runbooks.find((r) => r.id === breachId);
    expect(summary).toEqual({
      id: breachId,
      title: 'API breach',
      version: 2,
      severity: 'sev2',
      kind: 'incident',
      description: 'Scope, decide, approve.',
      tags: ['api'],
      contentHash: env.compile(breach).contentHash,
      params: {
        host: { type: 'string', required: true, description: 'The host' },
        region: { type: 'string', required: false, default: 'eu', enum: ['eu', 'us'] },
      },
      roles: ['commander', 'legal', 'security'],
    });
    const one = await api.call('mallory', { method: 'GET', url: `/api/v1/runbooks/${breachId}` });
    expect(one.statusCode).toBe(200);
    const plan = one.json<{ runbook: { runbookId: string; steps: { id: string; kind: string }[]; facts: object } }>();
    expect(plan.runbook.runbookId).toBe(breachId);
    expect(plan.runbook.steps.map((s) => [s.id, s.kind])).toEqual([
      ['scope', 'task'],
      ['notify', 'decision'],
      ['destroy', 'approval'],
    ]);
    expect(plan.runbook.facts).toEqual({ recordsAffected: { type: 'integer' } });
  });
});

describe('listing incidents', () => {
  it('filters by runbook, severity and status, newest first, with a limit', async () => {
    const ids: string[] = [];
    for (const severity of ['sev1', 'sev3', 'sev3']) {
      const response = await api.call('alice', {
        method: 'POST',
        url: '/api/v1/incidents',
        payload: { runbook: holdId, severity },
      });
      expect(response.statusCode).toBe(201);
      ids.push(response.json<{ incidentId: string }>().incidentId);
    }
    const [first, second, third] = ids as [string, string, string];
    const cancel = await api.call('alice', { method: 'POST', url: `/api/v1/incidents/${second}/cancel` });
    expect(cancel.statusCode).toBe(200);
    await waitForState(env.incidents, second, (s) => s.status === 'cancelled');

    // The dedup test above leaves an incident of the same runbook running: look only at this test's.
    const list = async (query: string) => {
      const response = await api.call('alice', { method: 'GET', url: `/api/v1/incidents?${query}` });
      expect(response.statusCode).toBe(200);
      const rows = response.json<{ incidents: IncidentRow[] }>();
      return rows.incidents.filter((row) => ids.includes(row.incidentId));
    };
    // Visibility is eventually consistent: wait until the cancellation is indexed.
    const cancelled = await eventually(async () => {
      const rows = await list(`runbook=${holdId}&status=cancelled`);
      return rows.length === 1 ? rows : undefined;
    });
    expect(cancelled.map((row) => [row.incidentId, row.status, row.severity])).toEqual([[second, 'cancelled', 'sev3']]);

    const mine = await list(`runbook=${holdId}`);
    expect(mine.map((row) => row.incidentId)).toEqual([third, second, first]);
    expect((await list(`runbook=${holdId}&severity=sev3&status=running`)).map((r) => r.incidentId)).toEqual([third]);
    expect((await list(`runbook=${holdId}&severity=sev1`)).map((r) => r.incidentId)).toEqual([first]);
    const limited = await list(`runbook=${holdId}&limit=1`);
    expect(limited).toHaveLength(1);
    const { startedAt, ...row } = limited[0]!;
    expect(row).toEqual({ incidentId: third, runbook: holdId, severity: 'sev3', kind: 'incident', status: 'running' });
    expect(Date.now() - Date.parse(startedAt)).toBeLessThan(120_000);
    const closed = (await list(`runbook=${holdId}&status=cancelled`))[0]!;
    expect(Date.parse(closed.closedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(closed.startedAt));
  });

  it('refuses filters that are not plain values, listing each problem', async () => {
    const response = await api.call('alice', {
      method: 'GET',
      url: `/api/v1/incidents?status=open&runbook=${encodeURIComponent("x' OR 1=1")}&limit=501&sort=asc`,
    });
    expect(response.statusCode).toBe(400);
    const issues = response.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path);
    expect(issues.sort()).toEqual(['query.limit', 'query.runbook', 'query.sort', 'query.status']);
  });
});
