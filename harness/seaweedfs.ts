/**
 * A real SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) for the S3 adapter
 * tests and the drill benchmark, started from the bootstrap-installed `.tools/bin/weed` on free loopback
 * ports with one identity and one bucket, and waited for until a signed write succeeds. `kill` and `restart` take the server away
 * and bring it back on the same ports and data, for outage tests; give those tests an instance of their own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../src/config/index.js';
import { createSecretResolver } from '../src/secrets/resolver.js';
import type { S3StoreOptions } from '../src/storage/s3-store.js';
import { freePort, stopProcess } from '../src/temporal/dev-server.js';

/** A running SeaweedFS with its S3 endpoint, credentials and bucket. */
export interface TestSeaweedfs {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Kills the server with SIGKILL, as a crash would: open connections are cut, the data stays. */
  kill(): Promise<void>;
  /**
   * Stops the server in its tracks with SIGSTOP, synchronously: it sends nothing more (what is already in
   * socket buffers still arrives) until it is killed. For making a transfer break at a known point.
   */
  freeze(): void;
  /** Lets a frozen server run on (SIGCONT). */
  thaw(): void;
  /** Starts the killed server again on the same ports and data, and waits until it accepts writes. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const projectRoot = path.resolve(import.meta.dirname, '..');
const HOST = '127.0.0.1';

/** The environment `seaweedStorageConfig`'s secret references read. */
export function seaweedEnv(seaweed: TestSeaweedfs): Record<string, string> {
  return { S3_KEY: seaweed.accessKeyId, S3_SECRET: seaweed.secretAccessKey };
}

/** `storage` of a firebreak.yaml on `seaweed`, credentials as `env:` references (give the worker `seaweedEnv`). */
export function seaweedStorageConfig(seaweed: TestSeaweedfs): StorageConfig {
  return {
    type: 's3',
    bucket: seaweed.bucket,
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    forcePathStyle: true,
    accessKeyId: 'env:S3_KEY',
    secretAccessKey: 'env:S3_SECRET',
  };
}

/** Options for `createS3Store` against `seaweed`, credentials passed as `env:` references. */
export function seaweedStoreOptions(seaweed: TestSeaweedfs, overrides: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    bucket: seaweed.bucket,
    forcePathStyle: true,
    accessKeyId: 'env:TEST_S3_ACCESS_KEY',
    secretAccessKey: 'env:TEST_S3_SECRET_KEY',
    secrets: createSecretResolver({
      env: { TEST_S3_ACCESS_KEY: seaweed.accessKeyId, TEST_S3_SECRET_KEY: seaweed.secretAccessKey },
      baseDir: '/',
    }),
    ...overrides,
  };
}

/** The command line of one instance: every listener on a free port of its own. */
async function weedArgs(
  scratch: string,
  s3Config: string,
  bucket: string,
): Promise<{ args: string[]; s3Port: number }> {
  const s3Port = await freePort(HOST);
  const ports: Record<string, number> = {};
  // Every listener gets its own free port; the admin server listens even with its UI disabled.
  const listeners = ['master', 'volume', 'filer', 's3', 'admin'].flatMap((name) => [
    `${name}.port`,
    `${name}.port.grpc`,
  ]);
  for (const name of listeners.filter((name) => name !== 's3.port')) ports[name] = await freePort(HOST);
  const args = [
    'mini',
    `-dir=${path.join(scratch, 'data')}`,
    `-ip=${HOST}`,
    `-ip.bind=${HOST}`,
    `-s3.port=${s3Port}`,
    ...Object.entries(ports).map(([name, port]) => `-${name}=${port}`),
    `-s3.config=${s3Config}`,
    `-bucket=${bucket}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-admin.ui=false',
    '-webdav=false',
    '-master.telemetry=false',
  ];
  return { args, s3Port };
}

/** One `weed` process, its log appended to `logFile`. */
interface Launched {
  child: ChildProcess;
  exited(): string | undefined;
}

function launch(binary: string, args: string[], scratch: string, logFile: string): Launched {
  const logFd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd], cwd: scratch });
  closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  return { child, exited: () => exited };
}

/** Resolves once the bucket accepts a signed PutObject; throws with the log's tail if the process exits first. */
async function waitReady(client: S3Client, bucket: string, run: Launched, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    const exited = run.exited();
    if (exited)
      throw new Error(`weed mini ${exited} before it was ready:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      // A write, not just a listing: the first write waits for the master to grow a volume.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: '.ready', Body: 'ok' }));
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: '.ready' }));
      return;
    } catch (error) {
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (Date.now() > deadline) throw new Error(`SeaweedFS S3 not ready within ${timeoutMs} ms (${lastError})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function writeS3Config(file: string, accessKeyId: string, secretAccessKey: string): void {
  const identity = {
    name: 'firebreak',
    credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
    actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
  };
  writeFileSync(file, JSON.stringify({ identities: [identity] }));
}

/** Starts `weed mini` and resolves once the bucket accepts a signed PutObject. */
export async function startSeaweedfs(readyTimeoutMs = 90_000): Promise<TestSeaweedfs> {
  const binary = path.join(projectRoot, '.tools', 'bin', 'weed');
  if (!existsSync(binary)) throw new Error(`SeaweedFS not found at ${binary}: run bash scripts/bootstrap.sh`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-seaweedfs-'));
  const accessKeyId = `fb${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(18).toString('base64url');
  const bucket = 'firebreak-test';
  const s3Config = path.join(scratch, 's3.json');
  writeS3Config(s3Config, accessKeyId, secretAccessKey);
  const { args, s3Port } = await weedArgs(scratch, s3Config, bucket);
  const logFile = path.join(scratch, 'weed.log');
  let run = launch(binary, args, scratch, logFile);

  const endpoint = `http://${HOST}:${s3Port}`;
  const region = 'us-east-1';
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey },
  });
  const kill = async (): Promise<void> => {
    if (run.exited()) return;
    const gone = new Promise<void>((resolve) => run.child.once('exit', () => resolve()));
    run.child.kill('SIGKILL');
    await gone;
  };
  const freeze = (): void => {
    if (!run.exited()) run.child.kill('SIGSTOP');
  };
  const thaw = (): void => {
    if (!run.exited()) run.child.kill('SIGCONT');
  };
  const stop = async (): Promise<void> => {
    client.destroy();
    await stopProcess(run.child);
    rmSync(scratch, { recursive: true, force: true });
  };
  const restart = async (): Promise<void> => {
    await kill();
    run = launch(binary, args, scratch, logFile);
    await waitReady(client, bucket, run, logFile, readyTimeoutMs);
  };
  try {
    await waitReady(client, bucket, run, logFile, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, region, bucket, accessKeyId, secretAccessKey, kill, freeze, thaw, restart, stop };
}
