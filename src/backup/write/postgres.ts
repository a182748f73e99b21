/**
 * PostgreSQL backups and restores. A backup streams `pg_dump -Fc` into the blob store and counts every
 * user table's rows in the same snapshot (a REPEATABLE READ transaction exports its snapshot and pg_dump
 * imports it), so the manifest's counts are exact for the dump. A restore stages the object on disk (or
 * streams it) and runs `pg_restore` against a freshly created scratch database (../restore/postgres.ts);
 * nothing is ever held whole in memory.
 */
import { pipeline, Readable } from 'node:stream';
import type pg from 'pg';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BackupDeps } from '../deps.js';
import { backupKeys, newBackupId, type BackupManifest } from '../manifest.js';
import { writeManifest, type BackupOutcome } from './manifest-store.js';
import { connectClient, parsePostgresUrl, postgresError, quoteIdent, toolEnv } from '../pg/connection.js';
import { pgTool, startTool, toolVersion, type ToolRun } from '../pg/tools.js';
import { elapsedMs, progressCounter, type StreamOptions } from '../progress.js';
import { segmentHasher } from '../integrity/segment-hasher.js';
import { own } from '../../domain/own.js';

/** User tables (partitions as their leaf tables), without the catalogs and tables extensions own. */
const USER_TABLES = `
  SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

const DUMP_CONTENT_TYPE = 'application/vnd.postgresql.custom-dump';

function now(deps: BackupDeps): Date {
  return deps.now?.() ?? new Date();
}

/** The configured database `source`, or INVALID_INPUT naming the configured ones. */
function sourceUrlRef(deps: BackupDeps, source: string): string {
  const configured = own(deps.postgres, source);
  if (configured !== undefined) return configured.url;
  const known = Object.keys(deps.postgres).join(', ') || 'none';
  throw new FirebreakError(
    ErrorCode.InvalidInput,
    `no PostgreSQL source ${source} in backups.postgres (have: ${known})`,
  );
}

/** Backs up the configured database `source`: dump and manifest in the store, row counts exact for the dump. */
export async function backupPostgres(
  deps: BackupDeps,
  source: string,
  options: StreamOptions = {},
): Promise<BackupOutcome> {
  const started = performance.now();
  const url = await deps.secrets.resolve(sourceUrlRef(deps, source));
  const target = parsePostgresUrl(url, `the URL of source ${source}`);
  const pgDump = pgTool('pg_dump', deps.postgresBinDir);
  const dumpVersion = await toolVersion(pgDump);
  const client = await connectClient(url, `source ${source}`);
  try {
    // The snapshot pg_dump imports lives as long as this read-only transaction, which ending the session
    // (below, after the dump) ends.
    const point = await snapshotPoint(client, source);
    const createdAt = now(deps);
    const id = newBackupId(createdAt);
    const dataKey = backupKeys(deps.layout, 'postgres', source, id).data;
    const dumpStarted = performance.now();
    const { stored, tables, segments } = await dumpAndCount(deps, client, {
      dataKey,
      args: ['--format=custom', '--no-password', `--snapshot=${point.snapshot}`, `--dbname=${target.connString}`],
      file: pgDump,
      env: toolEnv(target.password),
      secrets: target.password === undefined ? [] : [target.password],
      options,
    });
    const dataMs = elapsedMs(dumpStarted);
    const manifest: BackupManifest = {
      version: 1,
      id,
      kind: 'postgres',
      source,
      key: dataKey,
      sha256: stored.sha256,
      size: stored.size,
      createdAt: createdAt.toISOString(),
      finishedAt: now(deps).toISOString(),
      tools: { pg_dump: dumpVersion, node: process.version },
      postgres: { database: point.database, serverVersion: point.serverVersion, tables },
      segments,
    };
    const manifestKey = await writeManifest(deps, manifest).catch(async (error: unknown) => {
      await deps.store.delete(dataKey).catch(() => undefined);
      throw error;
    });
    return { manifest, manifestKey, timings: { dataMs, totalMs: elapsedMs(started) } };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Opens the snapshot transaction and exports its snapshot for pg_dump. */
async function snapshotPoint(client: pg.Client, source: string) {
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await client.query<{ snapshot: string; version: string; database: string }>(
      `SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version,
              current_database() AS database`,
    );
    const row = result.rows[0];
    if (row === undefined) throw new Error('no snapshot returned');
    return { snapshot: row.snapshot, serverVersion: row.version, database: row.database };
  } catch (error) {
    throw postgresError(error, `cannot export a snapshot of source ${source}`);
  }
}

interface DumpRequest {
  dataKey: string;
  file: string;
  args: string[];
  env: Record<string, string>;
  secrets: string[];
  options: StreamOptions;
}

/**
 * Streams pg_dump's output into the store while counting rows on `client` (same snapshot). Either failing
 * stops the other, and a failed dump leaves no object behind.
 */
async function dumpAndCount(deps: BackupDeps, client: pg.Client, request: DumpRequest) {
  const run = startTool({ ...request, stdin: 'ignore', stdout: 'pipe', ...signalOf(request.options) });
  const body = Readable.from(dumpOutput(run, progressCounter(request.options)), { objectMode: false });
  // The hash list is computed as the bytes pass to the store; pipeline carries a failure of `body` (pg_dump
  // failed, or failFast below) to the store's side, and a store that stops reading back to `body`.
  const hasher = segmentHasher(deps.segmentBytes);
  const hashed = pipeline(body, hasher.stream, () => undefined);
  const failFast = <T>(promise: Promise<T>) =>
    promise.catch((error: unknown) => {
      run.stop();
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
  try {
    const [stored, tables] = await Promise.all([
      failFast(deps.store.put(request.dataKey, hashed, { contentType: DUMP_CONTENT_TYPE })),
      failFast(countRows(client)),
    ]);
    return { stored, tables, segments: hasher.segments() };
  } catch (error) {
    await deps.store.delete(request.dataKey).catch(() => undefined);
    throw error;
  }
}

function signalOf(options: StreamOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

/**
 * pg_dump's stdout, ending only after pg_dump has exited 0: a failed dump is an error at the end of the
 * stream, so the store never commits a truncated object as if it were whole.
 */
async function* dumpOutput(run: ToolRun, counter: ReturnType<typeof progressCounter>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of run.child.stdout as Readable) {
      const buffer = chunk as Buffer;
      counter.add(buffer.length);
      yield buffer;
    }
    await run.exited;
  } finally {
    // Reached early when the store fails or counting fails: pg_dump must not run on.
    run.stop();
  }
}

/** Exact row counts of every user table, `schema.table` -> rows, in the transaction's snapshot. */
async function countRows(client: pg.Client): Promise<Record<string, number>> {
  try {
    const tables = await client.query<{ schema: string; name: string }>(USER_TABLES);
    const counts: Record<string, number> = {};
    for (const { schema, name } of tables.rows) {
      const sql = `SELECT count(*)::text AS rows FROM ${quoteIdent(schema)}.${quoteIdent(name)}`;
      const result = await client.query<{ rows: string }>(sql);
      counts[`${schema}.${name}`] = Number(result.rows[0]?.rows ?? 0);
    }
    return counts;
  } catch (error) {
    throw postgresError(error, 'counting rows failed');
  }
}
