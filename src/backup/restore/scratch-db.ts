/**
 * Scratch databases: created for one restore, always dropped after it. `withScratchDatabase` restores,
 * hands the scratch URL to the caller's checks and drops the database in every case. While it runs, its
 * session holds an advisory lock on the database's name; a worker that dies mid-drill loses the session
 * and so the lock, and the janitor (`dropLeftoverScratchDatabases`, run at the start of every restore)
 * drops any `firebreak_drill_…` database old enough whose lock nobody holds.
 */
import type pg from 'pg';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BackupDeps } from '../deps.js';
import type { BackupManifest } from '../manifest.js';
import { connectClient, postgresError, quoteIdent, withDatabase } from '../pg/connection.js';
import {
  restorePostgres,
  SCRATCH_SERVER,
  scratchServerUrl,
  type RestoreOutcome,
  type RestorePostgresOptions,
} from './postgres.js';
import { elapsedMs } from '../progress.js';
import { assertScratchName, scratchName, scratchNameTime } from './scratch-name.js';

/** Advisory lock namespace (`FBDR`): a live restore holds (namespace, hashtext(name)) on its session. */
const LOCK_NAMESPACE = 0x46424452;

/** Scratch databases younger than this are left alone by the janitor even when unlocked. */
export const DEFAULT_LEFTOVER_AGE_MS = 15 * 60_000;

/** Options of `withScratchDatabase`. */
export interface ScratchOptions extends Omit<RestorePostgresOptions, 'database'> {
  /** Minimum age of an unlocked leftover before the janitor drops it. Default 15 minutes. */
  leftoverAgeMs?: number;
}

/** What `withScratchDatabase` did: the caller's value, the restore, what the janitor dropped, timings. */
export interface ScratchRun<T> {
  value: T;
  database: string;
  restore: RestoreOutcome;
  leftoversDropped: string[];
  timings: {
    downloadMs: number;
    createMs: number;
    restoreMs: number;
    checkMs: number;
    dropMs: number;
    totalMs: number;
  };
}

function now(deps: BackupDeps): Date {
  return deps.now?.() ?? new Date();
}

/** Drops the scratch database `database` (terminating its sessions); absent is not an error. */
export async function dropScratchDatabase(deps: BackupDeps, database: string): Promise<void> {
  assertScratchName(database);
  const client = await connectClient(await scratchServerUrl(deps), SCRATCH_SERVER);
  try {
    await dropOn(client, database);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropOn(client: pg.Client, database: string): Promise<void> {
  try {
    const version = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    if (Number(version.rows[0]?.v ?? 0) >= 130000) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      return;
    }
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
  } catch (error) {
    throw postgresError(error, `cannot drop scratch database ${database}`);
  }
}

/**
 * Drops every scratch database at least `olderThanMs` old that no live restore holds; returns their names.
 * A restore in progress holds its lock, so it is never dropped from under it.
 */
export async function dropLeftoverScratchDatabases(
  deps: BackupDeps,
  olderThanMs: number = DEFAULT_LEFTOVER_AGE_MS,
): Promise<string[]> {
  const client = await connectClient(await scratchServerUrl(deps), SCRATCH_SERVER);
  const cutoff = now(deps).getTime() - olderThanMs;
  const dropped: string[] = [];
  try {
    const rows = await client
      .query<{ name: string }>("SELECT datname AS name FROM pg_database WHERE datname LIKE 'firebreak\\_drill\\_%'")
      .catch((error: unknown) => {
        throw postgresError(error, 'cannot list scratch databases');
      });
    for (const { name } of rows.rows) {
      const createdAt = scratchNameTime(name);
      if (createdAt === undefined || createdAt.getTime() > cutoff) continue;
      if (!(await tryLock(client, name))) continue;
      try {
        await dropOn(client, name);
        dropped.push(name);
      } finally {
        await client
          .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, name])
          .catch(() => undefined);
      }
    }
    return dropped;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tryLock(client: pg.Client, name: string): Promise<boolean> {
  const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
    LOCK_NAMESPACE,
    name,
  ]);
  return result.rows[0]?.locked === true;
}

/** Holds the scratch database's lock on `session` until the session ends. */
async function holdLock(session: pg.Client, name: string): Promise<void> {
  try {
    // A worker whose host vanishes leaves a half-open connection; keepalives let the server notice it
    // within about a minute and release the lock, so the janitor can clean up.
    await session.query('SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3');
    await session.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, name]);
  } catch (error) {
    throw postgresError(error, `cannot lock scratch database name ${name}`);
  }
}

/**
 * Restores `manifest` into a new scratch database, calls `fn` with its URL (credentials included: never
 * log it) and drops the database afterwards, whether the restore or `fn` succeeded or not.
 */
export async function withScratchDatabase<T>(
  deps: BackupDeps,
  manifest: BackupManifest,
  fn: (url: string, restore: RestoreOutcome) => Promise<T>,
  options: ScratchOptions = {},
): Promise<ScratchRun<T>> {
  const started = performance.now();
  const leftoversDropped = await dropLeftoverScratchDatabases(deps, options.leftoverAgeMs);
  const adminUrl = await scratchServerUrl(deps);
  const database = scratchName(now(deps));
  const session = await connectClient(adminUrl, SCRATCH_SERVER);
  let result: { value: T; restore: RestoreOutcome; checkMs: number } | undefined;
  let failure: { error: unknown } | undefined;
  try {
    await holdLock(session, database);
    const restore = await restorePostgres(deps, manifest, { ...options, database });
    const checkStarted = performance.now();
    const value = await fn(withDatabase(adminUrl, database), restore);
    result = { value, restore, checkMs: elapsedMs(checkStarted) };
  } catch (error) {
    failure = { error };
  }
  const dropStarted = performance.now();
  const dropFailure = await dropScratchDatabase(deps, database).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const dropMs = elapsedMs(dropStarted);
  // Ending the session releases the lock, after the drop: the janitor never races a live drop.
  await session.end().catch(() => undefined);
  if (failure !== undefined) throw withDropFailure(failure.error, database, dropFailure);
  if (dropFailure !== undefined) throw dropFailure.error;
  if (result === undefined) throw new Error('unreachable: no result and no failure');
  const { downloadMs, createMs, restoreMs } = result.restore.timings;
  return {
    value: result.value,
    database,
    restore: result.restore,
    leftoversDropped,
    timings: { downloadMs, createMs, restoreMs, checkMs: result.checkMs, dropMs, totalMs: elapsedMs(started) },
  };
}

/** The original failure, with a failed drop recorded in its message rather than lost. */
function withDropFailure(error: unknown, database: string, drop: { error: unknown } | undefined): unknown {
  if (drop === undefined) return error;
  const why = drop.error instanceof Error ? drop.error.message : String(drop.error);
  const note = `; dropping scratch database ${database} also failed (${why}), the next restore's janitor will`;
  if (error instanceof FirebreakError) return new FirebreakError(error.code, `${error.message}${note}`, error.details);
  const message = error instanceof Error ? error.message : String(error);
  return new FirebreakError(ErrorCode.Transient, `${message}${note}`);
}
