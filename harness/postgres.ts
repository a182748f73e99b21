/**
 * A throwaway PostgreSQL cluster for the backup and store tests and the benches: `initdb` into a temporary directory, then `pg_ctl
 * start` on a free loopback port with its Unix socket in that directory, fsync off. A superuser with a
 * random password is created and password authentication is required over TCP, so tests can present a
 * wrong password. Run as root (as the tests are here), initdb and postgres refuse to start, so both run
 * as Debian's `postgres` user through `runuser`, with the directory handed to that user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../src/temporal/dev-server.js';

const run = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, '..');
const SUPERUSER = 'firebreak';

/** A running throwaway cluster. */
export interface TestPostgres {
  /** `postgres://firebreak:<password>@127.0.0.1:<port>/postgres` */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The server's bin directory (pg_dump, pg_restore of the same major version). */
  binDir: string;
  /** The URL of another database on this server, same credentials. */
  urlFor(database: string): string;
  /** Runs SQL in `database` on a fresh connection and returns the rows. */
  sql(database: string, text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Names of the databases on the server, templates excluded. */
  databases(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The PostgreSQL server bin directory: `.tools/postgresql` (set up by bootstrap), else the newest installed. */
export function postgresBinDir(): string {
  const linked = path.join(projectRoot, '.tools', 'postgresql');
  if (existsSync(path.join(linked, 'initdb'))) return realpathSync(linked);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest !== undefined && existsSync(path.join(root, newest, 'bin', 'initdb'))) {
    return path.join(root, newest, 'bin');
  }
  throw new Error('PostgreSQL server tools not found: run bash scripts/bootstrap.sh (installs postgresql as root)');
}

/** Runs a server tool as the `postgres` user when we are root (initdb and postgres refuse root). */
async function asServerUser(file: string, args: string[]): Promise<void> {
  const [command, argv] = userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    await run(command, argv, { timeout: 120_000 });
  } catch (error) {
    const failure = error as Error & { stderr?: string; stdout?: string };
    throw new Error(`${path.basename(file)} failed: ${failure.stderr || failure.stdout || failure.message}`);
  }
}

/** Hands a file or directory to the `postgres` user when we are root. */
function handOver(file: string): void {
  if (userInfo().uid !== 0) return;
  let uid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('running as root but there is no postgres user: install Debian postgresql (bootstrap does)');
  }
  chownSync(file, uid, -1);
}

/** Starts a throwaway cluster and resolves once it accepts password logins over TCP. */
export async function startPostgres(): Promise<TestPostgres> {
  const binDir = postgresBinDir();
  // Short path: the Unix socket path must fit in 107 bytes.
  const scratch = mkdtempSync(path.join(tmpdir(), 'fbpg-'));
  chmodSync(scratch, 0o700);
  handOver(scratch);
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(scratch, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  handOver(pwfile);
  const dataDir = path.join(scratch, 'data');
  const host = '127.0.0.1';
  const port = await freePort(host);
  const stop = async (): Promise<void> => {
    await asServerUser(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await asServerUser(path.join(binDir, 'initdb'), [
      ...['-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'],
      ...['--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync'],
    ]);
    rmSync(pwfile);
    const options = [`-p ${port}`, `-k ${scratch}`, `-c listen_addresses=${host}`];
    options.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off');
    const log = path.join(scratch, 'server.log');
    await asServerUser(path.join(binDir, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      log,
      '-w',
      '-t',
      '60',
      '-o',
      options.join(' '),
      'start',
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  const credentials = `${SUPERUSER}:${password}`;
  const urlFor = (database: string) => `postgres://${credentials}@${host}:${port}/${encodeURIComponent(database)}`;
  const sql = async (database: string, text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: urlFor(database) });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const databases = async () =>
    (await sql('postgres', 'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1')).map((row) =>
      String(row.datname),
    );
  return { url: urlFor('postgres'), host, port, user: SUPERUSER, password, binDir, urlFor, sql, databases, stop };
}
