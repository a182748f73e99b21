/**
 * Cancelling an incident while a backup or a restore runs (issue 5). Cancellation reaches the running
 * action through its heartbeats; it must stop the tools and leave nothing behind:
 * - a backup being uploaded to S3 (SeaweedFS, frozen mid-upload so the cancel lands while the multipart
 *   upload is open): pg_dump is gone, the multipart upload is aborted, no object and no manifest remain;
 * - a restore in its pg_restore phase (a table whose CHECK sleeps in scratch databases paces it): the
 *   pg_restore processes are gone, the scratch database is dropped and the staged file deleted.
 * The real PostgreSQL, SeaweedFS and Temporal servers; the worker builds its actions from the config.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupDeps } from '../../src/backup/deps.js';
import { DEFAULT_LAYOUT } from '../../src/backup/manifest.js';
import { backupPostgres } from '../../src/backup/write/postgres.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { createS3Store } from '../../src/storage/s3-store.js';
import { eventually } from '../support/poll.js';
import { startPostgres, type TestPostgres } from '../../harness/postgres.js';
import {
  seaweedEnv,
  seaweedStorageConfig,
  seaweedStoreOptions,
  startSeaweedfs,
  type TestSeaweedfs,
} from '../../harness/seaweedfs.js';
import { alice, startTestEnv, stepOf, type TestEnv } from '../support/temporal.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-cancel-'));
const stagingDir = path.join(scratch, 'data', 'restore-staging');
let seaweed: TestSeaweedfs;
let server: TestPostgres;
let s3: S3Client;
let env: TestEnv;
let pacedBackup: string;

const backupRunbook = `
apiVersion: firebreak/v1
id: cancel-backup
title: A backup that gets cancelled
version: 1
severity: sev4
roles: { commander: {} }
steps:
  - id: backup
    title: Back up the big database
    action: backup.postgres
    with: { source: big }
`;

const restoreRunbook = `
apiVersion: firebreak/v1
id: cancel-restore
title: A restore that gets cancelled
version: 1
severity: sev4
roles: { commander: {} }
params:
  backup: { type: string }
steps:
  - id: restore
    title: Restore into a scratch database
    action: restore.postgres
    with:
      source: paced
      backup: "\${{ params.backup }}"
      checks: [{ name: up, kind: starts }]
`;

/** Processes of `tool` whose command line names this file's PostgreSQL server. */
function toolProcesses(tool: 'pg_dump' | 'pg_restore'): number[] {
  const marker = `127.0.0.1:${server.port}/`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (path.basename(args[0] ?? '') === tool && cmdline.includes(marker)) pids.push(Number(entry));
  }
  return pids;
}

async function openUploads(): Promise<string[]> {
  const result = await s3.send(new ListMultipartUploadsCommand({ Bucket: seaweed.bucket }));
  return (result.Uploads ?? []).map((upload) => upload.Key ?? '');
}

async function keysUnder(prefix: string): Promise<string[]> {
  const result = await s3.send(new ListObjectsV2Command({ Bucket: seaweed.bucket, Prefix: prefix }));
  return (result.Contents ?? []).map((object) => object.Key ?? '');
}

async function drillDatabases(): Promise<string[]> {
  return (await server.databases()).filter((name) => name.startsWith('firebreak_drill_'));
}

/** Polls `probe` until it returns true, failing with `what` after `timeoutMs`. */
async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => ((await probe()) ? true : undefined), {
    timeoutMs,
    intervalMs: 10,
    what: `timed out waiting for ${what}`,
  });
}

/** 300 rows of 256 KiB random bytes: a dump of about 75 MiB, several multipart parts. */
async function seedBig(): Promise<void> {
  await server.sql('postgres', 'CREATE DATABASE big');
  await server.sql('big', 'CREATE TABLE payload (id int PRIMARY KEY, data bytea NOT NULL)');
  for (let id = 0; id < 300; id += 1) {
    await server.sql('big', 'INSERT INTO payload VALUES ($1, $2)', [id, randomBytes(256 * 1024)]);
  }
}

/** A database whose restore takes about 15 s: each row's CHECK sleeps 30 ms, only in scratch databases. */
async function seedPaced(): Promise<void> {
  await server.sql('postgres', 'CREATE DATABASE paced');
  await server.sql(
    'paced',
    `CREATE FUNCTION public.restore_pace(int) RETURNS boolean LANGUAGE sql AS $$
       SELECT CASE WHEN starts_with(current_database(), 'firebreak_drill_')
                   THEN (SELECT true FROM pg_sleep(0.03)) ELSE true END $$;
     CREATE TABLE slow (id int PRIMARY KEY CHECK (public.restore_pace(id)));
     INSERT INTO slow SELECT generate_series(1, 500)`,
  );
}

