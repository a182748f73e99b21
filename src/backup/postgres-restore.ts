/**
 * Restoring a PostgreSQL backup: the object streams from the blob store into `pg_restore --no-owner
 * --no-privileges --exit-on-error` against a scratch database created for it on the scratch server
 * (`backups.restore.postgres.url`, never a source). The bytes restored are hashed on the way and must be
 * exactly the bytes the manifest vouches for.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortReason } from '../actions/abort.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { BackupDeps } from './deps.js';
import type { BackupManifest } from './manifest.js';
import {
  connectClient,
  parsePostgresUrl,
  postgresError,
  quoteIdent,
  toolEnv,
  withDatabase,
  type PostgresUrl,
} from './pg/connection.js';
import { pgTool, startTool, toolVersion } from './pg/tools.js';
import { byteMeter, elapsedMs, type StreamOptions } from './progress.js';
import { assertScratchName } from './scratch-name.js';

/** What `restorePostgres` restores into. */
export interface RestorePostgresOptions extends StreamOptions {
  /** The scratch database to create and restore into: a `firebreak_drill_…` name (see `scratchName`). */
  database: string;
}

/** How a restore went. */
export interface RestoreOutcome {
  database: string;
  /** Bytes read from the store (the object's size when all went well). */
  bytes: number;
  sha256: string;
  tools: { pg_restore: string };
  /** `restoreMs` (the RTO measure) runs from CREATE DATABASE to pg_restore's exit; `createMs` is its first part. */
  timings: { createMs: number; restoreMs: number };
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
  const database = assertScratchName(options.database);
  const adminUrl = await scratchServerUrl(deps);
  // Checked first: a malformed URL fails here, naming no part of it, before anything is created.
  parsePostgresUrl(adminUrl, SCRATCH_SERVER);
  const pgRestore = pgTool('pg_restore', deps.postgresBinDir);
  const version = await toolVersion(pgRestore);
  // Opened before anything is created: a missing object leaves nothing to clean up.
  const body = await deps.store.get(manifest.key);
  const createStarted = performance.now();
  try {
    await createDatabase(adminUrl, database);
  } catch (error) {
    body.destroy();
    throw error;
  }
  const createMs = elapsedMs(createStarted);
  const target = parsePostgresUrl(withDatabase(adminUrl, database), SCRATCH_SERVER);
  const fed = await feedPgRestore(body, pgRestore, target, options);
  checkBytes(manifest, fed.bytes, fed.sha256);
  return {
    database,
    ...fed,
    tools: { pg_restore: version },
    timings: { createMs, restoreMs: elapsedMs(createStarted) },
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
    args: ['--no-owner', '--no-privileges', '--exit-on-error', '--no-password', `--dbname=${target.connString}`],
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
