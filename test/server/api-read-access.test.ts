/**
 * Who may read an incident through the API, against the real dev server: the members of its frozen
 * roles, the user who triggered it, and whoever reads everything (`access.read`, `access.admin`, the
 * entry point's admins). Anyone else gets the same 404 as for an id that does not exist, sees none of it
 * in lists, and every read and refusal is in the audit log (who, which route, which incident).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingMessages } from '../../src/incidents/messages.js';
import type { IncidentSummary } from '../../src/incidents/list.js';
import type { AuditEntry } from '../../src/server/audit.js';
import { eventually } from '../support/poll.js';
import { waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, startApiTest, type ApiHarness, type ApiTest, type ApiUser } from './support.js';

const suffix = randomBytes(3).toString('hex');
const aId = `read-a-${suffix}`;
const bId = `read-b-${suffix}`;

// Runbook A: bob (security) and carol (legal) are its people; alice triggers it but holds none of its roles.
const runbookA = `
apiVersion: firebreak/v1
id: ${aId}
title: Customer data exposure
version: 1
severity: sev1
roles:
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
      from: role:security
      approvers: [role:legal]
      requires: [recordsAffected, dataCategories]
`;

// Runbook B: only alice (commander) is its people.
const runbookB = `
apiVersion: firebreak/v1
id: ${bId}
title: Hold
version: 1
severity: sev3
roles:
  commander: {}
steps:
  - id: wait
    title: Wait
    task: Wait
    assignee: role:commander
`;

let env: TestEnv;
let api: ApiHarness;
let setup: ApiTest | undefined;
let incidentA: string;
let incidentB: string;
let fingerprint: string;
beforeAll(async () => {
  ({ env, api } = setup = await startApiTest({
    yaml: [runbookA, runbookB],
    notifyTemplates: true,
    access: { trigger: {}, read: ['auditor'] },
  }));
  incidentA = await api.trigger('alice', aId);
  incidentB = await api.trigger('alice', bId);
  await waitForStep(env.incidents, incidentA, 'scope', 'waiting');
  await waitForStep(env.incidents, incidentB, 'wait', 'waiting');
  const task = await api.call('bob', {
    method: 'POST',
    url: `/api/v1/incidents/${incidentA}/tasks/scope/complete`,
    payload: { facts: { recordsAffected: { value: 1200 }, dataCategories: { value: ['names'] } } },
  });
  expect(task.statusCode).toBe(200);
  fingerprint = await eventually(async () => {
    const response = await api.call('carol', { method: 'GET', url: `/api/v1/messages/pending?incident=${incidentA}` });
    return response.json<PendingMessages>().messages[0]?.fingerprint;
  });
  // Visibility lags a moment behind the runs: wait until a reader lists both.
  await eventually(async () => {
    const ids = (await list('dana', '')).map((incident) => incident.incidentId);
    return ids.includes(incidentA) && ids.includes(incidentB) ? true : undefined;
  });
});
afterAll(() => setup?.close());

const reads = (id: string) => [
  `/api/v1/incidents/${id}`,
  `/api/v1/incidents/${id}/messages`,
  `/api/v1/incidents/${id}/messages/tell`,
  `/api/v1/messages/pending?incident=${id}`,
];

async function list(as: ApiUser, query: string): Promise<IncidentSummary[]> {
  const response = await api.call(as, { method: 'GET', url: `/api/v1/incidents?${query}` });
  expect(response.statusCode).toBe(200);
  return response.json<{ incidents: IncidentSummary[]; truncated: boolean }>().incidents;
}

async function pending(as: ApiUser): Promise<PendingMessages> {
  const response = await api.call(as, { method: 'GET', url: '/api/v1/messages/pending' });
  expect(response.statusCode).toBe(200);
  return response.json<PendingMessages>();
}

/** The audit lines written while `act` ran. */
async function audited(act: () => Promise<void>): Promise<AuditEntry[]> {
  const before = api.audit.entries.length;
  await act();
  return api.audit.entries.slice(before);
}

