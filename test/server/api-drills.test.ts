/**
 * `GET /api/v1/drills/{runbook}`: drill records from the app's blob store, newest first, with the trend;
 * a token is required, the limit is honoured, bad ids are refused, and a server without a store says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillKey } from '../../src/backup/drill.js';
import { buildApp, tokenHash, type AppDeps } from '../../src/server/app.js';
import { createMemoryAuditLog } from '../../src/server/audit.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { startTestEnv, testConfig, type TestEnv } from '../support/temporal.js';
import { drillRecord } from '../unit/backup/support.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-routes-'));
const TOKEN = 'drill-route-test-token-0123456789';
let env: TestEnv;
let app: FastifyInstance;
let bare: FastifyInstance;

async function appWith(store: BlobStore | undefined): Promise<FastifyInstance> {
  const deps: AppDeps = {
    config: {
      ...testConfig(env.address),
      users: [{ id: 'alice', email: 'alice@example.com', roles: [], token: tokenHash(TOKEN) }],
    },
    runbooks: { get: () => undefined, list: () => [] },
    temporal: { client: env.client, namespace: 'default', taskQueue: env.taskQueue },
    incidents: env.incidents,
    audit: createMemoryAuditLog(),
    logger: pino({ level: 'silent' }),
    now: () => new Date('2024-06-05T00:00:00Z'),
    ...(store ? { store } : {}),
  };
  return buildApp(deps);
}

beforeAll(async () => {
  env = await startTestEnv();
  const store = await createFsStore({ dir: scratch });
  for (const record of [
    drillRecord('pg-nightly', 1, 'passed', 60_000),
    drillRecord('pg-nightly', 2, 'failed', 90_000),
  ]) {
    await store.put(drillKey(record.runbook, record.startedAt, record.incidentId), Buffer.from(JSON.stringify(record)));
  }
  app = await appWith(store);
  bare = await appWith(undefined);
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  await env?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const get = (target: FastifyInstance, url: string, token: string | null = TOKEN) =>
  target.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

describe('drill history route', () => {
  it('answers the records newest first with the trend', async () => {
    const response = await get(app, '/api/v1/drills/pg-nightly');
    expect(response.statusCode).toBe(200);
    const body = response.json<{ records: { incidentId: string }[]; total: number; trend: Record<string, unknown> }>();
    expect(body.records.map((record) => record.incidentId)).toEqual(['drill-2', 'drill-1']);
    expect(body.total).toBe(2);
    expect(body.trend).toMatchObject({
      drills: 2,
      passed: 1,
      passRate: 0.5,
      medianRtoMs: 75_000,
      lastPassedAt: '2024-06-01T02:00:00.000Z',
      alarm: null,
    });
  });

  it('honours limit and staleDays', async () => {
    const response = await get(app, '/api/v1/drills/pg-nightly?limit=1&staleDays=1');
    const body = response.json<{ records: unknown[]; trend: { alarm: string } }>();
    expect(body.records).toHaveLength(1);
    expect(body.trend.alarm).toContain('no passing drill of pg-nightly in 1 days');
  });

  it('requires a token and a valid runbook id', async () => {
    expect((await get(app, '/api/v1/drills/pg-nightly', null)).statusCode).toBe(401);
    expect((await get(app, '/api/v1/drills/Not_An_Id')).statusCode).toBe(400);
    expect((await get(app, '/api/v1/drills/pg-nightly?limit=0')).statusCode).toBe(400);
  });

  it('answers an empty history for a runbook without drills, and 404 without a store', async () => {
    const empty = (await get(app, '/api/v1/drills/other')).json<{ records: unknown[]; trend: { alarm: string } }>();
    expect(empty.records).toEqual([]);
    expect(empty.trend.alarm).toBe('no drill of other has been recorded');
    const missing = await get(bare, '/api/v1/drills/pg-nightly');
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { message: string } }>().error.message).toBe(
      'this server has no blob store configured',
    );
  });
});
