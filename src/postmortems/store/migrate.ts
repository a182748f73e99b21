/**
 * Applies a store's migrations at open: each in its own transaction, recorded in
 * `<schema>.schema_migrations` with a checksum, so a second open is a no-op. Every transaction first takes
 * a transaction-scoped advisory lock, so processes opening one PostgreSQL database at once apply each
 * migration once (the second waits, then sees it recorded). A database newer than this code is refused.
 * The runner takes the schema, its migrations and its lock key (`MigrationSet`): the post-mortem store
 * (`migrate`) and the evidence ledger (src/evidence/) each keep their own schema and version history.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { MIGRATIONS, STORE_SCHEMA, type Migration } from './migrations/index.js';
import type { SqlClient, SqlExecutor } from './sql-client.js';

// An arbitrary constant: the advisory lock key every Firebreak process uses for these migrations.
const MIGRATION_LOCK = 7_213_013;

/** One store's schema history: where it lives, its ordered migrations, its advisory lock key. */
export interface MigrationSet {
  /** The PostgreSQL schema holding the store's tables and its `schema_migrations`. */
  schema: string;
  /** Versions 1, 2, 3, ... in order; append only. */
  migrations: readonly Migration[];
  /** The advisory lock key, distinct per store. */
  lockKey: number;
  /** The store as errors name it: "the post-mortem store". */
  label: string;
}

/** The post-mortem store's migrations. */
export const POSTMORTEM_MIGRATIONS: MigrationSet = {
  schema: STORE_SCHEMA,
  migrations: MIGRATIONS,
  lockKey: MIGRATION_LOCK,
  label: 'the post-mortem store',
};

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

async function lockAndRead(tx: SqlExecutor, set: MigrationSet): Promise<Map<number, string>> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [set.lockKey]);
  // CREATE SCHEMA checks the right to create before IF NOT EXISTS: a user without it may still open an
  // existing store, so look first.
  const [schema] = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [set.schema]);
  if (schema === undefined) await tx.query(`CREATE SCHEMA ${set.schema}`);
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${set.schema}.schema_migrations (
       version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const rows = await tx.query<{ version: number; checksum: string }>(
    `SELECT version, checksum FROM ${set.schema}.schema_migrations ORDER BY version`,
  );
  return new Map(rows.map((row) => [Number(row.version), row.checksum]));
}

function checkApplied(applied: Map<number, string>, set: MigrationSet): void {
  const latest = set.migrations.length;
  const newest = Math.max(0, ...applied.keys());
  if (newest > latest) {
    throw new FirebreakError(
      ErrorCode.Conflict,
      `${set.label}'s database is at schema version ${newest}, newer than this Firebreak (version ${latest}): upgrade Firebreak, or open another database`,
    );
  }
  for (const migration of set.migrations) {
    const recorded = applied.get(migration.version);
    if (recorded !== undefined && recorded !== migrationChecksum(migration)) {
      throw new FirebreakError(
        ErrorCode.Conflict,
        `${set.label}'s migration ${migration.version} (${migration.name}) was applied with checksum ${recorded}, but this code has ${migrationChecksum(migration)}: the database was made by a different build`,
      );
    }
  }
}

/** Brings the post-mortem store to its latest version, or throws CONFLICT for a newer or diverged one. */
export function migrate(client: SqlClient): Promise<MigrationReport> {
  return runMigrations(client, POSTMORTEM_MIGRATIONS);
}

/** Brings `set.schema` to its latest version, or throws CONFLICT for a newer or diverged one (changing nothing). */
export async function runMigrations(client: SqlClient, set: MigrationSet): Promise<MigrationReport> {
  const done: number[] = [];
  for (const migration of set.migrations) {
    const appliedNow = await client.transaction(async (tx) => {
      const applied = await lockAndRead(tx, set);
      checkApplied(applied, set);
      if (applied.has(migration.version)) return false;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query(`INSERT INTO ${set.schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migrationChecksum(migration),
      ]);
      return true;
    });
    if (appliedNow) done.push(migration.version);
  }
  if (set.migrations.length === 0)
    await client.transaction(async (tx) => checkApplied(await lockAndRead(tx, set), set));
  return { applied: done, version: set.migrations.length };
}

/** Splits a migration into statements at `;` ending a line (a function body keeps its `;` mid-line). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.replace(/--.*$/gm, '').trim() !== '');
}
