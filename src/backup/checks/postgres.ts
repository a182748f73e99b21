/**
 * Restore checks against a PostgreSQL database, on one connection: it starts, its tables exist, row
 * counts match the manifest within a tolerance, named queries return what they should. Queries run in a
 * read-only transaction with a statement timeout; against a live database (`readOnly`) the whole session
 * is read-only too. A check that cannot run is SKIPPED, never passed.
 */
import type pg from 'pg';
import type { BackupManifest } from '../manifest.js';
import { skipped, timed, type CheckResult, type CheckSpec, type QueryExpectation } from './schema.js';
import { connectClient, quoteIdent } from '../pg/connection.js';

/** How long a check against a live database waits for a table lock before it fails. */
export const LIVE_LOCK_TIMEOUT_MS = 30_000;

/** How long one check's query may run. */
export const CHECK_STATEMENT_TIMEOUT_MS = 300_000;

const TABLES = `
  SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`;

type Outcome = { status: 'PASS' | 'FAIL' | 'SKIPPED'; reason: string };
type Tables = Map<string, { schema: string; name: string }>;

/** How `runPostgresChecks` treats its database. */
export interface PostgresCheckOptions {
  /**
   * The database is live (production after a promotion), not a scratch restore: the session is made
   * read-only before any check runs, and each `query` check is sent as one prepared statement, so it
   * cannot end the read-only transaction it runs in and write in a statement of its own.
   */
  readOnly?: boolean;
  /** Names the database in reasons, e.g. `database primary-db`; default `the restored database`. */
  label?: string;
}

/** pg's `queryMode` (missing from @types/pg): `extended` parses the text as exactly one statement. */
type ArrayQuery = pg.QueryArrayConfig & { queryMode?: 'extended' };

