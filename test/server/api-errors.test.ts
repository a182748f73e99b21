/**
 * Every refusal the API gives, with its one body shape, against the real dev server: 400 with every
 * issue, 401 (missing and wrong token), 403 (trigger not permitted, outsider's vote with the state
 * unchanged), 404 (incident, step, runbook, route), 409 (double vote, task not waiting). Limits (413,
 * 429), server errors and the audit trail are in api-limits.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/state.js';
import { startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

const suffix = randomBytes(3).toString('hex');
const openId = `api-open-${suffix}`;
const guardedId = `api-guarded-${suffix}`;

const runbook = (id: string) => `
apiVersion: firebreak/v1
id: ${id}
title: Errors
version: 1
severity: sev2
params:
  host: { type: string, required: true }
  count: { type: integer, default: 1 }
roles:
  commander: {}
  security: {}
steps:
  - id: scope
    title: Scope
    task: Scope it
    assignee: role:security
  - id: destroy
    title: Destroy
    approval: Destroy \${{ params.host }}
    approvers: [role:commander, role:security]
`;

let env: TestEnv;
let api: ApiHarness;
beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env, {
    plans: [env.compile(runbook(openId)), env.compile(runbook(guardedId))],
    access: { trigger: { [guardedId]: ['commander'] } },
    api: { bodyLimit: 2048, authFailures: { max: 10, windowMs: 60_000 } },
  });
});
afterAll(async () => {
  await api?.app.close();
  await env?.close();
});

/** Triggers an incident of the open runbook as alice and waits for its first task. */
async function openIncident(): Promise<string> {
  const response = await api.call('alice', {
    method: 'POST',
    url: '/api/v1/incidents',
    payload: { runbook: openId, params: { host: 'web-1' } },
  });
  expect(response.statusCode).toBe(201);
  const id = response.json<{ incidentId: string }>().incidentId;
  await waitForStep(env.incidents, id, 'scope', 'waiting');
  return id;
}

