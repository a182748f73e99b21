/**
 * An action item's due-date notices on the time-skipping test server, with the default timings (remind 2d
 * before, overdue at the due date and every 7d after): days pass in seconds on Temporal timers, with the real
 * worker, a PGlite store and the `.eml` outbox. A new due date re-arms the reminder; the watcher continues as
 * new without sending anything twice; won't-do and done without verify end it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionItemWorkflowId } from '../../src/domain/action-items.js';
import { createLogger } from '../../src/logging/logger.js';
import { signalItemChanged } from '../../src/postmortems/action-item-watch.js';
import { draftPostmortem } from '../../src/postmortems/draft.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type ActionItem,
  type ActionItemPatch,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import { createIncidentWorker } from '../../src/worker/worker.js';
import { draftOptions, fixture } from '../unit/postmortems/fixtures.js';
import { eventually } from '../support/poll.js';
import { startTimeSkipping } from '../support/time-skipping.js';
import { projectRoot, testConfig } from '../support/temporal.js';

const EventType = temporal.api.enums.v1.EventType;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const taskQueue = 'action-item-due';
let testEnv: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let store: PostmortemStore;
let dataDir: string;
let pm: string;

beforeAll(async () => {
  testEnv = await startTimeSkipping();
  dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-ai-due-'));
  store = await openPgliteStore('memory');
  // No `postmortems.actionItems`: the defaults. No SMTP: e-mail goes to the `.eml` outbox in the data dir.
  worker = await createIncidentWorker({
    connection: testEnv.nativeConnection,
    config: { ...testConfig('unused'), postmortems: { requiredFor: [], timeZone: 'UTC', blamelessWords: [] } },
    logger: createLogger({ level: 'error' }),
    baseDir: projectRoot,
    dataDir,
    taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    postmortems: lazyPostmortemStore(() => Promise.resolve(store)),
  });
  running = worker.run();
  const { state, plan } = await fixture('tabletop');
  const draft = { ...draftPostmortem(state, plan, draftOptions), title: 'Deploy key leaked' };
  pm = (await store.createPostmortem(draft)).postmortem.id;
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await testEnv?.teardown();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Subjects of the mails in the outbox to `to` about the item, oldest file first. */
function mailsAbout(item: ActionItem, to: string): string[] {
  const outbox = path.join(dataDir, 'outbox');
  let names: string[];
  try {
    names = readdirSync(outbox);
  } catch {
    return [];
  }
  return names
    .map((name) => readFileSync(path.join(outbox, name), 'utf8'))
    .filter((text) => text.includes(`X-Firebreak-Incident: action-item:${item.id}`) && text.includes(`To: ${to}`))
    .map((text) => /^Subject: (.*)$/m.exec(text)?.[1] ?? '')
    .sort();
}

/** Waits until the watcher has nothing in flight: its last event a timer started or a task completed. */
async function idle(handle: WorkflowHandle): Promise<void> {
  await eventually(
    async () => {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return true;
      if ((description.raw.pendingActivities ?? []).length > 0) return undefined;
      const history = await handle.fetchHistory();
      const last = history.events?.at(-1)?.eventType;
      return last === EventType.EVENT_TYPE_TIMER_STARTED || last === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ? true
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the watcher never settled' },
  );
}

async function change(item: ActionItem, patch: ActionItemPatch): Promise<ActionItem> {
  const now = new Date(await testEnv.currentTimeMs()).toISOString();
  const updated = await store.updateActionItem(item.id, { baseVersion: item.version, actor: 'bob', at: now, patch });
  await signalItemChanged({ client: testEnv.client, taskQueue }, updated, { roundsPerRun: 2 });
  return updated;
}

async function skip(handle: WorkflowHandle, ms: number): Promise<void> {
  await testEnv.sleep(ms);
  await idle(handle);
}

describe('due-date notices on timers', () => {
  it('reminds 2d before, is overdue at the due date and every 7d after, re-arms on a new due date, ends at won’t-do', async () => {
    const now = await testEnv.currentTimeMs();
    let item = await store.addActionItem({
      postmortemId: pm,
      title: 'Rotate the deploy keys',
      owner: 'bob',
      dueAt: new Date(now + 3 * DAY).toISOString(),
      priority: 'p2',
      createdBy: 'alice',
      createdAt: new Date(now).toISOString(),
    });
    // Two rounds per run: the watcher continues as new several times below, and must not repeat a notice.
    await signalItemChanged({ client: testEnv.client, taskQueue }, item, { roundsPerRun: 2 });
    const handle = testEnv.client.workflow.getHandle(actionItemWorkflowId(item.id));
    const firstRun = (await handle.describe()).runId;
    await idle(handle);

    await skip(handle, 12 * HOUR);
    expect(mailsAbout(item, 'bob@example.com')).toEqual([]);
    await skip(handle, 13 * HOUR);
    const reminder = await eventually(() => {
      const mails = mailsAbout(item, 'bob@example.com');
      return mails.length > 0 ? mails : undefined;
    });
    expect(reminder).toEqual([expect.stringMatching(/^Action item due .*: Rotate the deploy keys$/) as string]);

    await skip(handle, 2 * DAY);
    await eventually(() => (mailsAbout(item, 'bob@example.com').length === 2 ? true : undefined));
    await skip(handle, 7 * DAY);
    await eventually(() => (mailsAbout(item, 'bob@example.com').length === 3 ? true : undefined));
    const overdue = mailsAbout(item, 'bob@example.com').filter((subject) => subject.startsWith('Action item overdue'));
    expect(overdue).toEqual([
      'Action item overdue: Rotate the deploy keys',
      'Action item overdue: Rotate the deploy keys',
    ]);
    expect((await handle.describe()).runId).not.toBe(firstRun);

    // A new due date 10 days out: reminded again 2 days before it, and nothing before.
    const later = (await testEnv.currentTimeMs()) + 10 * DAY;
    item = await change(item, { dueAt: new Date(later).toISOString(), status: 'in-progress' });
    await idle(handle);
    await skip(handle, 7 * DAY);
    expect(mailsAbout(item, 'bob@example.com')).toHaveLength(3);
    await skip(handle, DAY + HOUR);
    await eventually(() => (mailsAbout(item, 'bob@example.com').length === 4 ? true : undefined));

    item = await change(item, { status: 'wont-do', statusReason: 'replaced by short-lived credentials' });
    expect(await handle.result()).toEqual({ itemId: item.id, status: 'wont-do' });
    expect(mailsAbout(item, 'bob@example.com')).toHaveLength(4);
  });

  it('ends the watcher of an item done without a verification', async () => {
    const now = await testEnv.currentTimeMs();
    let item = await store.addActionItem({
      postmortemId: pm,
      title: 'Write the rotation down',
      owner: 'role:security',
      dueAt: new Date(now + 5 * DAY).toISOString(),
      priority: 'p3',
      createdBy: 'alice',
      createdAt: new Date(now).toISOString(),
    });
    await signalItemChanged({ client: testEnv.client, taskQueue }, item);
    const handle = testEnv.client.workflow.getHandle(actionItemWorkflowId(item.id));
    await idle(handle);
    item = await change(item, { status: 'done' });
    expect(await handle.result()).toEqual({ itemId: item.id, status: 'done' });
  });
});
