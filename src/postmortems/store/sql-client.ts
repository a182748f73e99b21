/**
 * The one SQL seam both adapters implement: parameterized queries and transactions. The store's queries
 * are written once against it, so PostgreSQL (`pg`) and PGlite run the same SQL. User text only ever
 * travels as a parameter (`$1`), never inside the statement.
 */

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

/** Runs one statement with parameters. */
export interface SqlExecutor {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A connection (pool or embedded database) that also runs transactions. */
export interface SqlClient extends SqlExecutor {
  /** Which engine: PostgreSQL takes advisory locks across processes; PGlite is single-process. */
  readonly engine: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
