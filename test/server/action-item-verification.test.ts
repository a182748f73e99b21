/**
 * Action items verified by a real restore drill, through the API against the real dev server: `done` starts
 * the starter `files-restore-drill` runbook on a real backup, and the item's watcher (`action-item:<id>`)
 * settles the run. A good backup: the drill passes and the item is `verified` with a `passed` run. A
 * corrupted backup: the drill fails (its record step fails with DRILL_FAILED and the run continues to alert,
 * so the incident completes), the item is reopened with the reason naming the incident, and the owner is
 * paged: the e-mail arrives at a real SMTP server. A second `done` while a run is pending is a 409.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFilesAction } from '../../src/actions/backup/backup-files.js';
import { listManifests } from '../../src/backup/catalog.js';
import type { BackupDeps } from '../../src/backup/deps.js';
import { DEFAULT_LAYOUT } from '../../src/backup/manifest.js';
import { ChannelsConfigSchema } from '../../src/config/channels-schema.js';
import { actionItemWorkflowId } from '../../src/domain/action-items.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type ActionItem,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { flipped, recordingContext } from '../unit/backup/support.js';
import { seedPostmortem } from '../unit/postmortems/fixtures.js';
import { eventually } from '../support/poll.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { projectRoot, startTestEnv, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness, type ApiUser } from './support.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-ai-verify-'));
const incidentRunbook = `
apiVersion: firebreak/v1
id: ai-verify-leak
title: Leaked key
version: 1
severity: sev2
roles:
  commander: {}
  legal: {}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`;
// Holds its incident open until a task is done: a verification run that stays pending as long as the test wants.
const slowRunbook = `
apiVersion: firebreak/v1
id: ai-verify-slow
title: Slow check
version: 1
severity: sev4
roles:
  legal: {}
steps:
  - { id: check, title: Check, task: Check by hand, assignee: role:legal }
`;

let env: TestEnv;
let api: ApiHarness;
let smtp: TestSmtpServer;
let store: PostmortemStore;
let pm: string;

beforeAll(async () => {
  for (const name of ['site', 'broken']) {
    mkdirSync(path.join(scratch, name), { recursive: true });
    writeFileSync(path.join(scratch, name, 'index.html'), `<h1>${name}</h1>`);
  }
  mkdirSync(path.join(scratch, 'restore'));
  const directories = { site: { path: path.join(scratch, 'site') }, broken: { path: path.join(scratch, 'broken') } };
  const backups: BackupDeps = {
    store: await createFsStore({ dir: path.join(scratch, 'blobs') }),
    layout: DEFAULT_LAYOUT,
    postgres: {},
    directories,
    restore: { directory: path.join(scratch, 'restore'), staging: path.join(scratch, 'staging') },
    secrets: createSecretResolver({ env: {}, baseDir: scratch }),
  };
  // A real backup of each directory; the second one's bytes corrupted after it was written.
  for (const source of ['site', 'broken']) {
    await backupFilesAction(backups).execute({ source }, recordingContext({ stepId: 'backup' }).ctx);
  }
  const [broken] = (await listManifests(backups.store, DEFAULT_LAYOUT, 'broken')).manifests;
  if (broken === undefined) throw new Error('no backup of broken');
  const chunks: Buffer[] = [];
  for await (const chunk of await backups.store.get(broken.key)) chunks.push(chunk as Buffer);
  await backups.store.put(broken.key, flipped(Buffer.concat(chunks), 20));

  smtp = await startSmtpServer();
  store = await openPgliteStore('memory');
  const postmortems = lazyPostmortemStore(() => Promise.resolve(store));
  env = await startTestEnv({
    templates: [path.join(projectRoot, 'templates')],
    dataDir: path.join(scratch, 'data'),
    postmortems,
    configure: (config) => ({
      ...config,
      storage: { type: 'filesystem', dir: path.join(scratch, 'blobs') },
      backups: { postgres: {}, directories, restore: { directory: path.join(scratch, 'restore') } },
      channels: ChannelsConfigSchema.parse({
        email: { from: 'Firebreak <firebreak@example.com>', smtp: { host: '127.0.0.1', port: smtp.port } },
      }),
    }),
  });
  // The starter drill as shipped, with its owners role bound to alice (the alert the failed drill sends).
  const drill = readFileSync(path.join(projectRoot, 'runbooks/files-restore-drill.yaml'), 'utf8').replace(
    'owners: { description: Own the files; told when a drill fails, sender: { name: Firebreak restore drills } }',
    'owners: { members: [alice@example.com], sender: { name: Firebreak restore drills } }',
  );
  api = await buildHarness(env, {
    plans: [env.compile(incidentRunbook), env.compile(drill), env.compile(slowRunbook)],
    postmortems,
  });
  const incidentId = await api.trigger('alice', 'ai-verify-leak');
  pm = await seedPostmortem(store, {
    incidentId,
    runbookId: 'ai-verify-leak',
    title: 'Uploads lost in the storage migration',
    people: { facilitators: ['alice'], reviewers: ['bob'], audience: [] },
  });
}, 180_000);

afterAll(async () => {
  await api?.app.close();
  await env?.close();
  await smtp?.close();
  await store?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const call = (as: ApiUser, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  api.call(as, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload }) });

async function add(body: object): Promise<ActionItem> {
  const response = await call('alice', 'POST', `/postmortems/${pm}/action-items`, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ item: ActionItem }>().item;
}

async function done(as: ApiUser, item: ActionItem): Promise<string> {
  const response = await call(as, 'POST', `/action-items/${item.id}/done`, { baseVersion: item.version });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ verificationIncidentId: string }>().verificationIncidentId;
}

/** The item once its status is `status` (the watcher settles it asynchronously). */
function itemOnceStatus(id: string, status: string): Promise<ActionItem> {
  let last: ActionItem | undefined;
  return eventually(
    async () => {
      last = await store.getActionItem(id);
      return last?.status === status ? last : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200, what: () => `item ${id} never became ${status}: ${JSON.stringify(last)}` },
  );
}

