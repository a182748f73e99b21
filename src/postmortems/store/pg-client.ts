/** The SqlClient over a `pg` Pool: a real PostgreSQL server. */
import pg from 'pg';
import { postgresError } from '../../backup/pg/connection.js';
import type { Row, SqlClient } from './sql-client.js';


/**
 * Opens a pool on `url` (a resolved postgres:// URL: never log it, it holds the password). Driver errors
 * become coded FirebreakErrors (bad credentials NOT_ALLOWED, an unreachable server TRANSIENT); the store's
 * own errors pass through.
 */
export function createPgClient(url: string, options: { max?: number; label?: string } = {}): SqlClient {
  // What errors name: the post-mortem store unless the caller says (the evidence ledger shares this client).
  const CONTEXT = `${options.label ?? 'post-mortem store'} (PostgreSQL)`;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 15_000,
    application_name: 'firebreak',
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', () => undefined);
  return {
    engine: 'postgres',
    async query<R extends Row>(text: string, params: readonly unknown[] = []) {
      try {
        return (await pool.query<R>(text, [...params])).rows;
      } catch (error) {
        throw postgresError(error, CONTEXT);
      }
    },
    async transaction(work) {
      const client = await pool.connect().catch((error: unknown) => {
        throw postgresError(error, CONTEXT);
      });
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
        throw postgresError(error, CONTEXT);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
