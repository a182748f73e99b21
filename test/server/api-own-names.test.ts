/**
 * Names that every JavaScript object inherits (`constructor`, `toString`, `hasOwnProperty`, `valueOf`)
 * are names like any other when they come from input: through the API against the real dev server, a
 * fact or trigger param of such a name is refused as undeclared and changes nothing, and an alert label
 * or field of such a name neither breaks routing nor stops the alert from opening its incident.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/state.js';
import { amAlert, amNotification } from '../unit/alerts/alertmanager-payload.js';
import { startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';
import { alertEvents, buildWebhookHarness, runId, signedHeaders, type WebhookHarness } from './webhooks-harness.js';

const runbookId = `own-names-${randomBytes(3).toString('hex')}`;
const INHERITED = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

const runbook = `
apiVersion: firebreak/v1
id: ${runbookId}
title: Own names
version: 1
severity: sev2
params:
  host: { type: string, required: true }
roles:
  commander: {}
facts:
  recordsAffected: { type: integer }
steps:
  - id: scope
    title: Scope
    task: Scope \${{ params.host }}
    assignee: role:commander
    sets: [recordsAffected]
`;

let env: TestEnv;
let api: ApiHarness;
let hooks: WebhookHarness;
beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env, { plans: [env.compile(runbook)] });
  hooks = await buildWebhookHarness(env);
});
afterAll(async () => {
  await hooks?.close();
  await api?.app.close();
  await env?.close();
});

async function show(incidentId: string): Promise<IncidentState> {
  const response = await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${incidentId}` });
  expect(response.statusCode).toBe(200);
  return response.json<{ incident: IncidentState }>().incident;
}

async function openIncident(): Promise<string> {
  const triggered = await api.call('alice', {
    method: 'POST',
    url: '/api/v1/incidents',
    payload: { runbook: runbookId, params: { host: 'db-1' } },
  });
  expect(triggered.statusCode).toBe(201);
  const { incidentId } = triggered.json<{ incidentId: string }>();
  await waitForStep(env.incidents, incidentId, 'scope', 'waiting');
  return incidentId;
}

describe('facts and params named like inherited properties', () => {
  it('refuses a fact named constructor, toString, hasOwnProperty or valueOf as undeclared; nothing changes', async () => {
    const incidentId = await openIncident();
    const before = await show(incidentId);
    for (const name of INHERITED) {
      const response = await api.call('alice', {
        method: 'POST',
        url: `/api/v1/incidents/${incidentId}/facts`,
        payload: { name, value: { nested: { deeper: [1, { deepest: [2, 3] }] } } },
      });
      expect(response.statusCode, name).toBe(404);
      expect(response.json()).toEqual({
        error: {
          status: 404,
          code: 'NOT_FOUND',
          message: `Fact ${name} is not declared by runbook ${runbookId} (declared: recordsAffected)`,
        },
      });
      expect(api.audit.entries.at(-1)).toMatchObject({ user: 'alice', status: 404, code: 'NOT_FOUND' });
    }
    // The task cannot record one either, even next to a declared fact.
    const task = await api.call('alice', {
      method: 'POST',
      url: `/api/v1/incidents/${incidentId}/tasks/scope/complete`,
      payload: { facts: { recordsAffected: { value: 3 }, constructor: { value: { a: [1] } } } },
    });
    expect(task.statusCode).toBe(404);
    expect(task.json<{ error: { message: string } }>().error.message).toBe(
      `Fact constructor is not declared by runbook ${runbookId} (declared: recordsAffected)`,
    );

    // `incident show` still works, and the incident is as it was: no fact, no new event, the task waiting.
    const after = await show(incidentId);
    expect(after.facts).toEqual({});
    expect(after.timeline).toEqual(before.timeline);
    expect(after.steps.find((step) => step.id === 'scope')?.status).toBe('waiting');
  });

  it('refuses trigger params named toString or constructor as unknown instead of dropping them', async () => {
    for (const name of ['toString', 'constructor'] as const) {
      const dedupKey = `own-names-${randomUUID()}`;
      const response = await api.call('alice', {
        method: 'POST',
        url: '/api/v1/incidents',
        payload: { runbook: runbookId, params: { host: 'db-1', [name]: 'x' }, dedupKey },
      });
      expect(response.statusCode, name).toBe(400);
      expect(response.json()).toEqual({
        error: {
          status: 400,
          code: 'INVALID_INPUT',
          message: `invalid request: params.${name}: unknown param \`${name}\` (declared: host)`,
          issues: [{ path: `params.${name}`, message: `unknown param \`${name}\` (declared: host)` }],
        },
      });
      // No incident was started for the key.
      expect(await env.incidents.openIncidentFor(dedupKey)).toBeNull();
    }
  });
});

describe('alerts with a label or field named constructor', () => {
  interface Answer {
    matched: boolean;
    deliveries: { incidentId: string | null; created: boolean; recorded: boolean }[];
  }

  it('routes an Alertmanager alert with a label named constructor on its other labels', async () => {
    const fingerprint = randomBytes(8).toString('hex');
    const instance = `own-am-${runId}`;
    const labels = { constructor: 'x', toString: 'y' };
    const response = await hooks.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/alertmanager',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hooks.tokens.prom}` },
      payload: JSON.stringify(amNotification([amAlert({ fingerprint, instance: `${instance}:9100`, labels })])),
    });
    expect(response.statusCode).toBe(200);
    const answer = response.json<Answer>();
    expect(answer).toMatchObject({ matched: true, deliveries: [{ created: true, recorded: true }] });
    const state = await env.incidents.state(answer.deliveries[0]!.incidentId!);
    expect(state.runbook.id).toBe(hooks.runbookId);
    expect(state.params).toEqual({ host: instance });
    expect(alertEvents(state)).toHaveLength(1);
    expect(await env.incidents.openIncidentFor(fingerprint)).toBe(state.incidentId);
  });

  it('routes a generic alert with a field named constructor on its other fields', async () => {
    const fingerprint = `own-generic-${randomUUID()}`;
    const host = `own-generic-${runId}`;
    const body = JSON.stringify({ kind: 'host', host, fingerprint, constructor: 'x', labels: { constructor: 'y' } });
    const response = await hooks.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/generic',
      headers: signedHeaders(hooks.secrets.current, body),
      payload: body,
    });
    expect(response.statusCode).toBe(200);
    const answer = response.json<Answer>();
    expect(answer).toMatchObject({ matched: true, deliveries: [{ created: true, recorded: true }] });
    const state = await env.incidents.state(answer.deliveries[0]!.incidentId!);
    expect(state.params).toEqual({ host });
    expect(alertEvents(state)).toHaveLength(1);
    expect(await env.incidents.openIncidentFor(fingerprint)).toBe(state.incidentId);
  });
});
