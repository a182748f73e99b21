/**
 * Restoring a PostgreSQL backup into a scratch database created for it on the scratch server
 * (`backups.restore.postgres.url`, never a source).
 *
 * By default the object is staged first (staging.ts): downloaded to local disk and checked against the
 * manifest segment by segment and whole, resuming a previous attempt's download, and only then restored
 * by `pg_restore --jobs=N` from the file (parallel restore needs a seekable file; two jobs use both cores
 * of a small worker). With `staging: stream` the object streams straight into a single-job `pg_restore`
 * (no local disk needed, nothing to resume) and is hashed on the way; its bytes must still be exactly
 * those the manifest vouches for, but that is known only once pg_restore has read them all.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortReason } from '../../domain/abort.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BackupDeps } from '../deps.js';
import type { BackupManifest } from '../manifest.js';
import {
  connectClient,
  parsePostgresUrl,
  postgresError,
  quoteIdent,
  toolEnv,
  withDatabase,
  type PostgresUrl,
} from '../pg/connection.js';
import { pgTool, startTool, toolVersion } from '../pg/tools.js';
import { byteMeter, elapsedMs, type StreamOptions } from '../progress.js';
import { assertScratchName } from './scratch-name.js';
import { stagingReport, withStagedBackup, type StagingChoice, type StagingReport } from './staging.js';

/** pg_restore jobs when a restore does not say: both cores of a small worker. */
export const DEFAULT_RESTORE_JOBS = 2;

/** What `restorePostgres` restores into, and how. */
export interface RestorePostgresOptions extends StreamOptions, StagingChoice {
  /** The scratch database to create and restore into: a `firebreak_drill_…` name (see `scratchName`). */
  database: string;
  /** pg_restore jobs (file staging only; a stream restores with one). Default 2. */
  jobs?: number;
}

/** How a restore went. */
export interface RestoreOutcome {
  database: string;
  /** Bytes restored (the object's size when all went well). */
  bytes: number;
  sha256: string;
  jobs: number;
  staging: StagingReport;
  tools: { pg_restore: string };
  /**
   * `restoreMs` (the RTO measure) runs from the start of the download to pg_restore's exit. Its parts:
   * `downloadMs` (staging; 0 when streamed, as the download overlaps the restore) and `createMs`.
   */
  timings: { downloadMs: number; createMs: number; restoreMs: number };
}

/** The scratch server's admin URL, resolved; INVALID_INPUT when none is configured. */
export async function scratchServerUrl(deps: BackupDeps): Promise<string> {
  const ref = deps.restore.postgresUrl;
  if (ref === undefined) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'no scratch PostgreSQL server: set backups.restore.postgres.url');
  }
  return deps.secrets.resolve(ref);
}

/** What the scratch server's URL is called in errors. */
export const SCRATCH_SERVER = 'the scratch server (backups.restore.postgres.url)';

/** Creates `database` on the scratch server and restores the backup into it; the caller drops it. */
export async function restorePostgres(
  deps: BackupDeps,
  manifest: BackupManifest,
  options: RestorePostgresOptions,
): Promise<RestoreOutcome> {
  if (manifest.kind !== 'postgres') {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `backup ${manifest.id} is a ${manifest.kind} backup, not postgres`,
    );
  }
  const mode = options.staging ?? 'file';
  const jobs = options.jobs ?? (mode === 'file' ? DEFAULT_RESTORE_JOBS : 1);
  if (mode === 'stream' && jobs !== 1) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'a streamed restore runs one pg_restore job: use staging: file');
  }
  const database = assertScratchName(options.database);
  const adminUrl = await scratchServerUrl(deps);
  // Checked first: a malformed URL fails here, naming no part of it, before anything is created.
  parsePostgresUrl(adminUrl, SCRATCH_SERVER);
  const pgRestore = pgTool('pg_restore', deps.postgresBinDir);
  const version = await toolVersion(pgRestore);
  const target = parsePostgresUrl(withDatabase(adminUrl, database), SCRATCH_SERVER);
  const restored =
    mode === 'file'
      ? await restoreStaged(deps, manifest, { adminUrl, database, target, pgRestore, jobs }, options)
      : await restoreStreamed(deps, manifest, { adminUrl, database, target, pgRestore }, options);
  return {
    database,
    bytes: restored.bytes,
    sha256: restored.sha256,
    jobs,
    staging: restored.staging,
    tools: { pg_restore: version },
    timings: { downloadMs: restored.downloadMs, createMs: restored.createMs, restoreMs: restored.restoreMs },
  };
}

interface RestoreTarget {
  adminUrl: string;
  database: string;
  target: PostgresUrl;
  pgRestore: string;
}

interface Restored {
  bytes: number;
  sha256: string;
  staging: StagingReport;
  downloadMs: number;
  createMs: number;
  /** The RTO measure: from the start of the download to pg_restore's exit. */
  restoreMs: number;
}