beforeAll(async () => {
  [seaweed, server] = await Promise.all([startSeaweedfs(), startPostgres()]);
  await Promise.all([seedBig(), seedPaced()]);
  s3 = new S3Client({
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    forcePathStyle: true,
    credentials: { accessKeyId: seaweed.accessKeyId, secretAccessKey: seaweed.secretAccessKey },
  });
  const urls = { BIG_URL: server.urlFor('big'), PACED_URL: server.urlFor('paced'), SCRATCH_URL: server.url };
  const deps: BackupDeps = {
    store: createS3Store(seaweedStoreOptions(seaweed)),
    layout: DEFAULT_LAYOUT,
    postgres: { paced: { url: 'env:PACED_URL' } },
    directories: {},
    restore: { postgresUrl: 'env:SCRATCH_URL', directory: path.join(scratch, 'restore'), staging: stagingDir },
    secrets: createSecretResolver({ env: urls, baseDir: scratch }),
    postgresBinDir: server.binDir,
  };
  pacedBackup = (await backupPostgres(deps, 'paced')).manifest.id;
  env = await startTestEnv({
    env: { ...seaweedEnv(seaweed), ...urls },
    dataDir: path.join(scratch, 'data'),
    configure: (config) => ({
      ...config,
      storage: seaweedStorageConfig(seaweed),
      backups: {
        postgres: { big: { url: 'env:BIG_URL' }, paced: { url: 'env:PACED_URL' } },
        directories: {},
        restore: { postgres: { url: 'env:SCRATCH_URL' } },
        postgresBinDir: server.binDir,
      },
    }),
  });
}, 240_000);

afterAll(async () => {
  seaweed?.thaw();
  await env?.close();
  s3?.destroy();
  await seaweed?.stop();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('cancelling an incident mid-backup or mid-restore', () => {
  it('stops pg_dump and aborts the multipart upload: no object, no manifest, nothing running', async () => {
    const id = await env.trigger(env.compile(backupRunbook), {});
    // The upload is open (its first part is on its way): freeze the store so the backup cannot finish.
    await until('the multipart upload to open', async () => (await openUploads()).length > 0);
    seaweed.freeze();
    expect(toolProcesses('pg_dump')).not.toEqual([]);
    try {
      await env.incidents.cancel(id, { actor: alice, reason: 'wrong database' });
      // pg_dump is stopped as soon as the cancellation reaches the action, with the store still frozen.
      await until('pg_dump to stop', () => toolProcesses('pg_dump').length === 0, 30_000);
    } finally {
      // The abort of the upload needs the store.
      seaweed.thaw();
    }
    await until('the multipart upload to be aborted', async () => (await openUploads()).length === 0, 30_000);
    await env.incidents.result(id).catch(() => undefined);
    const state = await env.incidents.state(id);
    expect(state.status).toBe('cancelled');
    expect(stepOf(state, 'backup').status).toBe('cancelled');
    expect(await keysUnder('backups/big/')).toEqual([]);
    expect(await keysUnder('manifests/big/')).toEqual([]);
  }, 120_000);

  it('stops pg_restore, drops the scratch database and deletes the staged file', async () => {
    const id = await env.trigger(env.compile(restoreRunbook), { backup: pacedBackup });
    // The scratch database exists once the download is staged: pg_restore is running.
    await until('the scratch database', async () => (await drillDatabases()).length > 0);
    await until('pg_restore', () => toolProcesses('pg_restore').length > 0);
    expect(readdirSync(stagingDir).filter((name) => name.endsWith('.staged'))).toHaveLength(1);
    const cancelledAt = Date.now();
    await env.incidents.cancel(id, { actor: alice, reason: 'drill window over' });
    await until('pg_restore to stop', () => toolProcesses('pg_restore').length === 0, 30_000);
    await until('the scratch database to be dropped', async () => (await drillDatabases()).length === 0, 30_000);
    await until('the staged file to go', () => !existsSync(stagingDir) || readdirSync(stagingDir).length === 0);
    // Well before the restore would have finished on its own (500 rows at 30 ms each).
    expect(Date.now() - cancelledAt).toBeLessThan(12_000);
    await env.incidents.result(id).catch(() => undefined);
    const state = await env.incidents.state(id);
    expect(state.status).toBe('cancelled');
    expect(stepOf(state, 'restore').status).toBe('cancelled');
  }, 120_000);
});
