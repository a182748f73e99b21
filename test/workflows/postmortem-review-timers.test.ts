/**
 * A post-mortem's review reminders on the time-skipping test server: a worker with a PGlite store and a
 * real SMTP server. A draft due in 5 days gets the reminder at 4 days, the overdue notice at 5 days and
 * again 7 days later; moving the due date re-arms them; publishing stops them and sends the summary to the
 * audience, and the workflow ends. Weeks pass in seconds, on the same workflow code as production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createActionRegistry } from '../../src/actions/registry.js';
import { createEmailChannel } from '../../src/channels/email.js';
import { createMessageRouter } from '../../src/channels/router.js';
import { postmortemWorkflowId } from '../../src/domain/postmortem.js';
import { createLogger } from '../../src/logging/logger.js';
import { signalPostmortemChanged } from '../../src/postmortems/review-signal.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type LazyPostmortemStore,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import { createDeclaredSecretResolver, createSecretCatalog } from '../../src/secrets/declared.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { newPostmortem } from '../adapters/store/postmortem-store-conformance.js';
import { eventually } from '../support/poll.js';
import { startTimeSkipping } from '../support/time-skipping.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { projectRoot } from '../support/temporal.js';
import type { PostmortemWorkflowProgress } from '../../workflows/postmortem-definitions.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const taskQueue = 'postmortem-review-timers';
const roster = [
  { id: 'alice', email: 'alice@example.com', roles: ['commander'] },
  { id: 'bob', email: 'bob@example.com', roles: ['security'] },
  { id: 'carol', email: 'carol@example.com', roles: ['all-staff'] },
  { id: 'dave', email: 'dave@example.com', roles: ['all-staff'] },
];

let testEnv: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let smtp: TestSmtpServer;
let dir: string;
let lazy: LazyPostmortemStore;
let store: PostmortemStore;

beforeAll(async () => {
  testEnv = await startTimeSkipping();
  smtp = await startSmtpServer();
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-review-'));
  lazy = lazyPostmortemStore(() => openPgliteStore(path.join(dir, 'postmortems')));
  store = await lazy.get();
  const secrets = createSecretResolver({ env: {}, baseDir: projectRoot });
  const activities = createActivities({
    actions: createActionRegistry([]),
    declaredSecrets: createDeclaredSecretResolver(createSecretCatalog(), secrets),
    logger: createLogger({ level: 'error' }),
    messages: createMessageRouter({
      email: createEmailChannel({
        from: 'Firebreak <firebreak@example.com>',
        smtp: { host: '127.0.0.1', port: smtp.port },
        secrets,
      }),
      webhookEndpoints: {},
    }),
    roster,
    postmortems: {
      config: { requiredFor: [], timeZone: 'UTC', review: { remindBefore: DAY, overdueEvery: 7 * DAY } },
      store: lazy,
    },
  });
  worker = await Worker.create({
    connection: testEnv.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await testEnv?.teardown();
  await lazy?.close();
  await smtp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The mails received since `from`, parsed: recipient and subject. */
async function mailsSince(from: number): Promise<{ to: string; subject: string; text: string }[]> {
  return Promise.all(
    smtp.messages.slice(from).map(async (mail) => {
      const parsed = await PostalMime.parse(mail.raw);
      return { to: mail.recipient, subject: parsed.subject ?? '', text: parsed.text ?? '' };
    }),
  );
}

/** Lets `ms` of server time pass (timers fire), then waits until `count` mails have arrived since `from`. */
async function after(ms: number, from: number, count: number) {
  await testEnv.sleep(ms);
  if (count > 0) {
    await eventually(() => (smtp.messages.length - from >= count ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: `${count} mails`,
    });
  }
  // Nothing more comes than expected (the worker had its chance: the mails above arrived after the wake).
  await new Promise((resolve) => setTimeout(resolve, 300));
  return mailsSince(from);
}

const subjects = (mails: { to: string; subject: string }[]) =>
  mails.map((mail) => `${mail.to}: ${mail.subject}`).sort();

