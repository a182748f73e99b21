/**
 * The shipped PostgreSQL runbooks through the interpreter against a real throwaway PostgreSQL:
 * `postgres-backup` takes a backup of a database with data, then `postgres-restore-drill` chooses it,
 * verifies it, restores it into a scratch database, checks it, drops it and records a passed drill.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDrillHistory } from '../../src/backup/drills/history.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { startPostgres, type TestPostgres } from '../../harness/postgres.js';
import { projectRoot, startTestEnv, stepOf, type TestEnv } from '../support/temporal.js';

let server: TestPostgres;
let env: TestEnv;
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-pg-drill-'));

const runbook = (file: string) => readFileSync(path.join(projectRoot, 'runbooks', file), 'utf8');

beforeAll(async () => {
  server = await startPostgres();
  await server.sql('postgres', 'CREATE DATABASE orders');
  await server.sql(
    'orders',
    `CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL);
     INSERT INTO customers (email) SELECT 'c' || i || '@example.com' FROM generate_series(1, 500) i;`,
  );
  env = await startTestEnv({
    env: { ORDERS_URL: server.urlFor('orders'), SCRATCH_URL: server.url },
    templates: [path.join(projectRoot, 'templates')],
    dataDir: path.join(scratch, 'data'),
    configure: (config) => ({
      ...config,
      storage: { type: 'filesystem', dir: path.join(scratch, 'blobs') },
      backups: {
        postgres: { orders: { url: 'env:ORDERS_URL' } },
        directories: {},
        restore: { postgres: { url: 'env:SCRATCH_URL' }, directory: path.join(scratch, 'restore') },
      },
    }),
  });
}, 120_000);

afterAll(async () => {
  await env?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the shipped PostgreSQL backup and drill runbooks', () => {
  it('back up a database, then prove the backup restores with exact row counts', async () => {
    const backup = await env.trigger(env.compile(runbook('postgres-backup.yaml')), { source: 'orders' });
    expect((await env.incidents.result(backup)).status).toBe('completed');
    const taken = await env.incidents.state(backup);
    expect(stepOf(taken, 'backup').output).toMatchObject({ backup: { kind: 'postgres', source: 'orders' } });

    const drill = await env.trigger(env.compile(runbook('postgres-restore-drill.yaml')), { source: 'orders' });
    expect((await env.incidents.result(drill)).status).toBe('completed');
    const state = await env.incidents.state(drill);
    expect(stepOf(state, 'restore').status).toBe('succeeded');
    // The backup was downloaded once: by the verify step, whose staged file the restore read from disk.
    const size = (stepOf(state, 'verify').output as { size: number }).size;
    expect(stepOf(state, 'verify').output).toMatchObject({ verified: true, bytesRead: size });
    expect(stepOf(state, 'restore').output).toMatchObject({
      staging: { mode: 'file', resumedFrom: size, bytesRead: 0 },
    });
    expect(readdirSync(path.join(scratch, 'data', 'restore-staging'))).toEqual([]);
    expect(stepOf(state, 'record').status).toBe('succeeded');
    expect(stepOf(state, 'alert').status).toBe('skipped');
    const history = await readDrillHistory(
      await createFsStore({ dir: path.join(scratch, 'blobs') }),
      'postgres-restore-drill',
    );
    const record = history.records.find((entry) => entry.incidentId === drill);
    expect(record).toMatchObject({
      status: 'passed',
      checks: [
        { name: 'starts', status: 'PASS' },
        { name: 'tables', status: 'PASS' },
        { name: 'row counts', status: 'PASS' },
      ],
    });
    expect(record?.rtoMs).toBeGreaterThan(0);
    expect(await server.databases()).not.toEqual(expect.arrayContaining([expect.stringMatching(/^firebreak_drill_/)]));
  });
});
