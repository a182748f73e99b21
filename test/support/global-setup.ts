/**
 * One real Temporal dev server per test run, started from the bootstrap-installed binary and waited for
 * generously; the workflow bundle is built once here and shared with every test file through `inject`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import 'vitest';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

const projectRoot = path.resolve(import.meta.dirname, '../..');
let server: DevServer | undefined;
let scratch: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-test-'));
  const [started, bundle] = await Promise.all([
    startDevServer({ projectRoot, logFile: path.join(scratch, 'temporal.log'), readyTimeoutMs: 120_000 }),
    bundleWorkflowCode({ workflowsPath: path.join(projectRoot, 'workflows', 'index.ts'), logger: quietLogger }),
  ]);
  server = started;
  const bundlePath = path.join(scratch, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}

const noop = (): void => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
