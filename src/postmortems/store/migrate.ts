/**
 * Applies the store's migrations at open: each in its own transaction, recorded in
 * `schema_migrations` with a checksum, so a second open is a no-op. Every transaction first takes a
 * transaction-scoped advisory lock, so processes opening one PostgreSQL database at once apply each
 * migration once (the second waits, then sees it recorded). A database newer than this code is refused.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { LATEST_VERSION, MIGRATIONS, STORE_SCHEMA, type Migration } from './migrations/index.js';
import type { SqlClient, SqlExecutor } from './sql-client.js';

// An arbitrary constant: the advisory lock key every Firebreak process uses for these migrations.
const MIGRATION_LOCK = 7_213_013;

/** SHA-256 (hex) of a migration's SQL, as recorded. */
export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

/** What a migration run did. */
export interface MigrationReport {
  /** Versions applied by this call, in order (empty when the database was up to date). */
  applied: number[];
  version: number;
}

async function lockAndRead(tx: SqlExecutor): Promise<Map<number, string>> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  // CREATE SCHEMA checks the right to create before IF NOT EXISTS: a user without it may still open an
  // existing store, so look first.
  const [schema] = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [STORE_SCHEMA]);
  if (schema === undefined) await tx.query(`CREATE SCHEMA ${STORE_SCHEMA}`);
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${STORE_SCHEMA}.schema_migrations (
       version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const rows = await tx.query<{ version: number; checksum: string }>(
    `SELECT version, checksum FROM ${STORE_SCHEMA}.schema_migrations ORDER BY version`,
  );
  return new Map(rows.map((row) => [Number(row.version), row.checksum]));
}

function checkApplied(applied: Map<number, string>): void {
  const newest = Math.max(0, ...applied.keys());
  if (newest > LATEST_VERSION) {
    throw new FirebreakError(
      ErrorCode.Conflict,
      `the post-mortem store's database is at schema version ${newest}, newer than this Firebreak (version ${LATEST_VERSION}): upgrade Firebreak, or open another database`,
    );
  }
  for (const migration of MIGRATIONS) {
    const recorded = applied.get(migration.version);
    if (recorded !== undefined && recorded !== migrationChecksum(migration)) {
      throw new FirebreakError(
        ErrorCode.Conflict,
        `the post-mortem store's migration ${migration.version} (${migration.name}) was applied with checksum ${recorded}, but this code has ${migrationChecksum(migration)}: the database was made by a different build`,
      );
    }
  }
}

/** Brings the database to LATEST_VERSION, or throws CONFLICT for a newer or diverged one (changing nothing). */
export async function migrate(client: SqlClient): Promise<MigrationReport> {
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    const appliedNow = await client.transaction(async (tx) => {
      const applied = await lockAndRead(tx);
      checkApplied(applied);
      if (applied.has(migration.version)) return false;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query(`INSERT INTO ${STORE_SCHEMA}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migrationChecksum(migration),
      ]);
      return true;
    });
    if (appliedNow) done.push(migration.version);
  }
  if (MIGRATIONS.length === 0) await client.transaction(async (tx) => checkApplied(await lockAndRead(tx)));
  return { applied: done, version: LATEST_VERSION };
}

/** Splits a migration into statements at `;` ending a line (migrations hold no functions or quoted `;`). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.replace(/--.*$/gm, '').trim() !== '');
}
