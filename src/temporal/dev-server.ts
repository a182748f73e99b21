/**
 * Starts the `temporal` CLI dev server from the bootstrap-installed binary and waits until its frontend
 * answers. Shared by `firebreak dev` and the test harness. The SDK's own dev-server start gives up after
 * 5 s, which is too short on a loaded 2-core machine, so readiness is polled here with a generous limit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, closeSync, existsSync, fchmodSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Connection } from '@temporalio/client';
import { PRIVATE_FILE_MODE } from '../storage/private-files.js';
import { addSearchAttributes, missingSearchAttributes, SEARCH_ATTRIBUTE_FLAGS } from './search-attributes.js';

export interface DevServerOptions {
  /** Path to the `temporal` binary; defaults to `.tools/bin/temporal` under `projectRoot`. */
  binary?: string;
  projectRoot: string;
  /** gRPC port; a free one is picked when absent. */
  port?: number;
  /** Web UI port; the UI is disabled when absent. */
  uiPort?: number;
  /** SQLite file for persistence; in-memory when absent. */
  dbFile?: string;
  /** File the server's own output goes to; discarded when absent. */
  logFile?: string;
  ip?: string;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The binary `scripts/bootstrap.sh` installs. */
export function defaultTemporalBinary(projectRoot: string): string {
  return path.join(projectRoot, '.tools', 'bin', 'temporal');
}

/** Opens `file` for appending, creating it 0600 and narrowing an existing one: it holds incident data. */
function openPrivate(file: string): number {
  const fd = openSync(file, 'a', PRIVATE_FILE_MODE);
  fchmodSync(fd, PRIVATE_FILE_MODE);
  return fd;
}

/** Narrows an existing file to 0600; nothing when it does not exist. */
function narrowIfPresent(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Spawns with umask 077, so every file the child creates (the SQLite database and its -wal and -shm) is
 * owner-only. A child inherits the umask when it is forked, inside the synchronous `spawn`; meanwhile other
 * files this process creates can only come out narrower, never wider. Worker threads cannot change the
 * umask: there the child gets the process's umask, and the 0700 data directory still guards its files.
 */
function spawnOwnerOnly(binary: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  if (!isMainThread) return spawn(binary, args, options);
  const previous = process.umask(0o077);
  try {
    return spawn(binary, args, options);
  } finally {
    process.umask(previous);
  }
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts the dev server and resolves once it accepts gRPC calls. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const binary = options.binary ?? defaultTemporalBinary(options.projectRoot);
  if (!existsSync(binary)) {
    throw new Error(
      `Temporal CLI not found at ${binary}: run scripts/bootstrap.sh (npm start and npm test do it for you)`,
    );
  }
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  args.push('--http-port', String(await freePort(ip)), '--metrics-port', String(await freePort(ip)));
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  // The CLI registers `--search-attribute`s only in a database it creates: one kept from an earlier
  // release lacks the attributes added since (FirebreakKind), which are added below once it is up.
  const existingDb = options.dbFile !== undefined && existsSync(options.dbFile);
  if (options.dbFile) {
    // The server creates the schema only in a new file, so it cannot be created here: its files are made
    // 0600 by the child's umask (below), and files an earlier version left wider are narrowed now.
    for (const file of [options.dbFile, `${options.dbFile}-wal`, `${options.dbFile}-shm`]) narrowIfPresent(file);
    args.push('--db-filename', options.dbFile);
  }
  for (const flag of SEARCH_ATTRIBUTE_FLAGS) args.push('--search-attribute', flag);

  const logFd = options.logFile ? openPrivate(options.logFile) : undefined;
  const child = spawnOwnerOnly(binary, args, {
    stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore'],
    detached: false,
  });
  if (logFd !== undefined) closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));

  const address = `${ip}:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (exited)
      throw new Error(
        `Temporal dev server ${exited} before it was ready${options.logFile ? ` (see ${options.logFile})` : ''}`,
      );
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        // Search attributes are registered asynchronously after start; wait for them to be visible.
        const missing = await missingSearchAttributes(connection, 'default');
        if (missing.length === 0) break;
        if (existingDb) await addSearchAttributes(connection, 'default', missing);
      } finally {
        await connection.close();
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `Temporal dev server did not become ready at ${address} within ${options.readyTimeoutMs ?? 90_000} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://${ip}:${options.uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

/** Sends SIGTERM, then SIGKILL after a grace period, and resolves when the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