describe('review reminders on Temporal timers', () => {
  it('reminds at 4 days, marks overdue at 5 and 12, re-arms for a new date, and stops at publication', async () => {
    const now = await testEnv.currentTimeMs();
    const { postmortem } = await store.createPostmortem(
      newPostmortem({
        title: 'Leaked deploy key',
        createdAt: new Date(now).toISOString(),
        reviewDueAt: new Date(now + 5 * DAY).toISOString(),
        people: { facilitators: ['alice', 'bob'], reviewers: ['bob'], audience: ['role:all-staff', 'ops@example.com'] },
      }),
    );
    const change = { incidentId: postmortem.incidentId, postmortemId: postmortem.id, reason: 'drafted by hand' };
    await signalPostmortemChanged(testEnv.client, taskQueue, change);
    const handle = testEnv.client.workflow.getHandle(postmortemWorkflowId(postmortem.incidentId));
    let seen = smtp.messages.length;

    // Nothing before 4 days.
    expect(await after(4 * DAY - HOUR, seen, 0)).toEqual([]);
    const reminder = await after(2 * HOUR, seen, 2);
    const due = `Post-mortem review due ${dateOf(now + 5 * DAY)} UTC: Leaked deploy key`;
    expect(subjects(reminder)).toEqual([`alice@example.com: ${due}`, `bob@example.com: ${due}`]);
    seen = smtp.messages.length;

    // Overdue at the due date, to the facilitators.
    const overdue = await after(DAY, seen, 2);
    expect(subjects(overdue)).toEqual([
      'alice@example.com: Post-mortem review overdue: Leaked deploy key',
      'bob@example.com: Post-mortem review overdue: Leaked deploy key',
    ]);
    expect(overdue[0]?.text).toContain('It is now marked overdue.');
    seen = smtp.messages.length;
    expect(await after(7 * DAY - 2 * HOUR, seen, 0)).toEqual([]);
    const again = await after(3 * HOUR, seen, 2);
    expect(subjects(again)).toEqual([
      'alice@example.com: Post-mortem review overdue: Leaked deploy key',
      'bob@example.com: Post-mortem review overdue: Leaked deploy key',
    ]);
    seen = smtp.messages.length;

    // A new date, 3 days from now: its reminder comes 2 days from now, and no overdue notice before it.
    const moved = (await testEnv.currentTimeMs()) + 3 * DAY;
    await store.setReviewDue(postmortem.id, new Date(moved).toISOString(), { actor: 'alice', at: iso(now) });
    await signalPostmortemChanged(testEnv.client, taskQueue, { ...change, reason: 'due date moved' });
    expect(await after(2 * DAY - HOUR, seen, 0)).toEqual([]);
    const remindedAgain = await after(2 * HOUR, seen, 2);
    expect(remindedAgain.every((mail) => mail.subject.startsWith('Post-mortem review due '))).toBe(true);
    seen = smtp.messages.length;

    // Published: the summary goes to the audience, and the review's workflow ends.
    await store.editSection(postmortem.id, 'summary', 'A deploy key leaked in a public gist.', {
      author: 'alice',
      at: iso(now),
      baseRevision: 0,
    });
    await store.setStatus(postmortem.id, { from: 'draft', to: 'in-review', actor: 'alice', at: iso(now) });
    await store.setStatus(postmortem.id, { from: 'in-review', to: 'published', actor: 'bob', at: iso(now) });
    await signalPostmortemChanged(testEnv.client, taskQueue, { ...change, reason: 'published' });
    const result: unknown = await handle.result();
    expect(result).toMatchObject({
      postmortemId: postmortem.id,
      review: { ended: 'published', publication: 3, sent: 3 },
    });
    const summary = await mailsSince(seen);
    expect(subjects(summary)).toEqual([
      'carol@example.com: Post-mortem published: Leaked deploy key',
      'dave@example.com: Post-mortem published: Leaked deploy key',
      'ops@example.com: Post-mortem published: Leaked deploy key',
    ]);
    expect(summary[0]?.text).toContain('A deploy key leaked in a public gist.');
    seen = smtp.messages.length;

    // Weeks later: nothing more.
    expect(await after(21 * DAY, seen, 0)).toEqual([]);
    const progress: PostmortemWorkflowProgress = await handle.query('postmortemProgress');
    expect(progress.notices.map((notice) => `${notice.kind}#${notice.occurrence}:${notice.sent}`)).toEqual([
      'review-reminder#0:2',
      'review-overdue#0:2',
      'review-overdue#1:2',
      'review-reminder#0:2',
      'postmortem-published#3:3',
    ]);
  });

  it('continues as new after 100 signals, carrying what it sent: the reminder is not sent twice', async () => {
    const now = await testEnv.currentTimeMs();
    const { postmortem } = await store.createPostmortem(
      newPostmortem({
        createdAt: iso(now),
        reviewDueAt: iso(now + 5 * DAY),
        people: { facilitators: ['alice'], reviewers: [], audience: [] },
      }),
    );
    const change = { incidentId: postmortem.incidentId, postmortemId: postmortem.id, reason: 'drafted by hand' };
    await signalPostmortemChanged(testEnv.client, taskQueue, change);
    const handle = testEnv.client.workflow.getHandle(postmortemWorkflowId(postmortem.incidentId));
    const firstRun = (await handle.describe()).runId;
    let seen = smtp.messages.length;
    expect(subjects(await after(4 * DAY + HOUR, seen, 1))).toEqual([
      expect.stringMatching(/^alice@example\.com: Post-mortem review due /),
    ]);
    seen = smtp.messages.length;
    for (let i = 0; i < 100; i += 1) await handle.signal('postmortemChanged', { reason: `edit ${i}` });
    const next = await eventually(
      async () => {
        const described = await handle.describe();
        return described.runId !== firstRun && described.status.name === 'RUNNING' ? described : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'a new run' },
    );
    const carried: PostmortemWorkflowProgress = await testEnv.client.workflow
      .getHandle(next.workflowId, next.runId)
      .query('postmortemProgress');
    expect(carried.review).toMatchObject({ reminded: true, overdue: 0 });
    // The new run sends the overdue notice at the due date, and no second reminder.
    expect(subjects(await after(DAY, seen, 1))).toEqual([
      'alice@example.com: Post-mortem review overdue: Leaked deploy key',
    ]);
    await handle.terminate('test done');
  });

  it('waits without reminders when there is no due date, and still sends the summary', async () => {
    const { postmortem } = await store.createPostmortem(
      newPostmortem({ people: { facilitators: ['alice'], reviewers: [], audience: ['carol'] } }),
    );
    const change = { incidentId: postmortem.incidentId, postmortemId: postmortem.id, reason: 'drafted by hand' };
    await signalPostmortemChanged(testEnv.client, taskQueue, change);
    const seen = smtp.messages.length;
    expect(await after(30 * DAY, seen, 0)).toEqual([]);
    const at = iso(await testEnv.currentTimeMs());
    await store.setStatus(postmortem.id, { from: 'draft', to: 'in-review', actor: 'alice', at });
    await store.setStatus(postmortem.id, { from: 'in-review', to: 'published', actor: 'alice', at });
    await signalPostmortemChanged(testEnv.client, taskQueue, { ...change, reason: 'published' });
    const result: unknown = await testEnv.client.workflow
      .getHandle(postmortemWorkflowId(postmortem.incidentId))
      .result();
    expect(result).toMatchObject({ review: { ended: 'published', sent: 1 } });
    expect(subjects(await mailsSince(seen))).toEqual(['carol@example.com: Post-mortem published: Leaked deploy key']);
  });
});

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** How the notice templates write an instant in UTC (`6 May 2026, 10:00`). */
function dateOf(ms: number): string {
  const date = new Date(ms);
  const month = date.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return `${date.getUTCDate()} ${month} ${date.getUTCFullYear()}, ${time}`;
}