describe('an action item verified by a real restore drill', () => {
  it('turns verified when the drill on a good backup passes, and its watcher ends', async () => {
    const item = await add({
      title: 'Restore uploads from the nightly backup',
      owner: 'carol',
      verify: { runbook: 'files-restore-drill', params: { source: 'site' } },
    });
    const incidentId = await done('carol', item);
    const verified = await itemOnceStatus(item.id, 'verified');
    expect(verified.runs).toEqual([
      { incidentId, result: 'pending', at: expect.any(String) as string },
      { incidentId, result: 'passed', at: expect.any(String) as string },
    ]);
    expect(verified.updatedBy).toBe('system');
    const watcher = env.client.workflow.getHandle(actionItemWorkflowId(item.id));
    expect(await watcher.result()).toEqual({ itemId: item.id, status: 'verified' });
    expect(smtp.messages.filter((mail) => mail.recipient === 'carol@example.com')).toEqual([]);
  });

  it('reopens the item when the drill on a corrupted backup fails, and pages the owner by e-mail', async () => {
    const item = await add({
      title: 'Make the uploads backup restorable',
      owner: 'carol',
      dueAt: '2999-01-01T00:00:00Z',
      verify: { runbook: 'files-restore-drill', params: { source: 'broken' } },
    });
    const incidentId = await done('carol', item);
    const reopened = await itemOnceStatus(item.id, 'open');
    expect(reopened.runs.map((run) => [run.incidentId, run.result])).toEqual([
      [incidentId, 'pending'],
      [incidentId, 'failed'],
    ]);
    expect(reopened.statusReason).toContain(`verification incident ${incidentId} failed`);
    // The first failed step is the cause, and the drill's own verdict is named after it.
    expect(reopened.statusReason).toContain('step verify (Verify it against its manifest) failed: BACKUP_CORRUPT');
    expect(reopened.statusReason).toContain('also failed: record (DRILL_FAILED)');
    // The incident itself completed: "completed" alone would have passed it.
    const incident = await call('carol', 'GET', `/incidents/${incidentId}`);
    expect(incident.json<{ incident: { status: string } }>().incident.status).toBe('completed');

    const mail = await eventually(() => smtp.messages.find((m) => m.recipient === 'carol@example.com'), {
      timeoutMs: 30_000,
      what: 'the page to carol',
    });
    const parsed = await PostalMime.parse(mail.raw);
    expect(parsed.subject).toBe('Verification failed, action item reopened: Make the uploads backup restorable');
    expect(parsed.text).toContain(`Action item: Make the uploads backup restorable (${item.id})`);
    expect(parsed.text).toContain(`From the post-mortem: Uploads lost in the storage migration (${pm})`);
    expect(parsed.text).toContain(`runbook files-restore-drill, incident ${incidentId}`);
    expect(parsed.text).toContain('DRILL_FAILED');
    expect(parsed.text).toContain(`firebreak incident show ${incidentId}`);
    expect(mail.raw.toString()).toContain(`X-Firebreak-Incident: action-item:${item.id}`);
    // Still open with a due date: the watcher stays, waiting to remind.
    const watcher = await env.client.workflow.getHandle(actionItemWorkflowId(item.id)).describe();
    expect(watcher.status.name).toBe('RUNNING');
  });

  it('refuses a second done while the run is pending (409 naming it), and settles a run on a reopened item without closing it', async () => {
    const item = await add({
      title: 'Check the uploads by hand',
      owner: 'carol',
      verify: { runbook: 'ai-verify-slow', params: {} },
    });
    const incidentId = await done('carol', item);
    const reopened = await call('carol', 'PATCH', `/action-items/${item.id}`, {
      baseVersion: 2,
      status: 'in-progress',
    });
    expect(reopened.statusCode, reopened.body).toBe(200);
    const again = await call('carol', 'POST', `/action-items/${item.id}/done`, { baseVersion: 3 });
    expect(again.statusCode, again.body).toBe(409);
    const error = again.json<{ error: { message: string; details: { verificationIncidentId: string } } }>().error;
    expect(error.message).toContain(`still being verified by incident ${incidentId}`);
    expect(error.details.verificationIncidentId).toBe(incidentId);
    expect((await store.getActionItem(item.id))?.runs).toHaveLength(1);

    // The run passes; the item, which someone reopened meanwhile, keeps its status with the run recorded.
    await env.incidents.completeTask(incidentId, { actor: { id: 'carol', email: 'carol@example.com' }, step: 'check' });
    const settled = await eventually(
      async () => {
        const current = await store.getActionItem(item.id);
        return current?.runs.length === 2 ? current : undefined;
      },
      { timeoutMs: 60_000, what: 'the run settled' },
    );
    expect(settled).toMatchObject({ status: 'in-progress', runs: [{ result: 'pending' }, { result: 'passed' }] });
    const second = await call('carol', 'POST', `/action-items/${item.id}/done`, { baseVersion: settled.version });
    expect(second.statusCode, second.body).toBe(200);
  });
});
