/**
 * The action item watcher survives a worker restart, against the real dev server: while its activity waits
 * for the verification incident, the only worker shuts down (the wait is cancelled and fails over); a new
 * worker takes the watcher (replaying its history) and the wait, and the item is verified once the
 * incident completes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionItemWorkflowId } from '../../src/domain/action-items.js';
import { IncidentClient } from '../../src/incidents/client.js';
import { createLogger } from '../../src/logging/logger.js';
import { signalItemChanged } from '../../src/postmortems/action-item-watch.js';
import { draftPostmortem } from '../../src/postmortems/draft.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type ActionItem,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import { createIncidentWorker } from '../../src/worker/worker.js';
import { draftOptions, fixture } from '../unit/postmortems/fixtures.js';
import { eventually } from '../support/poll.js';
import { alice, compileYaml, projectRoot, quietTemporalRuntime, startInput, testConfig } from '../support/temporal.js';

const taskQueue = `test-${randomUUID()}`;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let store: PostmortemStore;
let dataDir: string;
const running: { worker: Worker; run: Promise<void> }[] = [];

async function startWorker(): Promise<{ worker: Worker; run: Promise<void> }> {
  const worker = await createIncidentWorker({
    connection: native,
    config: testConfig(inject('temporalAddress')),
    logger: createLogger({ level: 'error' }),
    baseDir: projectRoot,
    dataDir,
    taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    postmortems: lazyPostmortemStore(() => Promise.resolve(store)),
  });
  const started = { worker, run: worker.run() };
  running.push(started);
  return started;
}

beforeAll(async () => {
  quietTemporalRuntime();
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address });
  dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-ai-restart-'));
  store = await openPgliteStore('memory');
});

afterAll(async () => {
  for (const { worker, run } of running) {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await run;
  }
  await native?.close();
  await connection?.close();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the action item watcher across a worker restart', () => {
  it('keeps waiting for the verification incident on the next worker and verifies the item', async () => {
    const first = await startWorker();
    const plan = compileYaml(`
apiVersion: firebreak/v1
id: restart-check
title: Check by hand
version: 1
severity: sev4
roles:
  commander: {}
steps:
  - { id: check, title: Check, task: Check it, assignee: role:commander }
`);
    const incidents = new IncidentClient(client, taskQueue);
    const { incidentId } = await incidents.trigger(startInput(plan), `it-${randomUUID()}`);
    const { state, plan: tabletop } = await fixture('tabletop');
    const { postmortem } = await store.createPostmortem(draftPostmortem(state, tabletop, draftOptions));
    const added = await store.addActionItem({
      postmortemId: postmortem.id,
      title: 'Check the fix',
      owner: 'alice',
      priority: 'p2',
      verify: { runbook: 'restart-check', params: {} },
      createdBy: 'alice',
      createdAt: new Date().toISOString(),
    });
    // What `done` does: the item done, its run pending, the watcher told.
    const at = new Date().toISOString();
    const item: ActionItem = await store.updateActionItem(added.id, {
      baseVersion: 1,
      actor: 'alice',
      at,
      patch: { status: 'done' },
      run: { incidentId, result: 'pending', at },
    });
    await signalItemChanged({ client, taskQueue }, item);
    const watcher = client.workflow.getHandle(actionItemWorkflowId(item.id));
    await eventually(
      async () => {
        const pending = (await watcher.describe()).raw.pendingActivities ?? [];
        return pending.some((a) => a.activityType?.name === 'awaitVerificationRun' && Number(a.state) === 2)
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the wait for the verification incident never started' },
    );

    first.worker.shutdown();
    await first.run;
    expect(await store.getActionItem(item.id)).toMatchObject({ status: 'done', runs: [{ result: 'pending' }] });

    await startWorker();
    await incidents.completeTask(incidentId, { actor: alice, step: 'check' });
    const verified = await eventually(
      async () => {
        const current = await store.getActionItem(item.id);
        return current?.status === 'verified' ? current : undefined;
      },
      { timeoutMs: 60_000, what: 'the item was never verified' },
    );
    expect(verified.runs.map((run) => run.result)).toEqual(['pending', 'passed']);
    expect(await watcher.result()).toEqual({ itemId: item.id, status: 'verified' });
    // The wait ran more than once: the attempt on the first worker failed over to the second.
    const history = await watcher.fetchHistory();
    const attempts = (history.events ?? [])
      .map((event) => event.activityTaskStartedEventAttributes?.attempt)
      .filter((attempt): attempt is number => typeof attempt === 'number');
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });
});
