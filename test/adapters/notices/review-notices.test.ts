/**
 * The review activities against a PGlite store and a real SMTP server: what `readPostmortemReview` tells
 * the workflow (status, due date, the publication in force, the reminder settings), and `sendReviewNotice`
 * building each notice from the store, to the facilitators or the audience, and skipping one that no longer
 * holds (`stale`) without sending anything.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNoticeActivities } from '../../../activities/notices.js';
import {
  createReviewActivities,
  type ReadPostmortemReviewInput,
  type SendReviewNoticeInput,
  type SendReviewNoticeResult,
} from '../../../activities/postmortem-review.js';
import type { PostmortemReviewView } from '../../../src/domain/postmortem-review.js';
import { createEmailChannel } from '../../../src/channels/email.js';
import { createMessageRouter } from '../../../src/channels/router.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type LazyPostmortemStore,
  type PostmortemStore,
} from '../../../src/postmortems/store/index.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js';
import { projectRoot } from '../../support/temporal.js';
import { newPostmortem } from '../store/postmortem-store-conformance.js';

const roster = [
  { id: 'alice', email: 'alice@example.com', roles: ['commander'] },
  { id: 'bob', email: 'bob@example.com', roles: ['security'] },
  { id: 'carol', email: 'carol@example.com', roles: ['all-staff'] },
];
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const AT = '2026-05-02T00:00:00Z';

let smtp: TestSmtpServer;
let lazy: LazyPostmortemStore;
let store: PostmortemStore;
let activities: ReturnType<typeof createReviewActivities>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  lazy = lazyPostmortemStore(() => openPgliteStore('memory'));
  store = await lazy.get();
  const messages = createMessageRouter({
    email: createEmailChannel({
      from: 'Firebreak <firebreak@example.com>',
      smtp: { host: '127.0.0.1', port: smtp.port },
      secrets: createSecretResolver({ env: {}, baseDir: projectRoot }),
    }),
    webhookEndpoints: {},
  });
  const notices = createNoticeActivities({ messages, roster, logger: silent });
  activities = createReviewActivities(
    {
      postmortems: {
        config: { timeZone: 'UTC', review: { remindBefore: 3_600_000, overdueEvery: 86_400_000 } },
        store: lazy,
      },
    },
    (input) => notices.sendNotice(input),
  );
});
afterAll(async () => {
  await lazy?.close();
  await smtp?.close();
});

const read = (input: ReadPostmortemReviewInput): Promise<PostmortemReviewView> =>
  new MockActivityEnvironment().run(activities.readPostmortemReview, input);
const send = (input: SendReviewNoticeInput): Promise<SendReviewNoticeResult> =>
  new MockActivityEnvironment().run(activities.sendReviewNotice, input);

async function received(from: number) {
  return Promise.all(
    smtp.messages.slice(from).map(async (mail) => {
      const parsed = await PostalMime.parse(mail.raw);
      return { to: mail.recipient, subject: parsed.subject ?? '', text: parsed.text ?? '' };
    }),
  );
}

async function publish(id: string, by: string) {
  await store.setStatus(id, { from: 'draft', to: 'in-review', actor: by, at: AT });
  await store.setStatus(id, { from: 'in-review', to: 'published', actor: by, at: AT });
}

describe('readPostmortemReview', () => {
  it('tells the status, due date, publications and the publication in force, with the settings', async () => {
    const { postmortem } = await store.createPostmortem(newPostmortem({ reviewDueAt: '2026-05-06T00:00:00Z' }));
    expect(await read({ postmortemId: postmortem.id })).toEqual({
      found: true,
      status: 'draft',
      reviewDueAt: '2026-05-06T00:00:00.000Z',
      publications: 0,
      remindBeforeMs: 3_600_000,
      overdueEveryMs: 86_400_000,
    });
    await publish(postmortem.id, 'bob');
    expect(await read({ postmortemId: postmortem.id })).toMatchObject({
      status: 'published',
      publications: 1,
      publication: { seq: 3, by: 'bob', at: '2026-05-02T00:00:00.000Z' },
    });
    await store.setStatus(postmortem.id, { from: 'published', to: 'draft', actor: 'alice', at: AT, reason: 'more' });
    const reopened = await read({ postmortemId: postmortem.id });
    expect(reopened).toMatchObject({ status: 'draft', publications: 1 });
    expect(reopened.publication).toBeUndefined();
    expect(await read({ postmortemId: 'no-such-postmortem' })).toMatchObject({ found: false });
  });
});

describe('sendReviewNotice', () => {
  it('reminds the facilitators for the due date planned, and skips a reminder whose date moved', async () => {
    const { postmortem } = await store.createPostmortem(
      newPostmortem({ title: 'Leaked key', reviewDueAt: '2026-05-06T09:00:00Z' }),
    );
    const before = smtp.messages.length;
    const planned = { postmortemId: postmortem.id, idempotencyKey: `k-${postmortem.id}-1` };
    const result = await send({ ...planned, kind: 'review-reminder', reviewDueAt: '2026-05-06T09:00:00.000Z' });
    expect(result).toEqual({ sent: ['alice@example.com'], unreachable: [] });
    expect(await received(before)).toEqual([
      expect.objectContaining({
        to: 'alice@example.com',
        subject: 'Post-mortem review due 6 May 2026, 09:00 UTC: Leaked key',
      }),
    ]);

    await store.setReviewDue(postmortem.id, '2026-05-20T09:00:00Z', { actor: 'alice', at: AT });
    const after = smtp.messages.length;
    const stale = await send({ ...planned, kind: 'review-overdue', reviewDueAt: '2026-05-06T09:00:00.000Z' });
    expect(stale).toEqual({ sent: [], unreachable: [], skipped: 'stale' });
    await publish(postmortem.id, 'alice');
    const published = await send({ ...planned, kind: 'review-overdue', reviewDueAt: '2026-05-20T09:00:00.000Z' });
    expect(published.skipped).toBe('stale');
    expect(smtp.messages.length).toBe(after);
  });

  it('sends the summary of the publication in force to the audience, and nothing for an older one', async () => {
    const { postmortem } = await store.createPostmortem(
      newPostmortem({
        title: 'Leaked key',
        people: { facilitators: ['alice'], reviewers: ['bob'], audience: ['role:all-staff', 'ops@example.com'] },
      }),
    );
    await store.editSection(postmortem.id, 'lessons', 'Keys need an owner.', {
      author: 'alice',
      at: AT,
      baseRevision: 0,
    });
    await store.addActionItem({
      postmortemId: postmortem.id,
      title: 'Rotate keys nightly',
      owner: 'role:security',
      priority: 'p2',
      createdBy: 'alice',
      createdAt: AT,
    });
    await publish(postmortem.id, 'bob');
    const before = smtp.messages.length;
    const first = { postmortemId: postmortem.id, kind: 'postmortem-published' as const, publication: 3 };
    const result = await send({ ...first, idempotencyKey: `postmortem:${postmortem.id}:published:3` });
    expect(result.sent.sort()).toEqual(['carol@example.com', 'ops@example.com']);
    const mails = await received(before);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Post-mortem published: Leaked key',
      'Post-mortem published: Leaked key',
    ]);
    expect(mails[0]?.text).toContain('Summary\n(not written)');
    expect(mails[0]?.text).toContain('Lessons learned\nKeys need an owner.');
    expect(mails[0]?.text).toContain('- Rotate keys nightly (owner role:security, open)');

    // Reopened and published again: the first publication is stale, the second says "updated".
    await store.setStatus(postmortem.id, { from: 'published', to: 'draft', actor: 'alice', at: AT, reason: 'more' });
    await publish(postmortem.id, 'alice');
    const again = smtp.messages.length;
    expect(await send({ ...first, idempotencyKey: 'old' })).toMatchObject({ skipped: 'stale' });
    expect(smtp.messages.length).toBe(again);
    await send({ ...first, publication: 6, idempotencyKey: `postmortem:${postmortem.id}:published:6` });
    const updated = await received(again);
    expect(updated.map((mail) => mail.subject)).toEqual([
      'Post-mortem updated: Leaked key',
      'Post-mortem updated: Leaked key',
    ]);
    expect(updated[0]?.text).toContain('was reopened and published again by alice');
  });

  it('reports nobody reachable when the post-mortem names no audience', async () => {
    const { postmortem } = await store.createPostmortem(
      newPostmortem({ people: { facilitators: ['alice'], reviewers: [], audience: [] } }),
    );
    await publish(postmortem.id, 'alice');
    const result = await send({
      postmortemId: postmortem.id,
      kind: 'postmortem-published',
      publication: 3,
      idempotencyKey: 'nobody',
    });
    expect(result).toEqual({ sent: [], unreachable: [], skipped: 'nobody-reachable' });
  });
});
