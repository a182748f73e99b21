/**
 * `sendNotice` against a real SMTP server on loopback: recipients resolved over the roster (ids, roles,
 * addresses), every kind's templates rendered strictly, a stable Message-ID per notice and recipient, and
 * nobody reachable reported rather than failed.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNoticeActivities } from '../../../activities/notices.js';
import { createEmailChannel } from '../../../src/channels/email.js';
import { createMessageRouter } from '../../../src/channels/router.js';
import { NOTICE_KINDS, type NoticeInput, type NoticeKind } from '../../../src/domain/notice.js';
import type { JsonValue } from '../../../src/domain/plan.js';
import { resolveNoticeRecipients } from '../../../src/notices/recipients.js';
import { NoticeTemplates } from '../../../src/notices/render.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js';
import { projectRoot } from '../../support/temporal.js';

const roster = [
  { id: 'alice', name: 'Alice', email: 'alice@example.com', roles: ['commander'] },
  { id: 'bob', email: 'bob@example.com', roles: ['security', 'commander'] },
  { id: 'carol', roles: ['security'] },
];
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

const postmortem = {
  id: 'pm_1',
  title: 'Leaked deploy key <b>&',
  incidentId: 'credential-leak-20261201-ab12cd34',
  status: 'in-review',
  severity: 'sev2',
  runbookId: 'credential-leak',
  outcome: 'completed',
  reviewDueAt: '2026-12-08T09:00:00.000Z',
  facilitators: ['alice'],
  reviewers: ['bob'],
};
const item = {
  id: 'ai_1',
  title: 'Rotate deploy keys nightly',
  owner: 'alice',
  status: 'open',
  priority: 'p2',
  dueAt: '2026-12-20T17:00:00.000Z',
};
/** Data each kind's templates need, as the workflows that send them pass it. */
const DATA: Record<NoticeKind, Record<string, JsonValue>> = {
  'review-reminder': { postmortem, timeZone: 'Europe/Paris' },
  'review-overdue': { postmortem, timeZone: 'UTC' },
  'postmortem-published': {
    postmortem,
    publishedBy: 'alice',
    publishedAt: '2026-12-07T10:00:00.000Z',
    summary: 'A deploy key leaked in a public gist.',
    lessons: 'Scan gists for our keys.',
    actionItems: [item],
    timeZone: 'UTC',
  },
  'action-item-reminder': { item, postmortem, timeZone: 'UTC' },
  'action-item-overdue': { item, postmortem, timeZone: 'UTC' },
  'verification-failed': {
    item,
    postmortem,
    verification: { runbook: 'files-restore-drill', incidentId: 'files-restore-drill-1', reason: 'the drill failed' },
    timeZone: 'UTC',
  },
};

describe('notice recipients', () => {
  it('resolves ids, roles and addresses once each, and reports who has no address', () => {
    const resolved = resolveNoticeRecipients(
      [
        'alice',
        'role:commander',
        'Dpo@Example.com',
        'dpo@example.com',
        'carol',
        'role:nobody',
        'mallory',
        'x@y\r\nBcc: z@w',
      ],
      roster,
    );
    expect(resolved.addresses).toEqual(['alice@example.com', 'bob@example.com', 'Dpo@Example.com']);
    expect(resolved.unreachable).toEqual(['carol', 'role:nobody', 'mallory', 'x@y\r\nBcc: z@w']);
  });

  it('never finds a person through the prototype', () => {
    expect(resolveNoticeRecipients(['constructor', 'role:toString', '__proto__'], roster)).toEqual({
      addresses: [],
      unreachable: ['constructor', 'role:toString', '__proto__'],
    });
  });
});

