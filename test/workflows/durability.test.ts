/**
 * A worker killed with SIGKILL in the middle of an incident, and another started: the run carries on
 * from its history, and no action that had completed runs a second time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IncidentClient } from '../../src/incidents/client.js';
import { bob, compileYaml, projectRoot, startInput, waitForStep } from '../support/temporal.js';

const taskQueue = `durability-${randomUUID()}`;
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-durability-'));
let connection: Connection;
let incidents: IncidentClient;
const workers: ChildProcess[] = [];

/** Starts a worker process and resolves once it polls. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'test/support/worker-process.ts')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('worker ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
  return child;
}

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  incidents = new IncidentClient(new Client({ connection }), taskQueue);
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await connection?.close();
});

describe('durability', () => {
  it('survives a worker killed mid-incident without running a completed action twice', async () => {
    const log = path.join(scratch, 'actions');
    const plan = compileYaml(`
apiVersion: firebreak/v1
id: durable
title: Durable
version: 1
severity: sev1
roles:
  commander: {}
  security: {}
steps:
  - { id: isolate, title: Isolate, action: command.run, with: { command: record, args: ["${log}", isolate] } }
  - { id: confirm, title: Confirm, task: Confirm isolation, assignee: role:security }
  - { id: rotate, title: Rotate, action: command.run, with: { command: record, args: ["${log}", rotate] } }
`);
    const first = await startWorker();
    const { incidentId } = await incidents.trigger(startInput(plan));
    await waitForStep(incidents, incidentId, 'confirm', 'waiting');
    expect(readFileSync(log, 'utf8')).toBe('isolate\n');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    await startWorker();
    await incidents.completeTask(incidentId, { actor: bob, step: 'confirm' });
    const result = await incidents.result(incidentId);
    expect(result.steps).toEqual({ isolate: 'succeeded', confirm: 'succeeded', rotate: 'succeeded' });
    expect(readFileSync(log, 'utf8')).toBe('isolate\nrotate\n');
  });
});