/** Stages the object, then creates the database and runs pg_restore from the file. */
async function restoreStaged(
  deps: BackupDeps,
  manifest: BackupManifest,
  to: RestoreTarget & { jobs: number },
  options: RestorePostgresOptions,
): Promise<Restored> {
  // A pg_restore that may succeed on retry restores from the same file, not a new download.
  return withStagedBackup(deps, manifest, options, async (staged) => {
    const ready = performance.now();
    const createMs = await timed(() => createDatabase(to.adminUrl, to.database));
    await runPgRestore(to, ['--jobs', String(to.jobs), staged.file], options);
    return {
      // The download may have been done (in part) by an earlier attempt or a verify step: its time counts
      // all the same, as it would in a real restore.
      restoreMs: staged.downloadMs + elapsedMs(ready),
      bytes: staged.size,
      sha256: staged.sha256,
      staging: stagingReport(staged),
      downloadMs: staged.downloadMs,
      createMs,
    };
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return elapsedMs(started);
}

/** Runs pg_restore against the target with `extra` arguments (the file, jobs); resolves when it exits 0. */
async function runPgRestore(to: RestoreTarget, extra: string[], options: StreamOptions): Promise<void> {
  const run = startTool({
    file: to.pgRestore,
    args: [...RESTORE_ARGS, `--dbname=${to.target.connString}`, ...extra],
    env: toolEnv(to.target.password),
    stdin: 'ignore',
    stdout: 'ignore',
    secrets: to.target.password === undefined ? [] : [to.target.password],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  await run.exited;
}

const RESTORE_ARGS = ['--no-owner', '--no-privileges', '--exit-on-error', '--no-password'];

/** Opens the object, creates the database and streams the object into one pg_restore job. */
async function restoreStreamed(
  deps: BackupDeps,
  manifest: BackupManifest,
  to: RestoreTarget,
  options: RestorePostgresOptions,
): Promise<Restored> {
  const started = performance.now();
  // Opened before anything is created: a missing object leaves nothing to clean up.
  const body = await deps.store.get(manifest.key);
  let createMs: number;
  try {
    createMs = await timed(() => createDatabase(to.adminUrl, to.database));
  } catch (error) {
    body.destroy();
    throw error;
  }
  const fed = await feedPgRestore(body, to.pgRestore, to.target, options);
  checkBytes(manifest, fed.bytes, fed.sha256);
  return {
    ...fed,
    staging: { mode: 'stream', resumedFrom: 0, bytesRead: fed.bytes },
    downloadMs: 0,
    createMs,
    restoreMs: elapsedMs(started),
  };
}

/** Streams `body` into pg_restore against `target`; resolves with what was fed once pg_restore exits 0. */
async function feedPgRestore(
  body: Readable,
  file: string,
  target: PostgresUrl,
  options: StreamOptions,
): Promise<{ bytes: number; sha256: string }> {
  const run = startTool({
    file,
    args: [...RESTORE_ARGS, `--dbname=${target.connString}`],
    env: toolEnv(target.password),
    stdin: 'pipe',
    stdout: 'ignore',
    secrets: target.password === undefined ? [] : [target.password],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const meter = byteMeter(options);
  const stdin = run.child.stdin;
  if (stdin === null) throw new Error('pg_restore has no stdin');
  const fed = pipeline(body, meter.stream, stdin, ...(options.signal ? [{ signal: options.signal }] : [])).catch(
    (error: unknown) => {
      run.stop();
      throw error;
    },
  );
  const [feeding, exit] = await Promise.allSettled([fed, run.exited]);
  if (options.signal?.aborted) throw abortReason(options.signal);
  // A store failure is the cause when it comes first; a broken pipe means pg_restore stopped reading.
  if (feeding.status === 'rejected' && !isBrokenPipe(feeding.reason)) throw feeding.reason;
  if (exit.status === 'rejected') throw exit.reason;
  if (feeding.status === 'rejected') throw feeding.reason;
  return { bytes: meter.bytes(), sha256: meter.sha256() };
}

/** EPIPE and friends: pg_restore stopped reading, and its own exit explains why. */
function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** The restored bytes must be exactly those the manifest describes (a swapped object restores cleanly too). */
function checkBytes(manifest: BackupManifest, size: number, sha256: string): void {
  if (size === manifest.size && sha256 === manifest.sha256) return;
  throw new FirebreakError(
    ErrorCode.BackupCorrupt,
    `backup object ${manifest.key} does not match its manifest: ${size} bytes with SHA-256 ${sha256}, ` +
      `manifest says ${manifest.size} bytes with ${manifest.sha256}`,
  );
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const client = await connectClient(adminUrl, SCRATCH_SERVER);
  try {
    // template0: the restore starts from an empty database, whatever was added to template1.
    await client.query(`CREATE DATABASE ${quoteIdent(database)} TEMPLATE template0`);
  } catch (error) {
    throw postgresError(error, `cannot create scratch database ${database}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
