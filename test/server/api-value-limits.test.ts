/**
 * Value limits through the API against the real dev server: a param, fact or alert-mapped param over the
 * limits of src/domain/limits.ts is refused where it enters, naming where and which limit, and nothing
 * starts or changes; a JSON body nested 20,000 deep is a 400, not a stack overflow; and a value right at
 * the limit goes through a `timeline.note` without aborting the incident.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, VALUE_LIMITS } from '../../src/domain/limits.js';
import type { IncidentState } from '../../src/domain/state.js';
import { startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';
import { buildWebhookHarness, runId, signedHeaders, type WebhookHarness } from './webhooks-harness.js';

const runbookId = `value-limits-${randomBytes(3).toString('hex')}`;
const TEXT = VALUE_LIMITS.textChars;

const runbook = `
apiVersion: firebreak/v1
id: ${runbookId}
title: Value limits
version: 1
severity: sev2
params:
  host: { type: string, required: true }
  hosts: { type: list }
roles:
  commander: {}
facts:
  summary: { type: string }
  affected: { type: list }
steps:
  - id: note
    title: Note the host
    action: timeline.note
    with: { text: "Host under investigation: \${{ params.host }}" }
  - id: scope
    title: Scope
    task: Scope
    assignee: role:commander
`;

let env: TestEnv;
let api: ApiHarness;
let hooks: WebhookHarness;
beforeAll(async () => {
  env = await startTestEnv();
  // Bodies up to 256 KiB, so that the values below reach the value limits instead of the body limit.
  api = await buildHarness(env, {
    plans: [env.compile(runbook)],
    api: { bodyLimit: 262_144, authFailures: { max: 10, windowMs: 60_000 } },
  });
  hooks = await buildWebhookHarness(env, { maxBodyBytes: 1_048_576 });
});
afterAll(async () => {
  await hooks?.close();
  await api?.app.close();
  await env?.close();
});

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

async function show(incidentId: string): Promise<IncidentState> {
  const response = await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${incidentId}` });
  expect(response.statusCode).toBe(200);
  return response.json<{ incident: IncidentState }>().incident;
}

function trigger(params: Record<string, unknown>, dedupKey?: string) {
  return api.call('alice', {
    method: 'POST',
    url: '/api/v1/incidents',
    payload: { runbook: runbookId, params, ...(dedupKey === undefined ? {} : { dedupKey }) },
  });
}

describe('values at and over the limits', () => {
  it('runs a param right at the text limit through a timeline.note, cut to fit, without aborting', async () => {
    const host = 'h'.repeat(TEXT);
    const response = await trigger({ host });
    expect(response.statusCode).toBe(201);
    const { incidentId } = response.json<{ incidentId: string }>();
    await waitForStep(env.incidents, incidentId, 'scope', 'waiting');
    const state = await show(incidentId);
    expect(state.status).toBe('running');
    expect(state.params.host).toBe(host);
    expect(state.steps.find((step) => step.id === 'note')?.status).toBe('succeeded');
    const note = state.timeline.find((event) => event.type === 'note');
    expect(note?.message).toHaveLength(4000);
    expect(note?.message).toMatch(/^Host under investigation: h+ … \[note cut at 4000 of 4026 characters\]$/);
  });

  it('refuses a 60 KB string param with 400 naming params.host and the limit; no incident starts', async () => {
    const dedupKey = `value-limits-${randomUUID()}`;
    const response = await trigger({ host: 'h'.repeat(60_000) }, dedupKey);
    expect(response.statusCode).toBe(400);
    const message = `text of 60000 characters is over the limit of ${TEXT}`;
    expect(response.json()).toEqual({
      error: {
        status: 400,
        code: 'INVALID_INPUT',
        message: `invalid request: params.host: ${message}`,
        issues: [{ path: 'params.host', message }],
      },
    });
    expect(await env.incidents.openIncidentFor(dedupKey)).toBeNull();
  });

  it('refuses a list param over the item limit, and a list item over the text limit, naming where', async () => {
    const dedupKey = `value-limits-${randomUUID()}`;
    const many = await trigger({ host: 'db-1', hosts: Array.from({ length: 101 }, (_, i) => `h${i}`) }, dedupKey);
    expect(many.statusCode).toBe(400);
    expect(many.json<{ error: { issues: unknown[] } }>().error.issues).toEqual([
      { path: 'params.hosts', message: 'a list of 101 items is over the limit of 100' },
    ]);
    const long = await trigger({ host: 'db-1', hosts: ['ok', 'x'.repeat(TEXT + 1)] }, dedupKey);
    expect(long.statusCode).toBe(400);
    expect(long.json<{ error: { issues: unknown[] } }>().error.issues).toEqual([
      { path: 'params.hosts', message: `at [1]: text of ${TEXT + 1} characters is over the limit of ${TEXT}` },
    ]);
    expect(await env.incidents.openIncidentFor(dedupKey)).toBeNull();
  });

  it('refuses a 100 KB fact and a fact nested too deep; the incident is unchanged', async () => {
    const opened = await trigger({ host: 'db-2' });
    const { incidentId } = opened.json<{ incidentId: string }>();
    await waitForStep(env.incidents, incidentId, 'scope', 'waiting');
    const before = await show(incidentId);

    const big = await api.call('alice', {
      method: 'POST',
      url: `/api/v1/incidents/${incidentId}/facts`,
      payload: { name: 'summary', value: 's'.repeat(100_000) },
    });
    expect(big.statusCode).toBe(400);
    expect(big.json<{ error: { issues: unknown[] } }>().error.issues).toEqual([
      { path: 'value', message: `text of 100000 characters is over the limit of ${TEXT}` },
    ]);

    const nested = await api.call('alice', {
      method: 'POST',
      url: `/api/v1/incidents/${incidentId}/tasks/scope/complete`,
      payload: { facts: { affected: { value: JSON.parse(deep(10)) as unknown } } },
    });
    expect(nested.statusCode).toBe(400);
    expect(nested.json<{ error: { issues: unknown[] } }>().error.issues).toEqual([
      {
        path: 'facts.affected.value[0][0][0][0][0][0][0][0]',
        message: `nested deeper than the limit of ${VALUE_LIMITS.depth} levels of lists and objects`,
      },
    ]);

    const after = await show(incidentId);
    expect(after.facts).toEqual({});
    expect(after.timeline).toEqual(before.timeline);
    expect(after.steps.find((step) => step.id === 'scope')?.status).toBe('waiting');
  });

  it('answers a JSON body nested 20,000 deep with 400 naming the limit, not 500; nothing changes', async () => {
    const opened = await trigger({ host: 'db-3' });
    const { incidentId } = opened.json<{ incidentId: string }>();
    await waitForStep(env.incidents, incidentId, 'scope', 'waiting');
    const before = await show(incidentId);
    const refusal = {
      error: {
        status: 400,
        code: 'INVALID_INPUT',
        message: `the request body nests lists and objects deeper than the limit of ${MAX_JSON_DEPTH} levels`,
      },
    };
    for (const [url, body] of [
      [`/api/v1/incidents/${incidentId}/facts`, `{"name":"affected","value":${deep(20_000)}}`],
      ['/api/v1/incidents', `{"runbook":"${runbookId}","params":{"host":"a","hosts":${deep(20_000)}}}`],
    ] as const) {
      const response = await api.call('alice', {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual(refusal);
      expect(api.audit.entries.at(-1)).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    }
    const after = await show(incidentId);
    expect(after.facts).toEqual({});
    expect(after.timeline).toEqual(before.timeline);

    const body = deep(20_000);
    const generic = await hooks.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/generic',
      headers: signedHeaders(hooks.secrets.current, body),
      payload: body,
    });
    expect(generic.statusCode).toBe(400);
    expect(generic.json()).toEqual(refusal);
  });

  it('refuses a signed delivery of 100 alerts with an over-long field alert by alert; no incident opens', async () => {
    const fingerprints = Array.from({ length: 100 }, (_, index) => `value-limits-${runId}-${index}-${randomUUID()}`);
    const host = 'h'.repeat(5000);
    const body = JSON.stringify(fingerprints.map((fingerprint) => ({ kind: 'host', host, fingerprint })));
    const response = await hooks.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/generic',
      headers: signedHeaders(hooks.secrets.current, body),
      payload: body,
    });
    expect(response.statusCode).toBe(422);
    const { error } = response.json<{ error: { code: string; message: string; issues: unknown[] } }>();
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe('none of the 100 alerts could be taken (see issues)');
    expect(error.issues).toEqual(
      fingerprints.map((_, index) => ({
        path: `alerts[${index}]`,
        message: `routes[1] made a trigger of ${hooks.runbookId} that is refused: params.host: text of 5000 characters is over the limit of ${TEXT}`,
      })),
    );
    for (const fingerprint of fingerprints) expect(await env.incidents.openIncidentFor(fingerprint)).toBeNull();
    const audited = hooks.audit.entries.filter((entry) => entry.code === 'INVALID_INPUT' && 'delivery' in entry);
    expect(audited.length).toBeGreaterThanOrEqual(100);
  });

  it('takes the other alerts of a delivery when one is over a limit, and names the refused one (2xx)', async () => {
    const [good, bad] = [`value-limits-${runId}-good-${randomUUID()}`, `value-limits-${runId}-bad-${randomUUID()}`];
    const body = JSON.stringify([
      { kind: 'host', host: 'web-ok', fingerprint: good },
      { kind: 'host', host: 'h'.repeat(5000), fingerprint: bad },
    ]);
    const response = await hooks.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/generic',
      headers: signedHeaders(hooks.secrets.current, body),
      payload: body,
    });
    expect(response.statusCode).toBe(200);
    const { deliveries } = response.json<{ deliveries: Record<string, unknown>[] }>();
    expect(deliveries[0]).toMatchObject({ fingerprint: good, created: true, recorded: true });
    expect(deliveries[0]).not.toHaveProperty('refused');
    expect(deliveries[1]).toEqual({
      deliveryId: expect.stringMatching(/#1$/) as unknown,
      fingerprint: bad,
      matched: true,
      incidentId: null,
      created: false,
      recorded: false,
      refused: {
        status: 422,
        code: 'INVALID_INPUT',
        message: `routes[1] made a trigger of ${hooks.runbookId} that is refused: params.host: text of 5000 characters is over the limit of ${TEXT}`,
      },
    });
    expect(await env.incidents.openIncidentFor(good)).toBe(deliveries[0]?.incidentId);
    expect(await env.incidents.openIncidentFor(bad)).toBeNull();
  });
});
