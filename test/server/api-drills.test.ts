/**
 * `GET /api/v1/drills/{runbook}`: drill records from the app's blob store, newest first, with the trend;
 * a token is required, the limit is honoured, bad ids are refused, a server without a store says so, and
 * only readers (`access.read`) and the holders of the runbook's roles read a runbook's drills.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillKey } from '../../src/backup/drills/drill.js';
import type { Plan } from '../../src/domain/plan.js';
import { buildApp, tokenHash, type AppDeps } from '../../src/server/app.js';
import { createMemoryAuditLog } from '../../src/server/audit.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { startTestEnv, testConfig, type TestEnv } from '../support/temporal.js';
import { drillRecord } from '../unit/backup/support.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-routes-'));
const TOKEN = 'drill-route-test-token-0123456789';
const OUTSIDER = 'drill-route-test-outsider-0123456789';
const ONCALL = 'drill-route-test-oncall-0123456789';
const RUNBOOK = `
apiVersion: firebreak/v1
id: pg-nightly
title: Nightly restore drill
version: 1
severity: sev4
roles:
  oncall: {}
steps:
  - { id: soak, title: Soak, wait: 1s }
`;
let env: TestEnv;
let app: FastifyInstance;
let bare: FastifyInstance;
let plan: Plan;

async function appWith(store: BlobStore | undefined): Promise<FastifyInstance> {
  const deps: AppDeps = {
    config: {
      ...testConfig(env.address),
      users: [
        { id: 'alice', email: 'alice@example.com', roles: ['dba'], token: tokenHash(TOKEN) },
        { id: 'mallory', email: 'mallory@example.com', roles: ['dev'], token: tokenHash(OUTSIDER) },
        { id: 'olga', email: 'olga@example.com', roles: ['oncall'], token: tokenHash(ONCALL) },
      ],
      access: { trigger: {}, read: ['dba'] },
    },
    runbooks: { get: (id) => (id === plan.runbookId ? { file: 'pg-nightly.yaml', plan } : undefined), list: () => [] },
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
  plan = env.compile(RUNBOOK);
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

  it("is read by readers and the runbook's role holders; 403 to anyone else, even for a runbook not loaded", async () => {
    const oncall = await get(app, '/api/v1/drills/pg-nightly', ONCALL);
    expect(oncall.json<{ total: number }>().total).toBe(2);
    const outsider = await get(app, '/api/v1/drills/pg-nightly', OUTSIDER);
    expect(outsider.statusCode).toBe(403);
    expect(outsider.json<{ error: { message: string } }>().error.message).toBe(
      'mallory may not read the drill history of pg-nightly',
    );
    expect(outsider.body).not.toContain('drill-1');
    expect((await get(app, '/api/v1/drills/other', ONCALL)).statusCode).toBe(403);
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
