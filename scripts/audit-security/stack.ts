/**
 * The instance under audit: a scratch directory (config, attack runbooks, templates, data dir), a loopback
 * echo server that answers every request with what it received in several encodings, and `firebreak dev`
 * started from this checkout on free loopback ports with an env canary in its environment. Everything
 * started here is stopped by `stop()`, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server.js';
import { AuditApi, sleep } from './api.js';
import { configFile, runbookFiles, TEMPLATE_FILES } from './runbooks.js';

/** One request the echo server received, and its raw bytes as text (request line, headers, body). */
export interface EchoRequest {
  method: string;
  url: string;
  raw: string;
}

/** The loopback echo server: what it received, in order. */
export interface EchoServer {
  port: number;
  received: EchoRequest[];
  close(): Promise<void>;
}

/** Tokens of the audit's users; `admin` is firebreak dev's own. */
export interface Tokens {
  commander: string;
  responder: string;
  nobody: string;
  reader: string;
  admin: string;
}

/** The running instance under audit. */
export interface AuditStack {
  api: AuditApi;
  scratch: string;
  dataDir: string;
  tokens: Tokens;
  /** The value of FIREBREAK_AUDIT_CANARY in dev's environment, declared nowhere. */
  canary: string;
  /** The value of the declared secret `audit-key` (FIREBREAK_AUDIT_DECLARED). */
  declared: string;
  webhookSecret: string;
  echo: EchoServer;
  /** Everything dev printed so far. */
  devOutput(): string;
  stop(): Promise<void>;
}

const randomToken = () => randomBytes(32).toString('base64url');
const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** Starts the echo server on 127.0.0.1. */
export async function startEcho(): Promise<EchoServer> {
  const received: EchoRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const raw = Buffer.concat([Buffer.from(head(request), 'latin1'), body]);
      received.push({ method: request.method ?? '', url: request.url ?? '', raw: raw.toString('utf8') });
      const text = raw.toString('utf8');
      const echoed = {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: body.toString('utf8'),
        base64: raw.toString('base64'),
        base64url: raw.toString('base64url'),
        hex: raw.toString('hex'),
        percent: encodeURIComponent(text),
      };
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': String(received.length) });
      response.end(JSON.stringify(echoed));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function head(request: IncomingMessage): string {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let i = 0; i < request.rawHeaders.length; i += 2)
    lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Writes the scratch directory and starts echo and dev; stops what it started if the start fails. */
export async function startStack(options: { projectRoot: string; keep: boolean; log: (line: string) => void }) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-audit-'));
  const dataDir = path.join(scratch, 'data');
  const echo = await startEcho();
  const tokens = { commander: randomToken(), responder: randomToken(), nobody: randomToken(), reader: randomToken() };
  const canary = randomBytes(24).toString('hex');
  const declared = randomBytes(24).toString('hex');
  const webhookSecret = randomBytes(32).toString('hex');
  writeScratch(scratch, options.projectRoot, echo.port, tokens, webhookSecret);

  let dev: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    if (dev) await stopDev(dev);
    await echo.close();
    if (options.keep) options.log(`kept ${scratch} (config, runbooks, data dir; nothing is running)`);
    else rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const apiPort = await freePort();
    const temporalPort = await freePort();
    // Its own process group, so a stop that has to force it also takes the Temporal server it started.
    dev = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'dev', '--data-dir', dataDir, '--runbooks', path.join(scratch, 'runbooks')]
        .concat(['--config', path.join(scratch, 'firebreak.yaml'), '--port', String(apiPort)])
        .concat(['--temporal-port', String(temporalPort), '--no-ui']),
      {
        cwd: options.projectRoot,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: devEnvironment({ FIREBREAK_AUDIT_CANARY: canary, FIREBREAK_AUDIT_DECLARED: declared }),
      },
    );
    dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await untilRunning(dev, () => output);
    const admin = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
    const stack: AuditStack = {
      api: new AuditApi(`http://127.0.0.1:${apiPort}`),
      scratch,
      dataDir,
      tokens: { ...tokens, admin },
      canary,
      declared,
      webhookSecret,
      echo,
      devOutput: () => output,
      stop,
    };
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}

function writeScratch(
  scratch: string,
  projectRoot: string,
  echo: number,
  tokens: Omit<Tokens, 'admin'>,
  webhookSecret: string,
): void {
  mkdirSync(path.join(scratch, 'runbooks'));
  for (const [id, text] of Object.entries(runbookFiles(echo)))
    writeFileSync(path.join(scratch, 'runbooks', `${id}.yaml`), text);
  for (const [file, text] of Object.entries(TEMPLATE_FILES)) {
    mkdirSync(path.dirname(path.join(scratch, 'templates', file)), { recursive: true });
    writeFileSync(path.join(scratch, 'templates', file), text);
  }
  writeFileSync(path.join(scratch, 'webhook.secret'), webhookSecret, { mode: 0o600 });
  const hashes = {
    commander: sha256(tokens.commander),
    responder: sha256(tokens.responder),
    nobody: sha256(tokens.nobody),
    reader: sha256(tokens.reader),
  };
  writeFileSync(
    path.join(scratch, 'firebreak.yaml'),
    configFile({ echo, hashes, projectTemplates: path.join(projectRoot, 'templates') }),
  );
}

/** This process's environment without Firebreak's own settings (the audit gives its own), plus `extra`. */
function devEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('FIREBREAK_')) env[name] = value;
  return { ...env, FIREBREAK_LOG_LEVEL: 'warn', ...extra };
}

const START_TIMEOUT_MS = 120_000;

async function untilRunning(dev: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output().includes('Firebreak is running.')) {
    if (dev.exitCode !== null || dev.signalCode !== null) {
      throw new Error(`firebreak dev exited before it was running:\n${output().slice(-3000)}`);
    }
    if (Date.now() > deadline) throw new Error(`firebreak dev was not running after ${START_TIMEOUT_MS / 1000} s`);
    await sleep(200);
  }
}

/**
 * Ctrl-C to dev (it stops its worker, API and Temporal server), then whatever is left of its process group
 * (dev and what it started, nothing else): SIGTERM, then SIGKILL, each bounded.
 */
async function stopDev(dev: ChildProcess): Promise<void> {
  const group = dev.pid;
  if (dev.exitCode === null && dev.signalCode === null) {
    const exited = new Promise<void>((resolve) => dev.once('exit', () => resolve()));
    dev.kill('SIGINT');
    await Promise.race([exited, sleep(20_000)]);
  }
  if (group === undefined) return;
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (!groupAlive(group)) return;
    signalGroup(group, signal);
    for (let waited = 0; waited < 10_000 && groupAlive(group); waited += 200) await sleep(200);
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // gone in the meantime
  }
}
