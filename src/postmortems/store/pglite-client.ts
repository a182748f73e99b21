/** The SqlClient over PGlite: PostgreSQL compiled to WebAssembly, in this process. */
import { PGlite } from '@electric-sql/pglite';
import { postgresError } from '../../backup/pg/connection.js';
import type { Row, SqlClient } from './sql-client.js';

/**
 * Opens (creating if needed) the database under `dir`, or an in-memory one when `dir` is `memory`.
 * Driver errors become coded FirebreakErrors; the store's own errors pass through.
 */
export async function createPgliteClient(dir: string, label?: string): Promise<SqlClient> {
  const db = await PGlite.create(dir === 'memory' ? undefined : dir).catch((error: unknown) => {
    throw postgresError(error, `${contextOf(label)}: cannot open ${dir}`);
  });
  return pgliteClient(db, label);
}

/** What errors name: the post-mortem store unless the caller says (the evidence ledger shares this client). */
function contextOf(label = 'post-mortem store'): string {
  return `${label} (PGlite)`;
}

/** The SqlClient over an open PGlite instance (closing the client closes the instance). */
export function pgliteClient(db: PGlite, label?: string): SqlClient {
  const CONTEXT = contextOf(label);
  return {
    engine: 'pglite',
    async query<R extends Row>(text: string, params: readonly unknown[] = []) {
      try {
        return (await db.query<R>(text, [...params])).rows;
      } catch (error) {
        throw postgresError(error, CONTEXT);
      }
    },
    // PGlite runs one transaction at a time: others wait for it, as they would for a row lock.
    transaction: (work) =>
      db
        .transaction((tx) =>
          work({
            query: async <R extends Row>(text: string, params: readonly unknown[] = []) =>
              (await tx.query<R>(text, [...params])).rows,
          }),
        )
        .catch((error: unknown) => {
          throw postgresError(error, CONTEXT);
        }),
    close: () => db.close(),
  };
}
