/** The SqlClient over PGlite: PostgreSQL compiled to WebAssembly, in this process. */
import { PGlite } from '@electric-sql/pglite';
import type { Row, SqlClient } from './sql-client.js';

/** Opens (creating if needed) the database under `dir`, or an in-memory one for `memory`. */
export async function createPgliteClient(dir: string): Promise<SqlClient> {
  const db = await PGlite.create(dir === 'memory' ? undefined : dir);
  return {
    engine: 'pglite',
    async query<R extends Row>(text: string, params: readonly unknown[] = []) {
      return (await db.query<R>(text, [...params])).rows;
    },
    // PGlite runs one transaction at a time: others wait for it, as they would for a row lock.
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: async <R extends Row>(text: string, params: readonly unknown[] = []) =>
            (await tx.query<R>(text, [...params])).rows,
        }),
      ),
    close: () => db.close(),
  };
}
