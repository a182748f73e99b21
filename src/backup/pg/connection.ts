/**
 * PostgreSQL connection URLs and errors for backups and restores. A URL (from a secret) is split into a
 * connection string without the password, which may appear on a command line, and the password, which
 * goes only into a child's PGPASSWORD or the `pg` client. Errors name the database, never the URL.
 */
import pg from 'pg';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';

/** A parsed connection URL. */
export interface PostgresUrl {
  /** The URL without its password: safe on a command line and in messages. */
  connString: string;
  /** The decoded password, if the URL has one. */
  password?: string;
  /** The database the URL names (`postgres` when it names none). */
  database: string;
}

const CONNECT_TIMEOUT_S = 30;

/** Parses a `postgres://` or `postgresql://` URL; `what` names it in errors (the URL itself is never shown). */
export function parsePostgresUrl(url: string, what: string): PostgresUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FirebreakError(ErrorCode.InvalidInput, `${what} is not a URL (expected postgres://user:pass@host/db)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new FirebreakError(ErrorCode.InvalidInput, `${what} is not a postgres:// URL`);
  }
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  parsed.password = '';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  return { connString: parsed.toString(), database, ...(password === undefined ? {} : { password }) };
}

/** The same URL naming another database (password kept: for clients, never for display). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * The complete environment of a pg_dump or pg_restore child: never the worker's own (it may hold other
 * credentials), messages in English so failures can be classified, and the password when there is one.
 */
export function toolEnv(password: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LC_ALL: 'C',
    PGAPPNAME: 'firebreak',
    PGCONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S),
  };
  if (password !== undefined) env.PGPASSWORD = password;
  return env;
}

/** Opens a `pg` client; a failure to connect becomes a classified FirebreakError naming `what`. */
export async function connectClient(url: string, what: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_S * 1000,
    application_name: 'firebreak',
  });
  // A connection the server drops later emits 'error' on the client; the pending query rejects with it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw postgresError(error, `cannot connect to ${what}`);
  }
  return client;
}

/** SQLSTATE classes that say the server or the network may recover. */
const TRANSIENT_CLASSES = ['08', '53', '57', '40'];
/** Node socket errors: the server is unreachable for now. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Maps a `pg` or socket error to a FirebreakError: bad credentials and missing databases are not retried. */
export function postgresError(error: unknown, context: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const text = `${context}: ${message}`;
  if (typeof code !== 'string') return new FirebreakError(ErrorCode.Transient, text);
  if (code === '28P01' || code === '28000' || code === '42501') return new FirebreakError(ErrorCode.NotAllowed, text);
  if (code === '3D000') return new FirebreakError(ErrorCode.NotFound, text);
  if (NETWORK_CODES.has(code) || code === 'ENOTFOUND' || TRANSIENT_CLASSES.includes(code.slice(0, 2))) {
    return new FirebreakError(ErrorCode.Transient, text);
  }
  return new FirebreakError(ErrorCode.CommandFailed, text);
}

/** Quotes an identifier for SQL (`"name"`, inner quotes doubled). */
export function quoteIdent(name: string): string {
  return pg.escapeIdentifier(name);
}
