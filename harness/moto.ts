/**
 * moto (an emulator of the AWS APIs) for the aws infrastructure provider's tests, started from the
 * bootstrap-installed `.tools/bin/moto_server` on a free loopback port and waited for until EC2 answers.
 * Each start is a fresh, empty account: nothing is shared between test files. Nothing here reaches AWS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, stopProcess } from '../src/temporal/dev-server.js';

/** A running moto with its endpoint and the (fake) credentials it accepts. */
export interface TestMoto {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

const projectRoot = path.resolve(import.meta.dirname, '..');
const HOST = '127.0.0.1';

/** Where the bootstrap installs moto_server. */
export const MOTO_BINARY = path.join(projectRoot, '.tools', 'bin', 'moto_server');

/** Why moto cannot run here, or undefined when it can. */
export function motoMissing(): string | undefined {
  if (!existsSync(MOTO_BINARY)) return `missing ${MOTO_BINARY}: run bash scripts/bootstrap.sh (installs moto[server])`;
  return undefined;
}

/** Starts moto_server and resolves once it answers EC2 DescribeRegions. */
export async function startMoto(readyTimeoutMs = 60_000): Promise<TestMoto> {
  const problem = motoMissing();
  if (problem !== undefined) throw new Error(`cannot start moto: ${problem}`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-moto-'));
  const port = await freePort(HOST);
  const logFile = path.join(scratch, 'moto.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(MOTO_BINARY, ['-H', HOST, '-p', String(port)], {
    stdio: ['ignore', logFd, logFd],
    cwd: scratch,
    // No AWS configuration of whoever runs the tests reaches moto; it needs none.
    env: { PATH: process.env.PATH ?? '', HOME: scratch, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
  closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  const endpoint = `http://${HOST}:${port}`;
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    rmSync(scratch, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    if (exited) {
      const log = readFileSync(logFile, 'utf8').slice(-2000);
      await stop();
      throw new Error(`moto_server ${exited} before it was ready:\n${log}`);
    }
    try {
      const response = await fetch(`${endpoint}/?Action=DescribeRegions&Version=2016-11-15`, {
        headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request' },
      });
      if (response.ok) break;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server not ready within ${readyTimeoutMs} ms (${lastError})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { endpoint, region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: 'testing', stop };
}