async function stateOf(id: string): Promise<IncidentState> {
  return (await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${id}` })).json<{
    incident: IncidentState;
  }>().incident;
}

describe('400: every problem is listed', () => {
  it('lists body problems and param problems of a trigger together', async () => {
    const response = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { runbook: openId, params: { count: 'many', bogus: 1 }, severity: 'sev9', colour: 'red' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        status: 400,
        code: 'INVALID_INPUT',
        message: 'invalid request: 5 problems (see issues)',
        issues: [
          { path: 'severity', message: 'Invalid option: expected one of "sev1"|"sev2"|"sev3"|"sev4"' },
          { path: 'colour', message: 'unknown field `colour`' },
          { path: 'params.bogus', message: 'unknown param `bogus` (declared: host, count)' },
          { path: 'params.host', message: 'missing required param `host`' },
          { path: 'params.count', message: 'expected a whole number, got "many"' },
        ],
      },
    });
  });

  it('lists every problem of a command body', async () => {
    const id = await openIncident();
    const response = await api.call('bob', {
      method: 'POST',
      url: `/api/v1/incidents/${id}/facts`,
      payload: { name: '1st', confirmed: 'yes' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { issues: unknown[] } }>().error.issues).toEqual([
      { path: 'name', message: 'expected a fact name' },
      { path: 'value', message: 'Invalid input' },
      { path: 'confirmed', message: 'Invalid input: expected boolean, received string' },
    ]);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { 'content-type': 'application/json' },
      payload: '{"runbook":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { status: 400, code: 'INVALID_INPUT', message: 'the request body is not valid JSON' },
    });
  });
});

describe('401: authentication', () => {
  it('answers a missing token and a wrong token with 401 and a Bearer challenge', async () => {
    const missing = await api.call(null, { method: 'GET', url: '/api/v1/runbooks' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="firebreak"');
    expect(missing.json()).toEqual({
      error: {
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'missing bearer token (Authorization: Bearer <token>)',
      },
    });
    const wrong = await api.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { authorization: `Bearer ${api.tokens.alice}x` },
      payload: { runbook: openId, params: { host: 'x' } },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="firebreak", error="invalid_token"');
    expect(wrong.json()).toEqual({
      error: { status: 401, code: 'UNAUTHENTICATED', message: 'the token is not valid' },
    });
    expect(api.logText()).not.toContain(api.tokens.alice);
    const { at, ...entry } = api.audit.entries.at(-1)!;
    expect(Date.parse(at)).not.toBeNaN();
    expect(entry).toEqual({
      user: null,
      source: 'api',
      method: 'POST',
      path: '/api/v1/incidents',
      status: 401,
      outcome: 'refused',
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('403: not permitted', () => {
  it('refuses a trigger the access rules do not allow, and allows it for the role', async () => {
    const payload = { runbook: guardedId, params: { host: 'x' } };
    const refused = await api.call('bob', { method: 'POST', url: '/api/v1/incidents', payload });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      error: { status: 403, code: 'FORBIDDEN', message: `bob may not trigger ${guardedId}` },
    });
    expect(api.audit.entries.at(-1)).toMatchObject({ user: 'bob', status: 403, outcome: 'refused', code: 'FORBIDDEN' });
    const allowed = await api.call('alice', { method: 'POST', url: '/api/v1/incidents', payload });
    expect(allowed.statusCode).toBe(201);
  });

  it("refuses an outsider's vote as if the incident did not exist, and leaves it as it was", async () => {
    const id = await openIncident();
    await api.call('bob', { method: 'POST', url: `/api/v1/incidents/${id}/tasks/scope/complete`, payload: {} });
    await waitForStep(env.incidents, id, 'destroy', 'waiting');
    const before = await stateOf(id);
    const response = await api.call('mallory', {
      method: 'POST',
      url: `/api/v1/incidents/${id}/approvals/destroy`,
      payload: { vote: 'approve' },
    });
    // A command never confirms that an incident exists to someone who may not read it.
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: { status: 404, code: 'NOT_FOUND', message: `no incident ${id}` },
    });
    // Checked before the state is read again: that read is audited too.
    expect(api.audit.entries.at(-1)).toMatchObject({
      user: 'mallory',
      incidentId: id,
      path: `/api/v1/incidents/${id}/approvals/destroy`,
      status: 404,
      outcome: 'refused',
      code: 'NOT_FOUND',
      denied: true,
    });
    expect(await stateOf(id)).toEqual(before);
  });
});

describe('404: unknown things', () => {
  it('answers 404 for an unknown incident, step, runbook and route', async () => {
    const id = await openIncident();
    const cases = [
      ['GET', '/api/v1/incidents/no-such-incident', undefined, 'no incident no-such-incident'],
      ['POST', '/api/v1/incidents/no-such-incident/cancel', {}, 'no incident no-such-incident'],
      ['POST', `/api/v1/incidents/${id}/tasks/nope/complete`, {}, 'No step nope in this incident'],
      ['GET', '/api/v1/runbooks/no-such-runbook', undefined, 'no runbook no-such-runbook'],
      ['POST', '/api/v1/incidents', { runbook: 'no-such-runbook' }, 'no runbook no-such-runbook'],
      ['GET', '/api/v1/nothing-here', undefined, 'no route GET /api/v1/nothing-here'],
    ] as const;
    for (const [method, url, payload, message] of cases) {
      const response = await api.call('alice', { method, url, ...(payload ? { payload } : {}) });
      expect({ url, status: response.statusCode, body: response.json<unknown>() }).toEqual({
        url,
        status: 404,
        body: { error: { status: 404, code: 'NOT_FOUND', message } },
      });
    }
  });
});

describe('409: the run refuses in its current state', () => {
  it('refuses a second vote and completing a task that is not waiting', async () => {
    const id = await openIncident();
    const early = await api.call('alice', {
      method: 'POST',
      url: `/api/v1/incidents/${id}/approvals/destroy`,
      payload: { vote: 'approve' },
    });
    expect(early.statusCode).toBe(409);
    expect(early.json<{ error: { message: string } }>().error.message).toBe(
      'Step destroy is not waiting for an approval (it is pending)',
    );
    const done = await api.call('bob', { method: 'POST', url: `/api/v1/incidents/${id}/tasks/scope/complete` });
    expect(done.statusCode).toBe(200);
    const again = await api.call('bob', { method: 'POST', url: `/api/v1/incidents/${id}/tasks/scope/complete` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      error: { status: 409, code: 'CONFLICT', message: 'Step scope is not waiting for a task (it is succeeded)' },
    });
    const { textHash } = (await waitForStep(env.incidents, id, 'destroy', 'waiting')).approvals.destroy!;
    const url = `/api/v1/incidents/${id}/approvals/destroy`;
    const vote = { method: 'POST', url, payload: { vote: 'approve', textHash } } as const;
    expect((await api.call('bob', vote)).statusCode).toBe(200);
    const twice = await api.call('bob', vote);
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toEqual({
      error: { status: 409, code: 'CONFLICT', message: 'bob already voted on destroy' },
    });
  });
});