describe('a user with no role', () => {
  it('gets the 404 of an unknown incident for its state, messages and pending messages, each audited as denied', async () => {
    const entries = await audited(async () => {
      for (const url of reads(incidentA)) {
        const refused = await api.call('mallory', { method: 'GET', url });
        const unknown = await api.call('mallory', { method: 'GET', url: url.replace(incidentA, `nope-${suffix}`) });
        expect([url, refused.statusCode]).toEqual([url, 404]);
        // Word for word the answer for an id that does not exist: the id is not confirmed.
        expect(refused.body).toBe(unknown.body.replace(`nope-${suffix}`, incidentA));
        expect(refused.body).not.toContain('Customer data exposure');
      }
    });
    const refusals = entries.filter((entry) => entry.incidentId === incidentA);
    expect(refusals).toHaveLength(4);
    for (const entry of refusals) {
      expect(entry).toMatchObject({ user: 'mallory', method: 'GET', status: 404, outcome: 'refused' });
      expect(entry).toMatchObject({ code: 'NOT_FOUND', denied: true });
    }
    expect(refusals.map((entry) => entry.path)).toEqual(reads(incidentA).map((url) => url.split('?')[0]));
    const unknowns = entries.filter((entry) => entry.incidentId === `nope-${suffix}`);
    expect(unknowns).toHaveLength(4);
    expect(unknowns.every((entry) => entry.denied === undefined)).toBe(true);
  });

  it('sees neither incident in the list, nor the message awaiting approval', async () => {
    expect(await list('mallory', `runbook=${aId}`)).toEqual([]);
    expect(await list('mallory', `runbook=${bId}`)).toEqual([]);
    const ids = (await list('mallory', 'limit=500')).map((incident) => incident.incidentId);
    expect(ids).not.toContain(incidentA);
    expect(ids).not.toContain(incidentB);
    const messages = (await pending('mallory')).messages;
    expect(messages.filter((message) => message.incidentId === incidentA)).toEqual([]);
  });

  it('cannot vote its way to the message text: the vote route answers the same 404 and the run is unchanged', async () => {
    const before = await env.incidents.state(incidentA);
    const response = await api.call('mallory', {
      method: 'POST',
      url: `/api/v1/incidents/${incidentA}/messages/tell/votes`,
      payload: { vote: 'approve', fingerprint },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ error: { message: string } }>().error.message).toBe(`no incident ${incidentA}`);
    const after = await env.incidents.state(incidentA);
    expect(after.messages?.tell?.votes).toEqual([]);
    expect(after.timeline).toEqual(before.timeline);
  });
});

describe('a role holder of one incident', () => {
  it("reads it, and gets 404 for another runbook's incident", async () => {
    for (const url of reads(incidentA)) {
      expect([url, (await api.call('bob', { method: 'GET', url })).statusCode]).toEqual([url, 200]);
    }
    for (const url of reads(incidentB).slice(0, 2)) {
      expect([url, (await api.call('bob', { method: 'GET', url })).statusCode]).toEqual([url, 404]);
      expect([url, (await api.call('carol', { method: 'GET', url })).statusCode]).toEqual([url, 404]);
    }
  });

  it('lists only the incidents it may read', async () => {
    expect((await list('bob', `runbook=${aId}`)).map((incident) => incident.incidentId)).toEqual([incidentA]);
    expect(await list('bob', `runbook=${bId}`)).toEqual([]);
    const messages = (await pending('carol')).messages;
    expect(messages.filter((message) => message.incidentId === incidentA)).toHaveLength(1);
  });
});

describe('the triggering user', () => {
  it('reads the incident it triggered though it holds none of its roles', async () => {
    const response = await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${incidentA}` });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ incident: { triggeredBy: string } }>().incident.triggeredBy).toBe('alice');
    expect((await list('alice', `runbook=${aId}`)).map((incident) => incident.incidentId)).toEqual([incidentA]);
  });
});

describe('readers and admins', () => {
  it('an access.read holder reads and lists every incident, and each read is audited without content', async () => {
    const entries = await audited(async () => {
      for (const url of [...reads(incidentA), ...reads(incidentB).slice(0, 2)]) {
        expect([url, (await api.call('dana', { method: 'GET', url })).statusCode]).toEqual([url, 200]);
      }
    });
    expect(entries).toHaveLength(6);
    for (const entry of entries) {
      expect(entry).toMatchObject({ user: 'dana', method: 'GET', status: 200, outcome: 'ok' });
      expect(entry.denied).toBeUndefined();
      expect(JSON.stringify(entry)).not.toContain('Customer');
    }
    expect(entries.map((entry) => entry.incidentId)).toEqual([
      ...reads(incidentA).map(() => incidentA),
      incidentB,
      incidentB,
    ]);
    const ids = (await list('dana', '')).map((incident) => incident.incidentId);
    expect(ids).toEqual(expect.arrayContaining([incidentA, incidentB]));
    expect((await pending('dana')).messages.map((message) => message.fingerprint)).toContain(fingerprint);
  });

  it('lists and pending reads are audited too', async () => {
    const entries = await audited(async () => {
      await list('mallory', '');
      await pending('mallory');
    });
    expect(entries.map((entry) => [entry.user, entry.path, entry.status])).toEqual([
      ['mallory', '/api/v1/incidents', 200],
      ['mallory', '/api/v1/messages/pending', 200],
    ]);
  });

  it('access.admin holders and the entry point admins read everything', async () => {
    const admin = await buildHarness(env, {
      plans: [env.compile(runbookA), env.compile(runbookB)],
      access: { trigger: {}, admin: ['auditor'] },
      admins: ['mallory'],
    });
    try {
      for (const as of ['dana', 'mallory'] as const) {
        for (const id of [incidentA, incidentB]) {
          const response = await admin.call(as, { method: 'GET', url: `/api/v1/incidents/${id}` });
          expect([as, id, response.statusCode]).toEqual([as, id, 200]);
        }
      }
      const refused = await admin.call('bob', { method: 'GET', url: `/api/v1/incidents/${incidentB}` });
      expect(refused.statusCode).toBe(404);
    } finally {
      await admin.app.close();
    }
  });
});
