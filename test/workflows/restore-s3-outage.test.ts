/**
 * The S3 server stops mid-drill (issue 5, items 7 and 8). A PostgreSQL backup lives in a SeaweedFS of this
 * file's own, and the server is stopped dead, then killed, while `restore.postgres` downloads the backup to
 * its staging file. The restore fails as TRANSIENT (retryable) with one line naming the object and the
 * byte, keeps the bytes it has for the retry and has created no scratch database. Through the interpreter,
 * the step's retry policy gives it three attempts against the stopped server; it fails with the reason,
 * leaving no scratch database and, its last attempt over, no staged file. Once the server is back, the
 * same restore passes, resuming the download where the broken one stopped: the backup was never at fault.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../activities/failures.js';
import { createActionContext } from '../../src/actions/context.js';
import type { ActionContext } from '../../src/actions/types.js';
import { restorePostgresAction } from '../../src/actions/backup/restore-postgres.js';
import type { BackupDeps } from '../../src/backup/deps.js';
import { DEFAULT_LAYOUT, type BackupManifest } from '../../src/backup/manifest.js';
import { backupPostgres } from '../../src/backup/write/postgres.js';
import { StagingProgressSchema, type StagingProgress } from '../../src/backup/restore/staging.js';
import { ErrorCode, FirebreakError } from '../../src/domain/errors.js';
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
import { startTestEnv, stepOf, type TestEnv } from '../support/temporal.js';
import { memoryLogger, rejection } from '../unit/actions/support.js';

const ROWS = 200;
const ROW_BYTES = 256 * 1024;

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-s3-outage-'));
let seaweed: TestSeaweedfs;
let server: TestPostgres;
let deps: BackupDeps;
let manifest: BackupManifest;
let env: TestEnv;

const runbook = `
apiVersion: firebreak/v1
id: app-drill-outage
title: Restore drill while the store goes away
version: 1
severity: sev4
params:
  backup: { type: string }
steps:
  - id: restore
    title: Restore into a scratch database
    action: restore.postgres
    retry: { maxAttempts: 3, initialInterval: 1s }
    with:
      source: app
      backup: "\${{ params.backup }}"
      checks: [{ name: up, kind: starts }]
`;

/**
 * A database whose restore takes several seconds: 50 MiB of random bytes in rows whose CHECK sleeps 30 ms,
 * but only in a scratch database, so pg_restore reads the dump slowly and the server is still sending it
 * when it is killed. (pg_dump keeps the CHECK with its table, so COPY runs it for every restored row.)
 */
async function seed(): Promise<void> {
  await server.sql('postgres', 'CREATE DATABASE app');
  await server.sql(
    'app',
    `CREATE FUNCTION public.restore_pace(bytea) RETURNS boolean LANGUAGE sql AS $$
       SELECT CASE WHEN starts_with(current_database(), 'firebreak_drill_')
                   THEN (SELECT true FROM pg_sleep(0.03)) ELSE true END $$;
     CREATE TABLE payload (id int PRIMARY KEY, data bytea NOT NULL CHECK (public.restore_pace(data)))`,
  );
  for (let id = 0; id < ROWS; id += 1) {
    await server.sql('app', 'INSERT INTO payload VALUES ($1, $2)', [id, randomBytes(ROW_BYTES)]);
  }
}

async function drillDatabases(): Promise<string[]> {
  return (await server.databases()).filter((name) => name.startsWith('firebreak_drill_'));
}

/** An action context whose heartbeats go to `onBeat`. */
function contextWith(onBeat: (details: unknown) => void, resumeFrom?: unknown): ActionContext {
  return createActionContext({
    incidentId: `inc-${randomUUID()}`,
    stepId: 'restore',
    signal: new AbortController().signal,
    logger: memoryLogger().logger,
    heartbeat: (details) => onBeat(details),
    resumeFrom,
  }).ctx;
}

function stagedIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.staged')) : [];
}

/**
 * Stops the S3 server dead as soon as the worker's staging file appears (the download is starting), then
 * kills it: the first attempt's download breaks.
 */
async function killWhenDownloading(stagingDir: string, timeoutMs = 60_000): Promise<number> {
  await eventually(() => (stagedIn(stagingDir).length > 0 ? true : undefined), {
    timeoutMs,
    intervalMs: 5,
    what: 'no staged file appeared',
  });
  seaweed.freeze();
  await seaweed.kill();
  return Date.now();
}

/** The last staging progress the in-process restore reported before the server died. */
let broken: StagingProgress | undefined;