describe('notice templates', () => {
  const templates = new NoticeTemplates();

  it.each(NOTICE_KINDS)('%s renders from its data, as plain text, with a one-line subject', (kind) => {
    const rendered = templates.render(kind, DATA[kind]);
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.subject.length).toBeGreaterThan(10);
    expect(rendered.text).not.toMatch(/&lt;|&amp;|\{\{/);
  });

  it('names the template and the variable when the data lacks one', () => {
    expect(() => templates.render('review-reminder', { timeZone: 'UTC' })).toThrow(
      /notice review-reminder: .*review-reminder\/email\.subject\.hbs: .*postmortem/,
    );
  });

  it('shows times in the time zone it is given', () => {
    const text = templates.render('review-reminder', DATA['review-reminder']).text;
    expect(text).toContain('8 December 2026, 10:00 CET');
  });
});

describe('sendNotice over SMTP', () => {
  let smtp: TestSmtpServer;
  let sendNotice: (input: NoticeInput) => ReturnType<ReturnType<typeof createNoticeActivities>['sendNotice']>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const messages = createMessageRouter({
      email: createEmailChannel({
        from: 'Firebreak <firebreak@example.com>',
        smtp: { host: '127.0.0.1', port: smtp.port },
        secrets: createSecretResolver({ env: {}, baseDir: projectRoot }),
      }),
      webhookEndpoints: {},
    });
    const activities = createNoticeActivities({ messages, roster, logger: silent });
    sendNotice = (input) => new MockActivityEnvironment().run(activities.sendNotice, input);
  });
  afterAll(() => smtp.close());

  const notice = (overrides: Partial<NoticeInput> = {}): NoticeInput => ({
    kind: 'postmortem-published',
    to: ['role:commander', 'carol'],
    data: DATA['postmortem-published'],
    idempotencyKey: `test:${Math.random()}`,
    about: { kind: 'postmortem', id: 'pm_1' },
    ...overrides,
  });

  it('delivers the rendered notice to every address, from Firebreak, with stable ids', async () => {
    const input = notice();
    const before = smtp.messages.length;
    const result = await sendNotice(input);
    expect(result).toEqual({ sent: ['alice@example.com', 'bob@example.com'], unreachable: ['carol'] });
    const mails = await Promise.all(smtp.messages.slice(before).map((mail) => PostalMime.parse(mail.raw)));
    expect(mails.map((mail) => mail.to?.map((to) => to.address).join()).sort()).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    const [first] = mails;
    expect(first?.subject).toBe('Post-mortem published: Leaked deploy key <b>&');
    expect(first?.from).toMatchObject({ name: 'Firebreak', address: 'firebreak@example.com' });
    expect(first?.text).toContain('Scan gists for our keys.');
    expect(first?.text).toContain('- Rotate deploy keys nightly (owner alice, open, due 20 December 2026)');
    const header = (key: string) => first?.headers.find((entry) => entry.key === key)?.value;
    expect(header('x-firebreak-incident')).toBe('postmortem:pm_1');
    expect(header('x-firebreak-step')).toBe('notice:postmortem-published');

    // A retry of the same notice gives each recipient the same Message-ID.
    const again = smtp.messages.length;
    await sendNotice(input);
    const retried = await Promise.all(smtp.messages.slice(again).map((mail) => PostalMime.parse(mail.raw)));
    expect(retried.map((mail) => mail.messageId).sort()).toEqual(mails.map((mail) => mail.messageId).sort());
  });

  it('reports nobody reachable instead of failing, and sends nothing', async () => {
    const before = smtp.messages.length;
    const result = await sendNotice(notice({ to: ['carol', 'role:nobody'] }));
    expect(result).toEqual({ sent: [], unreachable: ['carol', 'role:nobody'], skipped: 'nobody-reachable' });
    expect(smtp.messages.length).toBe(before);
  });

  it('fails without retrying when the data does not fit the template', async () => {
    await expect(sendNotice(notice({ kind: 'verification-failed', data: { timeZone: 'UTC' } }))).rejects.toMatchObject({
      type: 'INVALID_INPUT',
      nonRetryable: true,
    });
  });

  it('skips, saying why, on a worker without channels', async () => {
    const bare = createNoticeActivities({ roster, logger: silent });
    const result = await new MockActivityEnvironment().run(bare.sendNotice, notice());
    expect(result).toEqual({ sent: [], unreachable: ['carol'], skipped: 'no-email-channel' });
  });
});
