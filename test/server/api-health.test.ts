/**
 * Health, readiness and the OpenAPI document: readyz is 200 only with Temporal answering and a worker
 * polling the task queue (503 naming what is missing otherwise); the document lists every route with
 * its schemas and the bearer scheme.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/poll.js';
import { startTestEnv, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

let env: TestEnv;
let api: ApiHarness;
beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env);
});
afterAll(async () => {
  await api?.app.close();
  await env?.close();
});

describe('health', () => {
  it('answers healthz without a token, at the root and under /api/v1', async () => {
    for (const url of ['/healthz', '/api/v1/healthz']) {
      const response = await api.app.inject({ method: 'GET', url });
      expect([url, response.statusCode, response.json()]).toEqual([url, 200, { ok: true }]);
    }
  });

  it('is ready when Temporal answers and the worker polls its task queue', async () => {
    const ready = await eventually(async () => {
      const response = await api.app.inject({ method: 'GET', url: '/api/v1/readyz' });
      return response.statusCode === 200 ? response : undefined;
    });
    const body = ready.json<{
      ready: boolean;
      checks: { temporal: object; worker: { ok: boolean; message: string } };
    }>();
    expect(body.ready).toBe(true);
    expect(body.checks.temporal).toEqual({ ok: true, message: 'Temporal answers' });
    expect(body.checks.worker.ok).toBe(true);
    expect(body.checks.worker.message).toMatch(new RegExp(`^[1-9]\\d* worker poller\\(s\\) on ${env.taskQueue}$`));
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('is not ready when no worker polls the task queue', async () => {
    const taskQueue = `nobody-${randomUUID()}`;
    const idle = await buildHarness(env, { taskQueue });
    try {
      const response = await idle.app.inject({ method: 'GET', url: '/api/v1/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        ready: false,
        checks: {
          temporal: { ok: true, message: 'Temporal answers' },
          worker: { ok: false, message: `no worker has polled task queue ${taskQueue} in the last 90s` },
        },
      });
    } finally {
      await idle.app.close();
    }
  });

  it('is not ready when Temporal does not answer', async () => {
    const connection = await Connection.connect({ address: env.address });
    const client = new Client({ connection });
    await connection.close();
    const cut = await buildHarness(env, { client });
    try {
      const response = await cut.app.inject({ method: 'GET', url: '/api/v1/readyz' });
      expect(response.statusCode).toBe(503);
      const body = response.json<{ ready: boolean; checks: Record<string, { ok: boolean; message: string }> }>();
      expect(body.ready).toBe(false);
      expect(body.checks.temporal?.ok).toBe(false);
      expect(body.checks.temporal?.message).toMatch(/^Temporal does not answer: /);
      expect(body.checks.worker).toEqual({ ok: false, message: 'not checked: Temporal is unreachable' });
    } finally {
      await cut.app.close();
    }
  });
});

describe('OpenAPI', () => {
  interface Operation {
    security?: unknown[];
    requestBody?: {
      content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }>;
    };
    parameters?: { name: string; in: string }[];
    responses: Record<string, unknown>;
  }
  type Document = {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, unknown> };
  };

  it('describes every route, from the same zod schemas, with the bearer scheme', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json<Document>();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths)
      .filter(([path]) => !path.startsWith('/api/v1/webhooks/')) // the webhook receivers are tested with them
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(routes.sort()).toEqual([
      'delete /api/v1/schedules/{id}',
      'get /api/v1/action-items',
      'get /api/v1/action-items/{id}',
      'get /api/v1/drills/{runbook}',
      'get /api/v1/healthz',
      'get /api/v1/incidents',
      'get /api/v1/incidents/{id}',
      'get /api/v1/incidents/{id}/evidence',
      'get /api/v1/incidents/{id}/evidence/export',
      'get /api/v1/incidents/{id}/messages',
      'get /api/v1/incidents/{id}/messages/{stepId}',
      'get /api/v1/messages/pending',
      'get /api/v1/postmortems',
      'get /api/v1/postmortems/search',
      'get /api/v1/postmortems/{id}',
      'get /api/v1/postmortems/{id}/export',
      'get /api/v1/postmortems/{id}/history',
      'get /api/v1/readyz',
      'get /api/v1/runbooks',
      'get /api/v1/runbooks/{id}',
      'get /api/v1/schedules',
      'get /api/v1/schedules/{id}',
      'patch /api/v1/action-items/{id}',
      'patch /api/v1/postmortems/{id}',
      'patch /api/v1/postmortems/{id}/tags',
      'patch /api/v1/schedules/{id}',
      'post /api/v1/action-items/{id}/done',
      'post /api/v1/action-items/{id}/wontdo',
      'post /api/v1/incidents',
      'post /api/v1/incidents/{id}/approvals/{stepId}',
      'post /api/v1/incidents/{id}/cancel',
      'post /api/v1/incidents/{id}/decisions',
      'post /api/v1/incidents/{id}/evidence/verify',
      'post /api/v1/incidents/{id}/facts',
      'post /api/v1/incidents/{id}/messages/{stepId}/votes',
      'post /api/v1/incidents/{id}/postmortem',
      'post /api/v1/incidents/{id}/tasks/{stepId}/complete',
      'post /api/v1/postmortems/{id}/action-items',
      'post /api/v1/postmortems/{id}/status',
      'post /api/v1/schedules',
      'post /api/v1/schedules/{id}/pause',
      'post /api/v1/schedules/{id}/resume',
      'post /api/v1/schedules/{id}/trigger',
      'put /api/v1/postmortems/{id}/sections/{section}',
    ]);
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'A user token; the config holds its SHA-256' },
    });
    const trigger = doc.paths['/api/v1/incidents']?.post;
    expect(trigger?.security).toEqual([{ bearerAuth: [] }]);
    const body = trigger?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(body?.properties ?? {}).sort()).toEqual(['dedupKey', 'params', 'runbook', 'severity']);
    expect(body?.required).toEqual(['runbook']);
    expect(Object.keys(trigger?.responses ?? {}).sort()).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '404',
      '413',
      '429',
    ]);
    const list = doc.paths['/api/v1/incidents']?.get;
    expect(list?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:kind',
      'query:limit',
      'query:runbook',
      'query:severity',
      'query:status',
    ]);
    expect(doc.paths['/api/v1/healthz']?.get?.security).toEqual([]);
  });
});
