/** The SqlClient over PGlite: PostgreSQL compiled to WebAssembly, in this process. */
import { PGlite } from '@electric-sql/pglite';
import { postgresError } from '../../backup/pg/connection.js';
import type { Row, SqlClient } from './sql-client.js';

const CONTEXT = 'post-mortem store (PGlite)';

/**
 * Opens (creating if needed) the database under `dir`, or an in-memory one when `dir` is `memory`.
 * Driver errors become coded FirebreakErrors; the store's own errors pass through.
 */
export async function createPgliteClient(dir: string): Promise<SqlClient> {
  const db = await PGlite.create(dir === 'memory' ? undefined : dir).catch((error: unknown) => {
    throw postgresError(error, `${CONTEXT}: cannot open ${dir}`);
  });
  return pgliteClient(db);
}

/** The SqlClient over an open PGlite instance (closing the client closes the instance). */
export function pgliteClient(db: PGlite): SqlClient {
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
