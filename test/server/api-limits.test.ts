/**
 * The API's limits and failures against the real dev server: 413 over the body limit, 429 after repeated
 * bad tokens from one address or of one token (never to a valid token), 500 without details when Temporal is gone, and the
 * audit entry written for every write request whatever its outcome.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentClient } from '../../src/incidents/client.js';
import { startTestEnv, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

const openId = `api-limits-${randomBytes(3).toString('hex')}`;

const runbook = (id: string) => `
apiVersion: firebreak/v1
id: ${id}
title: Limits
version: 1
severity: sev2
params:
  host: { type: string, required: true }
roles:
  commander: {}
steps:
  - id: hold
    title: Hold
    task: Hold on
    assignee: role:commander
`;

let env: TestEnv;
let api: ApiHarness;
beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env, {
    plans: [env.compile(runbook(openId))],
    api: { bodyLimit: 2048, authFailures: { max: 10, windowMs: 60_000 } },
  });
});
afterAll(async () => {
  await api?.app.close();
  await env?.close();
});

describe('413, 429 and 500', () => {
  it('refuses a body over the limit with 413', async () => {
    const response = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { runbook: openId, params: { host: 'x'.repeat(4096) } },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      error: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is over the limit of 2048 bytes' },
    });
    expect(api.audit.entries.at(-1)).toMatchObject({ user: 'alice', status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { 'content-type': 'text/plain' },
      payload: 'runbook=x',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      error: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'request bodies must be application/json' },
    });
  });

  it('limits bad tokens per address and per token, and never refuses a valid token because others failed', async () => {
    const from = (remoteAddress: string, token: string) =>
      api.app.inject({
        method: 'GET',
        url: '/api/v1/runbooks',
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
      });
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect((await from('198.51.100.7', `guess-${attempt}`)).statusCode).toBe(401);
    }
    // Guessing across many tokens from one address: past the limit each failure waits before its 429.
    const started = performance.now();
    const limited = await from('198.51.100.7', 'guess-11');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json<{ error: { code: string } }>().error.code).toBe('RATE_LIMITED');
    // A valid token behind the same address (a NAT, a shared Alertmanager) is accepted, at once.
    const valid = performance.now();
    expect((await from('198.51.100.7', api.tokens.alice)).statusCode).toBe(200);
    expect(performance.now() - valid).toBeLessThan(900);
    expect((await from('198.51.100.8', api.tokens.alice)).statusCode).toBe(200);
    // The same bad token from ever new addresses is limited on its own.
    for (let host = 1; host <= 10; host += 1) {
      expect((await from(`203.0.113.${host}`, 'same-bad-token')).statusCode).toBe(401);
    }
    const repeated = await from('203.0.113.99', 'same-bad-token');
    expect(repeated.statusCode).toBe(429);
    expect(Number(repeated.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('203.0.113.99', api.tokens.alice)).statusCode).toBe(200);
  });

  it('behind a trusted proxy, limits the client named in X-Forwarded-For, not the proxy', async () => {
    const proxied = await buildHarness(env, {
      api: { bodyLimit: 65_536, authFailures: { max: 2, windowMs: 60_000 }, trustProxy: ['10.0.0.5'] },
    });
    try {
      const via = (client: string, token: string) =>
        proxied.app.inject({
          method: 'GET',
          url: '/api/v1/runbooks',
          remoteAddress: '10.0.0.5',
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
        });
      expect((await via('203.0.113.1', 'guess-1')).statusCode).toBe(401);
      expect((await via('203.0.113.1', 'guess-2')).statusCode).toBe(401);
      expect((await via('203.0.113.1', 'guess-3')).statusCode).toBe(429);
      expect((await via('203.0.113.1', proxied.tokens.alice)).statusCode).toBe(200);
      // Another client behind the same proxy is not limited by the first one's failures.
      expect((await via('203.0.113.2', 'guess-4')).statusCode).toBe(401);
    } finally {
      await proxied.app.close();
    }
  });

  it('answers a server error with 500 and no details, logs it, and audits the write', async () => {
    const connection = await Connection.connect({ address: env.address });
    const client = new Client({ connection });
    await connection.close();
    const broken = await buildHarness(env, {
      plans: [env.compile(runbook(openId))],
      client,
      incidents: new IncidentClient(client, env.taskQueue),
    });
    try {
      const response = await broken.call('alice', {
        method: 'POST',
        url: '/api/v1/incidents',
        payload: { runbook: openId, params: { host: 'x' } },
      });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: { status: 500, code: 'INTERNAL', message: 'internal error; see the server log' },
      });
      expect(broken.logText()).toContain('"msg":"request failed"');
      expect(broken.logText()).not.toContain(broken.tokens.alice);
      expect(broken.audit.entries).toEqual([
        expect.objectContaining({ user: 'alice', status: 500, outcome: 'error', code: 'INTERNAL' }),
      ]);
    } finally {
      await broken.app.close();
    }
  });
});

describe('audit', () => {
  it('writes one entry per POST and none for reads of runbooks (reads of incidents are in api-read-access)', async () => {
    const before = api.audit.entries.length;
    await api.call('alice', { method: 'GET', url: '/api/v1/runbooks' });
    await api.call('alice', { method: 'GET', url: `/api/v1/runbooks/${openId}` });
    expect(api.audit.entries.length).toBe(before);
    const response = await api.call('alice', {
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { 'x-firebreak-client': 'cli' },
      payload: { runbook: openId, params: { host: 'audit' } },
    });
    const written = api.audit.entries.slice(before);
    expect(written.every((entry) => !Number.isNaN(Date.parse(entry.at)))).toBe(true);
    expect(written.map(({ at: _at, ...entry }) => entry)).toEqual([
      {
        user: 'alice',
        source: 'cli',
        method: 'POST',
        path: '/api/v1/incidents',
        status: 201,
        incidentId: response.json<{ incidentId: string }>().incidentId,
        outcome: 'ok',
      },
    ]);
  });
});