beforeAll(async () => {
  [seaweed, server] = await Promise.all([startSeaweedfs(), startPostgres()]);
  await seed();
  const urls = { APP_URL: server.urlFor('app'), SCRATCH_URL: server.url };
  deps = {
    store: createS3Store(seaweedStoreOptions(seaweed)),
    layout: DEFAULT_LAYOUT,
    postgres: { app: { url: 'env:APP_URL' } },
    directories: {},
    restore: {
      postgresUrl: 'env:SCRATCH_URL',
      directory: path.join(scratch, 'restore'),
      staging: path.join(scratch, 'staging'),
    },
    secrets: createSecretResolver({ env: urls, baseDir: scratch }),
    postgresBinDir: server.binDir,
  };
  ({ manifest } = await backupPostgres(deps, 'app'));
  // The worker builds its store and backup actions from `storage` and `backups`, as in production.
  env = await startTestEnv({
    env: { ...seaweedEnv(seaweed), ...urls },
    dataDir: path.join(scratch, 'data'),
    configure: (config) => ({
      ...config,
      storage: seaweedStorageConfig(seaweed),
      backups: {
        postgres: { app: { url: 'env:APP_URL' } },
        directories: {},
        restore: { postgres: { url: 'env:SCRATCH_URL' } },
        postgresBinDir: server.binDir,
      },
    }),
  });
}, 180_000);

afterAll(async () => {
  await env?.close();
  await seaweed?.stop();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the S3 server stops mid-drill', () => {
  it('fails restore.postgres as TRANSIENT naming the object and byte, keeping the staged bytes', async () => {
    expect(manifest.size).toBeGreaterThan(3 * 8 * 1024 * 1024);
    let killed: Promise<number> | undefined;
    // The first beat with bytes on disk stops the server dead (synchronously), with most still unsent.
    const ctx = contextWith((details) => {
      const progress = StagingProgressSchema.safeParse(details);
      if (!progress.success) return;
      broken = progress.data;
      if (progress.data.offset > 0 && killed === undefined) {
        seaweed.freeze();
        killed = seaweed.kill().then(() => Date.now());
      }
    });
    const error = await rejection(restorePostgresAction(deps).execute({ source: 'app', backup: manifest.id }, ctx));
    const failedAt = Date.now();
    expect(killed).toBeDefined();
    expect(failedAt - (await (killed as Promise<number>))).toBeLessThan(5_000);

    expect(error).toBeInstanceOf(FirebreakError);
    expect(error.code).toBe(ErrorCode.Transient);
    expect(error.message).toMatch(/^S3 read of "backups\/app\/[^"]+\.dump" broke off at byte \d+: /);
    expect(error.message).toContain(manifest.key);
    // One line of ours: no stack, no SDK internals.
    expect(error.message).not.toMatch(/\n|node_modules|@smithy|@aws-sdk|\bat \S+ \(/);
    const failure = toActivityFailure(error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: ErrorCode.Transient, nonRetryable: false });

    // The download never finished, so no scratch database was made; its bytes wait for the retry.
    expect(await drillDatabases()).toEqual([]);
    const staging = deps.restore.staging;
    expect(stagedIn(staging)).toEqual([broken?.file]);
    const kept = statSync(path.join(staging, broken?.file ?? '')).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(manifest.size);
  }, 60_000);

  it('retries the step three times through the interpreter, then fails it with the reason; nothing is left', async () => {
    await seaweed.restart();
    const id = await env.trigger(env.compile(runbook), { backup: manifest.id });
    const killedAt = await killWhenDownloading(path.join(scratch, 'data', 'restore-staging'));
    await env.incidents.result(id).catch(() => undefined);
    const failedAt = Date.now();

    const state = await env.incidents.state(id);
    const step = stepOf(state, 'restore');
    expect(step).toMatchObject({ status: 'failed', error: { code: ErrorCode.Transient } });
    expect(step.error?.message).toMatch(/^S3 unreachable for "manifests\/app\/[^"]+\.json" after 3 attempts: /);
    expect(step.error?.message).toContain('ECONNREFUSED');
    // Retries 1 s and then 2 s after the failures; each attempt against the stopped server fails at once.
    expect(failedAt - killedAt).toBeGreaterThanOrEqual(3_000);
    expect(failedAt - killedAt).toBeLessThan(20_000);

    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const attempts = (history.events ?? []).flatMap((event) => {
      const started = event.activityTaskStartedEventAttributes;
      return started ? [started.attempt ?? 0] : [];
    });
    expect(attempts).toEqual([3]);
    const failed = (history.events ?? []).find((event) => event.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.message).toBe(step.error?.message);

    expect(await drillDatabases()).toEqual([]);
    // The first attempt kept its partial download for a retry; the last attempt, failing, removed it.
    expect(stagedIn(path.join(scratch, 'data', 'restore-staging'))).toEqual([]);
  }, 90_000);

  it('restores the same backup once the server is back, resuming the broken download', async () => {
    await seaweed.restart();
    const kept = statSync(path.join(deps.restore.staging, broken?.file ?? '')).size;
    const ctx = contextWith(() => undefined, broken);
    const result = await restorePostgresAction(deps).execute(
      { source: 'app', backup: manifest.id, checks: [{ name: 'rows', kind: 'row-counts' }] },
      ctx,
    );
    expect(result.output).toMatchObject({
      dropped: true,
      bytes: manifest.size,
      sha256: manifest.sha256,
      verdict: { passed: true },
      staging: { mode: 'file', resumedFrom: kept, bytesRead: manifest.size - kept },
    });
    expect(await drillDatabases()).toEqual([]);
    expect(stagedIn(deps.restore.staging)).toEqual([]);
  }, 60_000);
});
