/**
 * `firebreak dev` as a child process for end-to-end tests. Every port it listens on is a free one (the
 * API, Temporal's gRPC) and the Temporal UI is off, so e2e files run together, and beside a developer's
 * own `firebreak dev`, without colliding on the defaults 8080, 7233 and 8233.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/temporal/dev-server.js';
import { projectRoot } from '../../harness/config.js';

/** Where a started `firebreak dev` listens, and what it printed so far. */
export interface DevProcess {
  child: ChildProcess;
  apiPort: number;
  temporalPort: number;
  apiUrl: string;
  output(): string;
}

/** What to start `firebreak dev` with; the ports are drawn free unless given (a restart reuses Temporal's). */
export interface DevProcessOptions {
  dataDir: string;
  runbooks: string;
  temporalPort?: number;
  /** Receives the child as soon as it is spawned, so a test's afterAll can kill it even if it never started. */
  started?: ChildProcess[];
}

/** The `firebreak dev` arguments with explicit ports and no UI: never a default port. */
export function devArgs(options: { dataDir: string; runbooks: string; apiPort: number; temporalPort: number }) {
  return ['dev', '--data-dir', options.dataDir, '--runbooks', options.runbooks].concat([
    '--port',
    String(options.apiPort),
    '--temporal-port',
    String(options.temporalPort),
    '--no-ui',
  ]);
}

/** Starts `firebreak dev` from the project root and resolves once its banner is printed. */
export async function startDevProcess(options: DevProcessOptions): Promise<DevProcess> {
  const apiPort = await freePort();
  const temporalPort = options.temporalPort ?? (await freePort());
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    ...devArgs({ dataDir: options.dataDir, runbooks: options.runbooks, apiPort, temporalPort }),
  ];
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, FIREBREAK_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.started?.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => out.includes('Firebreak is running.') && (clearInterval(timer), resolve()), 100);
    child.once('exit', (code) => (clearInterval(timer), reject(new Error(`dev exited with ${code}:\n${out}`))));
  });
  return { child, apiPort, temporalPort, apiUrl: `http://127.0.0.1:${apiPort}`, output: () => out };
}
