/** The SqlClient over a `pg` Pool: a real PostgreSQL server. */
import pg from 'pg';
import type { Row, SqlClient } from './sql-client.js';

/** Opens a pool on `url` (a resolved postgres:// URL: never log it, it holds the password). */
export function createPgClient(url: string, options: { max?: number } = {}): SqlClient {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', () => undefined);
  return {
    engine: 'postgres',
    async query<R extends Row>(text: string, params: readonly unknown[] = []) {
      return (await pool.query<R>(text, [...params])).rows;
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          query: async <R extends Row>(text: string, params: readonly unknown[] = []) =>
            (await client.query<R>(text, [...params])).rows,
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
