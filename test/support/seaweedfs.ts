/**
 * A real SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) for the S3 adapter
 * tests, started from the bootstrap-installed `.tools/bin/weed` on free loopback ports with one identity
 * and one bucket, and waited for until a signed write succeeds.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, stopProcess } from '../../src/temporal/dev-server.js';

/** A running SeaweedFS with its S3 endpoint, credentials and bucket. */
export interface TestSeaweedfs {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

const projectRoot = path.resolve(import.meta.dirname, '../..');
const HOST = '127.0.0.1';

/** Starts `weed mini` and resolves once the bucket accepts a signed PutObject. */
export async function startSeaweedfs(readyTimeoutMs = 90_000): Promise<TestSeaweedfs> {
  const binary = path.join(projectRoot, '.tools', 'bin', 'weed');
  if (!existsSync(binary)) throw new Error(`SeaweedFS not found at ${binary}: run bash scripts/bootstrap.sh`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-seaweedfs-'));
  const accessKeyId = `fb${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(18).toString('base64url');
  const bucket = 'firebreak-test';
  const s3Config = path.join(scratch, 's3.json');
  writeFileSync(
    s3Config,
    JSON.stringify({
      identities: [
        {
          name: 'firebreak',
          credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
  );
  const s3Port = await freePort(HOST);
  const ports: Record<string, number> = {};
  // Every listener gets its own free port; the admin server listens even with its UI disabled.
  const listeners = ['master', 'volume', 'filer', 's3', 'admin'].flatMap((name) => [
    `${name}.port`,
    `${name}.port.grpc`,
  ]);
  for (const name of listeners.filter((name) => name !== 's3.port')) ports[name] = await freePort(HOST);
  const dataDir = path.join(scratch, 'data');
  const args = [
    'mini',
    `-dir=${dataDir}`,
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
  const logFile = path.join(scratch, 'weed.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd], cwd: scratch });
  closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));

  const endpoint = `http://${HOST}:${s3Port}`;
  const region = 'us-east-1';
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey },
  });
  const stop = async (): Promise<void> => {
    client.destroy();
    await stopProcess(child);
    rmSync(scratch, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    if (exited) {
      const log = readFileSync(logFile, 'utf8').slice(-2000);
      rmSync(scratch, { recursive: true, force: true });
      throw new Error(`weed mini ${exited} before it was ready:\n${log}`);
    }
    try {
      // A write, not just a listing: the first write waits for the master to grow a volume.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: '.ready', Body: 'ok' }));
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: '.ready' }));
      break;
    } catch (error) {
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`SeaweedFS S3 at ${endpoint} not ready within ${readyTimeoutMs} ms (${lastError})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { endpoint, region, bucket, accessKeyId, secretAccessKey, stop };
}
