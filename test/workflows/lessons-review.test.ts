/**
 * The starter lessons-review runbook end to end through the real interpreter and worker: a post-mortem
 * store (PGlite) seeded with a month of post-mortems and action items, drill records in the blob store and
 * the starter runbooks as the catalog. The `postmortem.digest` step computes the digest of the month, and
 * the notify step sends it by e-mail (a real SMTP server) and chat (a Slack-format endpoint): the e-mail
 * text carries the numbers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import { drillKey, evaluateDrill } from '../../src/backup/drills/drill.js';
import { ChannelsConfigSchema } from '../../src/config/channels-schema.js';
import type { Plan } from '../../src/domain/plan.js';
import type { LessonsDigest } from '../../src/postmortems/digest.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type LazyPostmortemStore,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import type { PostmortemFacts } from '../../src/postmortems/types.js';
import { loadRunbookDirs } from '../../src/runbook/loader.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { loadTemplateDirs } from '../../src/templating/catalog.js';
import { newPostmortem } from '../adapters/store/postmortem-store-conformance.js';
import { startWebhookReceiver, type WebhookReceiver } from '../adapters/channels/webhook-receiver.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { projectRoot, startTestEnv, stepOf, type TestEnv } from '../support/temporal.js';

const NOW = '2026-12-01T09:00:00Z';
const M = 60_000;
const H = 3_600_000;
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-lessons-review-'));
let env: TestEnv;
let smtp: TestSmtpServer;
let hooks: WebhookReceiver;
let postmortems: LazyPostmortemStore;
let plan: Plan;

function durations(containMs: number, resolveMs: number, deadlines: PostmortemFacts['durations']['deadlines'] = []) {
  return { toContainmentMs: containMs, toResolutionMs: resolveMs, deadlines };
}

async function seedPostmortems(store: PostmortemStore): Promise<void> {
  const first = newPostmortem({
    runbookId: 'credential-leak',
    severity: 'sev1',
    startedAt: '2026-11-10T00:00:00Z',
    endedAt: '2026-11-10T04:00:00Z',
    tags: ['credentials', 'vendor'],
  });
  first.facts.durations = durations(30 * M, 4 * H, [
    { id: 'gdpr-art33', title: 'Notify the supervisory authority', status: 'overdue', marginMs: -3 * H },
  ]);
  const a = (await store.createPostmortem(first)).postmortem;
  await store.editSection(a.id, 'contributing-factors', 'Key rotation was manual. The vendor had no rotation API.', {
    author: 'alice',
    at: '2026-11-12T00:00:00Z',
    baseRevision: 0,
  });
  await store.setStatus(a.id, { from: 'draft', to: 'in-review', actor: 'alice', at: '2026-11-13T00:00:00Z' });
  await store.setStatus(a.id, { from: 'in-review', to: 'published', actor: 'alice', at: '2026-11-15T00:00:00Z' });

  const second = newPostmortem({
    runbookId: 'credential-leak',
    severity: 'sev2',
    startedAt: '2026-11-20T00:00:00Z',
    endedAt: '2026-11-20T06:00:00Z',
    reviewDueAt: '2026-11-25T00:00:00Z',
    tags: ['credentials'],
  });
  second.facts.durations = durations(50 * M, 6 * H);
  const b = (await store.createPostmortem(second)).postmortem;
  await store.editSection(b.id, 'contributing-factors', 'Rotation of the key took hours.', {
    author: 'bob',
    at: '2026-11-21T00:00:00Z',
    baseRevision: 0,
  });
  await store.setStatus(b.id, { from: 'draft', to: 'in-review', actor: 'bob', at: '2026-11-22T00:00:00Z' });

  const item = (title: string, owner: string, extra: { dueAt?: string; status?: 'done' } = {}) =>
    store.addActionItem({
      postmortemId: a.id,
      title,
      owner,
      priority: 'p1',
      createdBy: 'alice',
      createdAt: '2026-11-12T00:00:00Z',
      ...extra,
    });
  await item('Automate key rotation', 'role:security', { dueAt: '2026-11-20T00:00:00Z' });
  await item('Alert on keys older than 90 days', 'bob', { status: 'done' });
  const verified = await item('Drill the vendor key revocation', 'alice');
  await store.updateActionItem(verified.id, {
    baseVersion: 1,
    actor: 'alice',
    at: '2026-11-18T00:00:00Z',
    patch: { status: 'verified' },
    run: { incidentId: 'credential-drill-1', result: 'passed', at: '2026-11-18T00:00:00Z' },
  });
  const reopened = await item('Restore the key vault from backup', 'bob');
  await store.updateActionItem(reopened.id, {
    baseVersion: 1,
    actor: 'bob',
    at: '2026-11-26T00:00:00Z',
    patch: { status: 'open' },
    run: { incidentId: 'vault-drill-1', result: 'failed', at: '2026-11-26T00:00:00Z' },
  });
}

async function seedDrills(): Promise<void> {
  const blobs = await createFsStore({ dir: path.join(scratch, 'blobs') });
  const drills: [string, 'PASS' | 'FAIL'][] = [
    ['2026-11-05T02:30:00.000Z', 'PASS'],
    ['2026-11-12T02:30:00.000Z', 'FAIL'],
    ['2026-11-19T02:30:00.000Z', 'PASS'],
    // Before the month: not counted.
    ['2026-10-20T02:30:00.000Z', 'FAIL'],
  ];
  for (const [startedAt, status] of drills) {
    const incidentId = `pg-drill-${startedAt.slice(0, 10)}`;
    const record = evaluateDrill(
      {
        runbook: 'postgres-restore-drill',
        startedAt,
        backup: { id: '20261101T000000000Z-00000000', createdAt: startedAt, size: 10, sha256: 'a'.repeat(64) },
        checks: [
          {
            name: 'rows',
            kind: 'file-hashes',
            status,
            reason: status === 'FAIL' ? 'orders: 0 rows' : '',
            durationMs: 1,
          },
        ],
      },
      incidentId,
      new Date(startedAt),
    );
    await blobs.put(drillKey('postgres-restore-drill', startedAt, incidentId), Buffer.from(JSON.stringify(record)));
  }
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  hooks = await startWebhookReceiver();
  const templates = await loadTemplateDirs([path.join(projectRoot, 'templates')]);
  const loadStarter = () =>
    loadRunbookDirs([path.join(projectRoot, 'runbooks')], { actions: builtinActionCatalog, templates });
  postmortems = lazyPostmortemStore(() => openPgliteStore('memory'));
  await seedPostmortems(await postmortems.get());
  await seedDrills();
  const channels = ChannelsConfigSchema.parse({
    email: { from: 'Firebreak <firebreak@example.com>', smtp: { host: '127.0.0.1', port: smtp.port } },
    webhook: {
      allow: ['http://127.0.0.1:*'],
      endpoints: { 'leads-chat': { url: `${hooks.baseUrl}/hooks/leads-chat`, format: 'slack' } },
    },
  });
  env = await startTestEnv({
    templates: [path.join(projectRoot, 'templates')],
    dataDir: path.join(scratch, 'data'),
    configure: (config) => ({ ...config, channels, storage: { type: 'filesystem', dir: path.join(scratch, 'blobs') } }),
    postmortems,
    runbooks: loadStarter,
  });
  // The starter runbook as shipped, with the leads bound to alice (the test roster has no leads) and the
  // month fixed: its end is `now`, the action's input for rehearsals and tests.
  const starter = readFileSync(path.join(projectRoot, 'runbooks/lessons-review.yaml'), 'utf8')
    .replace(
      'leads: { description: Incident leads and runbook owners; receive the digest, sender: { name: Firebreak lessons learned } }',
      'leads: { members: [alice@example.com], sender: { name: Firebreak lessons learned } }',
    )
    .replace('with: { period: "${{ params.period }}" }', `with: { period: "\${{ params.period }}", now: "${NOW}" }`);
  expect(starter).toContain(NOW);
  plan = env.compile(starter);
}, 120_000);

afterAll(async () => {
  await env?.close();
  await postmortems?.close();
  await smtp?.close();
  await hooks?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the lessons-review runbook', () => {
  it('computes the month’s digest and sends it to the leads by e-mail and chat, with the numbers', async () => {
    const id = await env.trigger(plan, { period: '30d', timeZone: 'Europe/Berlin' });
    expect((await env.incidents.result(id)).status).toBe('completed');
    const state = await env.incidents.state(id);
    const digestStep = stepOf(state, 'digest');
    expect(digestStep.status).toBe('succeeded');
    const digest = digestStep.output as unknown as LessonsDigest;
    expect(digest.period).toEqual({
      length: '30d',
      since: '2026-11-01T09:00:00.000Z',
      until: '2026-12-01T09:00:00.000Z',
    });
    expect(digest.incidents.total).toBe(2);
    expect(digest.actionItems.overdue.items.map((item) => item.title)).toEqual(['Automate key rotation']);
    expect(digest.runbookReviews.items.map((review) => review.runbook)).toEqual(['credential-leak']);
    expect(digest.drillTotals).toEqual({ drills: 3, passed: 2, failed: 1 });
    expect(state.timeline.map((event) => event.message).join('\n')).toContain(
      'Lessons-learned digest of the 30d to 2026-12-01T09:00:00.000Z: 2 incidents, 1 post-mortems published',
    );
    expect(stepOf(state, 'send').status).toBe('succeeded');

    const mails = smtp.messages.filter((mail) => mail.recipient === 'alice@example.com');
    expect(mails).toHaveLength(1);
    const mail = await PostalMime.parse(mails[0]!.raw);
    expect(mail.subject).toBe(
      'Lessons learned, last 30d: 2 incidents, 1 overdue action item, 1 runbook due for review',
    );
    const text = mail.text ?? '';
    for (const line of [
      'Lessons-learned digest for 1 November 2026, 10:00 CET to 1 December 2026, 10:00 CET (30d).',
      '- Incidents: 2',
      '- Post-mortems published: 1; awaiting review: 1',
      '- Action items open: 2 (overdue: 1); done but unverified: 1; verified: 1',
      '- Verification failures: 1',
      '- Notification deadlines missed: 1',
      '- Restore drills: 2 passed, 1 failed',
      '- Runbooks due for review: 1',
      '- credential-leak: 2 incidents (sev1: 1, sev2: 1), contained in 40m, resolved in 5h',
      ': Notify the supervisory authority (gdpr-art33), overdue by 3h',
      '- [p1] Automate key rotation: role:security, overdue by 11d 9h',
      '- Restore the key vault from backup: bob, run vault-drill-1 failed 26 November 2026, 01:00 CET',
      '- credentials: 2 post-mortems',
      '- rotation: in 2 post-mortems, 3 times',
      '- postgres-restore-drill: 2 passed, 1 failed',
      '- credential-leak (Leaked credential): role:security, every 90d, last reviewed 2026-09-01, due for 1 day',
      `Incident: ${id}`,
    ]) {
      expect(text).toContain(line);
    }

    expect(mail.html).toContain('<li>Action items open: 2 (overdue: 1); done but unverified: 1; verified: 1</li>');

    const chat = hooks.requests.filter((hook) => hook.name === 'leads-chat');
    expect(chat).toHaveLength(1);
    const posted = JSON.parse(chat[0]!.body) as { text: string };
    expect(posted.text).toContain(
      'Action items: 2 open (1 overdue), 1 done but unverified, 1 verified; 1 verification failures',
    );
    expect(posted.text).toContain('Drills: 2 passed, 1 failed | runbooks due for review: 1');
  });
});