/** Runs the checks against the database at `url`, in order; never throws for a check. */
export async function runPostgresChecks(
  url: string,
  manifest: BackupManifest,
  checks: readonly CheckSpec[],
  options: PostgresCheckOptions = {},
): Promise<CheckResult[]> {
  const label = options.label ?? 'the restored database';
  let client: pg.Client;
  try {
    client = await connectClient(url, label);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return checks.map((check) =>
      check.kind === 'starts'
        ? { name: check.name, kind: check.kind, status: 'FAIL', reason: why, durationMs: 0 }
        : skipped(check, `${label} is not reachable: ${why}`),
    );
  }
  try {
    // Before anything else: every transaction of this session, implicit ones included, is read-only.
    if (options.readOnly === true) {
      await client.query('SET default_transaction_read_only = on');
      // A live database may be mid-migration: a count waits at most this long for a lock, then fails.
      await client.query(`SET lock_timeout = ${LIVE_LOCK_TIMEOUT_MS}`);
    }
    await client.query(`SET statement_timeout = ${CHECK_STATEMENT_TIMEOUT_MS}`);
    const oneStatement = options.readOnly === true;
    const results: CheckResult[] = [];
    for (const check of checks) results.push(await timed(check, () => runOne(client, manifest, check, oneStatement)));
    return results;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runOne(
  client: pg.Client,
  manifest: BackupManifest,
  check: CheckSpec,
  oneStatement: boolean,
): Promise<Outcome> {
  switch (check.kind) {
    case 'starts': {
      const result = await client.query<{ version: string }>("SELECT current_setting('server_version') AS version");
      return { status: 'PASS', reason: `accepts connections (PostgreSQL ${result.rows[0]?.version ?? '?'})` };
    }
    case 'tables-exist':
      return tablesExist(client, manifest, check.tables);
    case 'row-counts':
      return rowCounts(client, manifest, check.tables, {
        percent: check.tolerancePercent ?? 0,
        rows: check.toleranceRows ?? 0,
      });
    case 'query':
      return query(client, check.sql, check.expect, oneStatement);
    case 'file-hashes':
      return { status: 'SKIPPED', reason: 'file hashes do not apply to a PostgreSQL restore' };
  }
}

async function restoredTables(client: pg.Client): Promise<Tables> {
  const result = await client.query<{ schema: string; name: string }>(TABLES);
  return new Map(result.rows.map((row) => [`${row.schema}.${row.name}`, row]));
}

function wanted(manifest: BackupManifest, named: readonly string[] | undefined): string[] {
  return [...(named ?? Object.keys(manifest.postgres?.tables ?? {}))].sort();
}

async function tablesExist(client: pg.Client, manifest: BackupManifest, named: string[] | undefined): Promise<Outcome> {
  const tables = wanted(manifest, named);
  if (tables.length === 0)
    return { status: 'SKIPPED', reason: 'the manifest lists no tables and the check names none' };
  const present = await restoredTables(client);
  const missing = tables.filter((table) => !present.has(table));
  if (missing.length > 0)
    return { status: 'FAIL', reason: `missing ${missing.length} of ${tables.length} tables: ${list(missing)}` };
  return { status: 'PASS', reason: `all ${tables.length} tables exist` };
}

function describeTolerance({ percent, rows }: { percent: number; rows: number }): string {
  if (percent === 0 && rows === 0) return 'exactly';
  const parts = [...(percent > 0 ? [`${percent}%`] : []), ...(rows > 0 ? [`${rows} rows`] : [])];
  return `within ${parts.join(' + ')}`;
}

async function rowCounts(
  client: pg.Client,
  manifest: BackupManifest,
  named: string[] | undefined,
  tolerance: { percent: number; rows: number },
): Promise<Outcome> {
  const expected = manifest.postgres?.tables;
  if (expected === undefined) return { status: 'SKIPPED', reason: 'the manifest records no row counts' };
  const tables = wanted(manifest, named);
  if (tables.length === 0) return { status: 'SKIPPED', reason: 'the manifest counted no tables' };
  const present = await restoredTables(client);
  const problems: string[] = [];
  for (const table of tables) {
    const want = expected[table];
    const where = present.get(table);
    if (want === undefined) problems.push(`${table}: not counted in the manifest`);
    else if (where === undefined) problems.push(`${table}: missing`);
    else {
      const sql = `SELECT count(*)::text AS rows FROM ${quoteIdent(where.schema)}.${quoteIdent(where.name)}`;
      const got = Number((await client.query<{ rows: string }>(sql)).rows[0]?.rows ?? 0);
      if (Math.abs(got - want) > (want * tolerance.percent) / 100 + tolerance.rows)
        problems.push(`${table}: ${got} rows, manifest ${want}`);
    }
  }
  const within = describeTolerance(tolerance);
  if (problems.length > 0)
    return {
      status: 'FAIL',
      reason: `${problems.length} of ${tables.length} tables off (${within}): ${list(problems)}`,
    };
  return { status: 'PASS', reason: `${tables.length} tables match the manifest's row counts ${within}` };
}

async function query(
  client: pg.Client,
  sql: string,
  expect: QueryExpectation,
  oneStatement: boolean,
): Promise<Outcome> {
  // Read-only and rolled back: a check must not change what later checks see. Sent as exactly one statement
  // (live databases), it cannot `COMMIT` and carry on outside this transaction either.
  await client.query('BEGIN TRANSACTION READ ONLY');
  try {
    const config: ArrayQuery = { text: sql, rowMode: 'array', ...(oneStatement ? { queryMode: 'extended' } : {}) };
    const result = await client.query<unknown[]>(config);
    return judge(result.rows, expect);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

function judge(rows: unknown[][], expect: QueryExpectation): Outcome {
  if ('rows' in expect) {
    const ok = rows.length === expect.rows;
    return { status: ok ? 'PASS' : 'FAIL', reason: `${rows.length} rows${ok ? '' : `, expected ${expect.rows}`}` };
  }
  if ('minRows' in expect) {
    const ok = rows.length >= expect.minRows;
    return {
      status: ok ? 'PASS' : 'FAIL',
      reason: `${rows.length} rows${ok ? '' : `, expected at least ${expect.minRows}`}`,
    };
  }
  if (rows.length === 0) return { status: 'FAIL', reason: `no rows, expected ${JSON.stringify(expect.scalar)}` };
  const actual = rows[0]?.[0];
  const ok = sameScalar(actual, expect.scalar);
  const shown = actual === null || actual === undefined ? 'null' : JSON.stringify(textOf(actual));
  return {
    status: ok ? 'PASS' : 'FAIL',
    reason: `got ${shown}${ok ? '' : `, expected ${JSON.stringify(expect.scalar)}`}`,
  };
}

/** Compares a value from pg (numbers beyond int4 arrive as text) with the expected JSON scalar. */
function sameScalar(actual: unknown, expected: string | number | boolean | null): boolean {
  if (expected === null) return actual === null;
  if (actual === null || actual === undefined) return false;
  if (typeof expected === 'number') return Number(textOf(actual)) === expected;
  if (typeof expected === 'boolean') return actual === expected;
  return textOf(actual) === expected;
}

/** A value from pg as text: strings as they are, dates as ISO, JSON columns as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? '';
}

function list(items: readonly string[]): string {
  return items.length <= 10 ? items.join(', ') : `${items.slice(0, 10).join(', ')} and ${items.length - 10} more`;
}
