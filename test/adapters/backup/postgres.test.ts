/**
 * PostgreSQL backups and restores against a real throwaway cluster (test/support/postgres.ts) and the
 * filesystem blob store: row counts, restore into scratch databases that are always dropped, the janitor,
 * and failures that leave nothing behind.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/backup/catalog.js';
import { restorePostgresAction } from '../../../src/actions/backup/restore-postgres.js';
import { backupVerifyAction } from '../../../src/actions/backup/verify.js';
import type { StagingProgress } from '../../../src/backup/restore/staging.js';
import type { BackupDeps } from '../../../src/backup/deps.js';
import { backupKeys, DEFAULT_LAYOUT } from '../../../src/backup/manifest.js';
import { dropLeftoverScratchDatabases, withScratchDatabase } from '../../../src/backup/restore/scratch-db.js';
import { backupPostgres } from '../../../src/backup/write/postgres.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { BreakingStore } from '../../support/breaking-store.js';
import { startPostgres, type TestPostgres } from '../../../harness/postgres.js';
import { createActionContext } from '../../../src/actions/context.js';
import { memoryLogger, rejection, testContext } from '../../unit/actions/support.js';

let server: TestPostgres;
let scratch: string;
let store: BlobStore;
let deps: BackupDeps;

const EXPECTED_TABLES = {
  'billing.invoices': 250,
  'public.customers': 1000,
  'public.empty': 0,
  'public.Order Items': 3,
};

async function seed(): Promise<void> {
  await server.sql('postgres', 'CREATE DATABASE app');
  await server.sql(
    'app',
    `CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
     INSERT INTO customers (name) SELECT 'customer ' || i FROM generate_series(1, 1000) i;
     CREATE SCHEMA billing;
     CREATE TABLE billing.invoices (id serial PRIMARY KEY, customer int REFERENCES customers, cents bigint);
     INSERT INTO billing.invoices (customer, cents) SELECT 1 + i % 1000, i * 100 FROM generate_series(1, 250) i;
     CREATE TABLE "Order Items" (sku text);
     INSERT INTO "Order Items" VALUES ('a'), ('b'), ('c');
     CREATE TABLE empty (x int);`,
  );
}

function depsWith(env: Record<string, string>, overrides: Partial<BackupDeps> = {}): BackupDeps {
  return {
    store,
    layout: DEFAULT_LAYOUT,
    postgres: { app: { url: 'env:APP_URL' } },
    directories: {},
    restore: {
      postgresUrl: 'env:SCRATCH_URL',
      directory: path.join(scratch, 'restore'),
      staging: path.join(scratch, 'staging'),
    },
    secrets: createSecretResolver({ env, baseDir: scratch }),
    postgresBinDir: server.binDir,
    ...overrides,
  };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of store.list(prefix)) keys.push(entry.key);
  return keys;
}

async function drillDatabases(): Promise<string[]> {
  return (await server.databases()).filter((name) => name.startsWith('firebreak_drill_'));
}

beforeAll(async () => {
  server = await startPostgres();
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-pg-backup-'));
  store = await createFsStore({ dir: path.join(scratch, 'blobs') });
  await seed();
  deps = depsWith({ APP_URL: server.urlFor('app'), SCRATCH_URL: server.url });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('backup.postgres', () => {
  it('streams a dump into the store and records exact row counts in a manifest kept apart', async () => {
    const progress: number[] = [];
    const outcome = await backupPostgres(deps, 'app', { onProgress: (bytes) => progress.push(bytes) });
    const { manifest } = outcome;
    expect(manifest.postgres?.tables).toEqual(EXPECTED_TABLES);
    expect(manifest.postgres?.database).toBe('app');
    expect(manifest.tools.pg_dump).toMatch(/^\d+\.\d+/);
    expect(manifest.key).toBe(backupKeys(DEFAULT_LAYOUT, 'postgres', 'app', manifest.id).data);
    expect(outcome.manifestKey).toBe(`manifests/app/${manifest.id}.json`);
    expect(await store.head(manifest.key)).toMatchObject({ size: manifest.size, sha256: manifest.sha256 });
    expect(await readManifest(store, DEFAULT_LAYOUT, 'app', manifest.id)).toEqual(manifest);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBeLessThanOrEqual(manifest.size);
  });

  it('counts rows in the snapshot pg_dump dumps, even while rows are being inserted', async () => {
    const writer = new pg.Client({ connectionString: server.urlFor('app') });
    await writer.connect();
    let writing = true;
    const inserts = (async () => {
      while (writing) await writer.query("INSERT INTO customers (name) VALUES ('late')");
    })();
    try {
      const { manifest } = await backupPostgres(deps, 'app');
      const counted = manifest.postgres?.tables['public.customers'];
      const run = await withScratchDatabase(deps, manifest, async (url) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const rows = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM customers');
        await client.end();
        return Number(rows.rows[0]?.n);
      });
      expect(run.value).toBe(counted);
    } finally {
      writing = false;
      await inserts;
      await writer.end();
      await server.sql('app', "DELETE FROM customers WHERE name = 'late'");
    }
  });

  it('fails with a clear, non-retryable error on a wrong password and leaves no object', async () => {
    const wrong = new URL(server.urlFor('app'));
    wrong.password = 'not-the-password';
    const bad = depsWith({ APP_URL: wrong.toString(), SCRATCH_URL: server.url });
    const before = await keysUnder('backups/');
    const error = await rejection(backupPostgres(bad, 'app'));
    expect(error).toBeInstanceOf(FirebreakError);
    expect(error.code).toBe(ErrorCode.NotAllowed);
    expect(error.message).toMatch(/source app.*password authentication failed/);
    expect(error.message).not.toContain('not-the-password');
    expect(await keysUnder('backups/')).toEqual(before);
  });

  it('deletes the partial object when pg_dump exits non-zero after writing', async () => {
    const bin = path.join(scratch, 'broken-bin');
    mkdirSync(bin);
    const script = path.join(bin, 'pg_dump');
    writeFileSync(
      script,
      '#!/bin/sh\nif [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 15.0"; exit 0; fi\n' +
        'head -c 200000 /dev/zero\necho "pg_dump: error: query failed: disk on fire" >&2\nexit 1\n',
    );
    chmodSync(script, 0o755);
    const before = [await keysUnder('backups/'), await keysUnder('manifests/')];
    const error = await rejection(backupPostgres({ ...deps, postgresBinDir: bin }, 'app'));
    expect(error.code).toBe(ErrorCode.CommandFailed);
    expect(error.message).toContain('pg_dump exited with 1: pg_dump: error: query failed: disk on fire');
    expect([await keysUnder('backups/'), await keysUnder('manifests/')]).toEqual(before);
  });

  it('refuses a source that is not configured', async () => {
    const error = await rejection(backupPostgres(deps, 'nope'));
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.message).toBe('no PostgreSQL source nope in backups.postgres (have: app)');
  });
});

describe('restore into a scratch database', () => {
  it('restores the rows, runs the checks and drops the scratch database (restore.postgres)', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const action = restorePostgresAction(deps);
    const { ctx } = testContext();
    const checks = [
      { name: 'up', kind: 'starts' as const },
      { name: 'counts', kind: 'row-counts' as const },
      {
        name: 'canary',
        kind: 'query' as const,
        sql: 'SELECT name FROM customers WHERE id = 7',
        expect: { scalar: 'customer 7' },
      },
    ];
    const result = await action.execute({ source: 'app', backup: manifest.id, checks }, ctx);
    const output = result.output as Record<string, unknown>;
    expect(output.verdict).toMatchObject({ passed: true, counts: { PASS: 3, FAIL: 0, SKIPPED: 0 } });
    expect(output).toMatchObject({ dropped: true, bytes: manifest.size, sha256: manifest.sha256 });
    expect(output.restoreMs).toEqual(expect.any(Number));
    expect(output.tables).toEqual(EXPECTED_TABLES);
    expect(await drillDatabases()).toEqual([]);
  });

  it('resumes a download broken mid-way from the staged bytes, then restores with two jobs', async () => {
    // Small segments, so the dump spans several and the break falls inside it.
    const small = { ...deps, segmentBytes: 2 * 1024 };
    const { manifest } = await backupPostgres(small, 'app');
    expect(manifest.size).toBeGreaterThan(8 * 1024);
    const breaking = new BreakingStore(store, { key: manifest.key, message: 'socket hang up' });
    breaking.failAfter = 6 * 1024;
    const action = restorePostgresAction({ ...small, store: breaking.store });
    const checks = [{ name: 'counts', kind: 'row-counts' as const }];
    const beats: unknown[] = [];
    const attempt = (resumeFrom?: unknown) =>
      createActionContext({
        incidentId: 'inc-1',
        stepId: 'restore',
        signal: new AbortController().signal,
        logger: memoryLogger().logger,
        heartbeat: (details) => beats.push(details),
        resumeFrom,
      }).ctx;
    const first = await rejection(action.execute({ source: 'app', backup: manifest.id, checks }, attempt()));
    expect(first.code).toBe(ErrorCode.Transient);
    expect(first.message).toMatch(/failed at byte \d+: socket hang up/);
    expect(await drillDatabases()).toEqual([]);
    const resumeFrom = beats.at(-1);
    expect(resumeFrom).toMatchObject({ kind: 'restore.download', key: manifest.key, phase: 'download' });

    const result = await action.execute({ source: 'app', backup: manifest.id, checks }, attempt(resumeFrom));
    const output = result.output as { staging: { resumedFrom: number; bytesRead: number }; jobs: number };
    const resumedAt = breaking.starts.at(-1) ?? 0;
    expect(resumedAt).toBeGreaterThan(0);
    expect(output.staging).toEqual({ mode: 'file', resumedFrom: resumedAt, bytesRead: manifest.size - resumedAt });
    expect(output.jobs).toBe(2);
    expect(result.output).toMatchObject({ verdict: { passed: true }, bytes: manifest.size, sha256: manifest.sha256 });
    expect(beats.at(-1)).toMatchObject({ kind: 'restore.download', phase: 'restore', offset: manifest.size });
    expect(await drillDatabases()).toEqual([]);
    expect(readdirSync(small.restore.staging)).toEqual([]);
  });

  it('restores from the file a staging verify step left: one download, and the RTO still counts it', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const { ctx } = testContext();
    const verified = await backupVerifyAction(deps).execute({ source: 'app', backup: manifest.id, stage: true }, ctx);
    const verify = verified.output as { bytesRead: number; durationMs: number; staged: StagingProgress };
    expect(verify.bytesRead).toBe(manifest.size);
    expect(readdirSync(deps.restore.staging)).toEqual([verify.staged.file]);
    const restored = await restorePostgresAction(deps).execute(
      { source: 'app', backup: manifest.id, staged: verify.staged, checks: [{ name: 'n', kind: 'row-counts' }] },
      testContext().ctx,
    );
    const output = restored.output as {
      staging: unknown;
      restoreMs: number;
      timings: { downloadMs: number };
      verdict: { passed: boolean };
    };
    expect(output.staging).toEqual({ mode: 'file', resumedFrom: manifest.size, bytesRead: 0 });
    expect(output.verdict.passed).toBe(true);
    // The verify step's download time is part of the restore's duration, as in a real restore.
    expect(output.timings.downloadMs).toBeGreaterThanOrEqual(verify.durationMs);
    expect(output.restoreMs).toBeGreaterThanOrEqual(output.timings.downloadMs);
    expect(readdirSync(deps.restore.staging)).toEqual([]);
  });

  it('streams straight into one pg_restore job when asked to, staging nothing', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const { ctx } = testContext();
    const checks = [{ name: 'counts', kind: 'row-counts' as const }];
    const result = await restorePostgresAction(deps).execute(
      { source: 'app', backup: manifest.id, checks, staging: 'stream' },
      ctx,
    );
    expect(result.output).toMatchObject({
      verdict: { passed: true },
      jobs: 1,
      staging: { mode: 'stream', resumedFrom: 0, bytesRead: manifest.size },
    });
    expect(await drillDatabases()).toEqual([]);
  });

  it('drops the scratch database even when the check function throws', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    let seen: string[] = [];
    const error = await rejection(
      withScratchDatabase(deps, manifest, async () => {
        seen = await drillDatabases();
        throw new Error('check exploded');
      }),
    );
    expect(error.message).toBe('check exploded');
    expect(seen).toHaveLength(1);
    expect(await drillDatabases()).toEqual([]);
  });

  it('refuses an object that does not match its manifest, and still drops the scratch database', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const claimed = { ...manifest, sha256: 'f'.repeat(64) };
    const error = await rejection(withScratchDatabase(deps, claimed, () => Promise.resolve('unreachable')));
    expect(error.code).toBe(ErrorCode.BackupCorrupt);
    expect(await drillDatabases()).toEqual([]);
  });

  it('the janitor drops old unlocked leftovers, never one a live restore holds', async () => {
    const orphan = 'firebreak_drill_20200101t000000000z_deadbeef';
    const live = 'firebreak_drill_20200101t000000000z_0000beef';
    await server.sql('postgres', `CREATE DATABASE ${orphan}`);
    await server.sql('postgres', `CREATE DATABASE ${live}`);
    const holder = new pg.Client({ connectionString: server.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [0x46424452, live]);
    try {
      expect(await dropLeftoverScratchDatabases(deps, 60_000)).toEqual([orphan]);
      expect(await drillDatabases()).toEqual([live]);
    } finally {
      await holder.end();
    }
    expect(await dropLeftoverScratchDatabases(deps, 60_000)).toEqual([live]);
    expect(await drillDatabases()).toEqual([]);
  });
});
