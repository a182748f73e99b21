/**
 * `notify` steps end to end against real receivers: a loopback SMTP server, a webhook receiver that
 * verifies signatures, and the status page in a filesystem blob store. Facts confirmed -> rendered ->
 * outsiders refused -> the fingerprint approved -> exactly that text received; a fact changed after a vote
 * voids it; a suspected fact renders with its caveat; a 550 fails the step with the server's reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlob, statusPageKeys } from '../../src/channels/statuspage.js';
import { ChannelsConfigSchema } from '../../src/config/channels-schema.js';
import { FirebreakError } from '../../src/domain/errors.js';
import type { IncidentState, MessageRecord } from '../../src/domain/state.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { startWebhookReceiver, type WebhookReceiver } from '../adapters/channels/webhook-receiver.js';
import { eventually } from '../support/poll.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import {
  alice,
  bob,
  carol,
  dave,
  erin,
  mallory,
  projectRoot,
  startTestEnv,
  stepOf,
  waitForState,
  waitForStep,
  type TestEnv,
} from '../support/temporal.js';

let env: TestEnv;
let smtp: TestSmtpServer;
let hooks: WebhookReceiver;
let dataDir: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  hooks = await startWebhookReceiver();
  hooks.secrets.set('ops', 'ops-hook-secret');
  dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-notify-'));
  const channels = ChannelsConfigSchema.parse({
    email: { from: 'Firebreak <firebreak@example.com>', smtp: { host: '127.0.0.1', port: smtp.port } },
    webhook: {
      allow: ['http://127.0.0.1:*'],
      endpoints: {
        ops: { url: `${hooks.baseUrl}/hooks/ops`, format: 'json', secret: 'env:OPS_HOOK_SECRET' },
        chat: { url: `${hooks.baseUrl}/hooks/chat`, format: 'slack' },
      },
    },
  });
  env = await startTestEnv({
    env: { OPS_HOOK_SECRET: 'ops-hook-secret' },
    configure: (config) => ({ ...config, channels }),
    templates: [path.join(projectRoot, 'test/fixtures/notify-templates')],
    dataDir,
  });
});
afterAll(async () => {
  await env?.close();
  await smtp?.close();
  await hooks?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function runbook(id: string, notify: string, options: { parallel?: boolean } = {}): string {
  const scope = `
  - id: scope
    title: Establish what was accessed
    task: Review the access logs
    assignee: role:security
    sets: [recordsAffected, dataCategories]
  - id: tell
    title: Tell the customers
${notify}`;
  // In parallel, the message is reached before its facts are established, so it waits for them.
  const steps = options.parallel
    ? `
  - id: both
    title: Scope and tell
    parallel:
${scope.replace(/\n/g, '\n    ')}`
    : scope;
  return `
apiVersion: firebreak/v1
id: ${id}
title: Customer data exposure
version: 1
severity: sev1
roles:
  commander: { sender: { name: Incident desk, email: desk@example.com } }
  security: {}
  legal: { escalateTo: ciso }
  ciso: {}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:${steps}
`;
}

const emailToCustomers = `
    notify:
      message: breach-notice
      channels: [email]
      to: { email: [customer@example.net] }
      from: role:commander
      approvers: [role:legal]
      requires: [recordsAffected, dataCategories]`;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FirebreakError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

function messageOf(state: IncidentState, step = 'tell'): MessageRecord {
  const record = state.messages?.[step];
  if (!record) throw new Error(`no message for ${step}`);
  return record;
}

const waitForMessage = (id: string, status: string, step = 'tell') =>
  waitForState(env.incidents, id, (s) => s.messages?.[step]?.status === status);

async function mailsTo(recipient: string, count = 1) {
  const found = await eventually(
    () => {
      const mails = smtp.messages.filter((m) => m.recipient === recipient);
      return mails.length >= count ? mails : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 100, what: `no mail to ${recipient}` },
  );
  return Promise.all(found.map((m) => PostalMime.parse(m.raw)));
}

describe('a message approved word for word', () => {
  it('waits for confirmed facts, refuses outsiders and stale fingerprints, and sends exactly the approved text', async () => {
    const id = await env.trigger(env.compile(runbook('notify-e2e', emailToCustomers, { parallel: true })));
    const waiting = await waitForMessage(id, 'waiting_for_facts');
    expect(messageOf(waiting).waitingFor).toEqual(['recordsAffected', 'dataCategories']);
    expect(stepOf(waiting, 'tell').prompt).toBe('Waiting for confirmed facts: recordsAffected, dataCategories');

    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 1200 }, dataCategories: { value: ['names', 'e-mail addresses'] } },
    });
    const pending = await waitForMessage(id, 'pending_approval');
    const message = messageOf(pending);
    const fingerprint = message.fingerprint!;
    expect(fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pending.pending.find((p) => p.step === 'tell')).toMatchObject({ kind: 'approval', fingerprint });
    const [email] = message.channels;
    expect(email?.recipients).toEqual(['customer@example.net']);
    expect(email?.parts.text).toContain('We found that 1,200 records were accessed.');
    expect(email?.parts.text).toContain('Data involved: names and e-mail addresses.');
    // Sent in the name of the from role, not of its first member (alice), who neither wrote nor approved it.
    expect(message.from).toEqual({ id: 'role:commander', name: 'Incident desk', email: 'desk@example.com' });
    expect(email?.parts.text).toMatch(/\nIncident desk, Customer data exposure\n?$/);
    expect(email?.parts.text).not.toContain('alice');

    const vote = (actor: typeof carol, textHash?: string) =>
      env.incidents.vote(id, { actor, step: 'tell', vote: 'approve', ...(textHash ? { textHash } : {}) });
    expect((await refusal(vote(mallory, fingerprint))).code).toBe('FORBIDDEN');
    expect((await refusal(vote(bob, fingerprint))).message).toMatch(/needs role:legal/);
    expect((await refusal(vote(carol))).code).toBe('INVALID_INPUT');
    expect((await refusal(vote(carol, `sha256:${'0'.repeat(64)}`))).code).toBe('CONFLICT');
    expect(smtp.messages.filter((m) => m.recipient === 'customer@example.net')).toHaveLength(0);

    await vote(carol, fingerprint);
    const sent = await waitForMessage(id, 'sent');
    const [mail] = await mailsTo('customer@example.net');
    expect(mail?.text?.replace(/\r\n/g, '\n')).toBe(email?.parts.text);
    expect(mail?.subject).toBe(email?.parts.subject);
    expect(mail?.headers.find((h) => h.key === 'x-firebreak-fingerprint')?.value).toBe(fingerprint);
    expect(mail?.from).toEqual({ name: 'Incident desk', address: 'desk@example.com' });
    expect(mail?.replyTo).toBeUndefined();
    const record = messageOf(sent);
    expect(record.sent).toHaveLength(1);
    expect(record.sent[0]?.approvedBy).toEqual(['carol']);
    expect(record.sent[0]?.deliveries[0]?.messageIds[0]).toBe(mail?.messageId);
    expect(sent.approvals.tell?.status).toBe('approved');
    expect(sent.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(['message.rendered', 'message.approval_requested', 'message.approved', 'message.sent']),
    );
    await waitForState(env.incidents, id, (s) => s.status === 'completed');
  });

  it('voids votes when a fact the message uses changes, says why, and sends the re-rendered text', async () => {
    const notify = emailToCustomers
      .replace('approvers: [role:legal]', 'approvers: [role:legal, role:ciso]')
      .replace('customer@example.net', 'void@example.net');
    const id = await env.trigger(env.compile(runbook('notify-void', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 1200 }, dataCategories: { value: ['names'] } },
    });
    const first = messageOf(await waitForMessage(id, 'pending_approval')).fingerprint!;
    await env.incidents.vote(id, { actor: carol, step: 'tell', vote: 'approve', textHash: first });
    await env.incidents.setFact(id, { actor: erin, name: 'recordsAffected', value: 1500 });
    const again = await waitForState(
      env.incidents,
      id,
      (s) => s.messages?.tell?.status === 'pending_approval' && s.messages.tell.fingerprint !== first,
    );
    const record = messageOf(again);
    expect(record.votes).toEqual([]);
    expect(record.voided).toHaveLength(1);
    expect(record.voided[0]).toMatchObject({
      fingerprint: first,
      votes: [expect.objectContaining({ voter: 'carol' })],
    });
    expect(record.voided[0]?.reason).toContain('recordsAffected was set to 1500 (confirmed) by erin');
    expect(again.timeline.find((e) => e.type === 'message.votes_voided')?.message).toContain(
      '1 vote(s) on tell are void',
    );
    expect(record.channels[0]?.parts.text).toContain('1,500 records');
    // The old fingerprint no longer counts; both roles approve the new one.
    expect(
      (await refusal(env.incidents.vote(id, { actor: dave, step: 'tell', vote: 'approve', textHash: first }))).code,
    ).toBe('CONFLICT');
    for (const actor of [carol, dave]) {
      await env.incidents.vote(id, { actor, step: 'tell', vote: 'approve', textHash: record.fingerprint! });
    }
    await waitForMessage(id, 'sent');
    const mails = await mailsTo('void@example.net');
    expect(mails).toHaveLength(1);
    expect(mails[0]?.text).toContain('1,500 records');
  });

  it('renders a suspected fact with its caveat, and enforces four-eyes on who set the facts', async () => {
    const notify = `
    notify:
      message: breach-notice
      channels: [email]
      to: { email: [suspect@example.net] }
      from: role:commander
      approvers: [role:security]
      fourEyes: true
      requires: [dataCategories]`;
    const id = await env.trigger(env.compile(runbook('notify-suspected', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 1200, confirmed: false }, dataCategories: { value: ['names'] } },
    });
    const pending = messageOf(await waitForMessage(id, 'pending_approval'));
    expect(pending.channels[0]?.parts.text).toContain('up to 1,200 records (still under investigation)');
    const fourEyes = await refusal(
      env.incidents.vote(id, { actor: bob, step: 'tell', vote: 'approve', textHash: pending.fingerprint! }),
    );
    expect(fourEyes).toEqual({
      code: 'FORBIDDEN',
      message: expect.stringContaining('Four-eyes rule: bob last set dataCategories, recordsAffected') as string,
    });
    await env.incidents.vote(id, { actor: erin, step: 'tell', vote: 'approve', textHash: pending.fingerprint! });
    const [mail] = await mailsTo('suspect@example.net');
    expect(mail?.text).toContain('up to 1,200 records (still under investigation)');
  });

  it('with distinct: 2, waits for a second person of the approver role before sending', async () => {
    const notify = `
    notify:
      message: breach-notice
      channels: [email]
      to: { email: [two-people@example.net] }
      from: role:commander
      approvers: [role:security]
      distinct: 2
      requires: [recordsAffected, dataCategories]`;
    const id = await env.trigger(env.compile(runbook('notify-distinct', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 10 }, dataCategories: { value: ['names'] } },
    });
    const pending = messageOf(await waitForMessage(id, 'pending_approval'));
    const textHash = pending.fingerprint!;
    await env.incidents.vote(id, { actor: bob, step: 'tell', vote: 'approve', textHash });
    expect(
      await refusal(
        env.incidents.vote(id, { actor: { id: 'bob@example.com' }, step: 'tell', vote: 'approve', textHash }),
      ),
    ).toMatchObject({ code: 'CONFLICT' });
    const waiting = await env.incidents.state(id);
    expect(messageOf(waiting)).toMatchObject({ status: 'pending_approval', distinct: 2, distinctApprovers: ['bob'] });
    expect(waiting.approvals.tell).toMatchObject({ status: 'pending', distinct: 2, distinctApprovers: ['bob'] });
    await env.incidents.vote(id, { actor: erin, step: 'tell', vote: 'approve', textHash });
    await mailsTo('two-people@example.net');
    const sent = await waitForMessage(id, 'sent');
    expect(sent.approvals.tell).toMatchObject({ status: 'approved', distinctApprovers: ['bob', 'erin'] });
  });

  it('fails the step with the SMTP server reason when a recipient is refused (550), without retrying', async () => {
    smtp.rejected.add('gone@example.net');
    const notify = emailToCustomers.replace('customer@example.net', 'gone@example.net');
    const id = await env.trigger(env.compile(runbook('notify-550', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 3 }, dataCategories: { value: ['names'] } },
    });
    const fingerprint = messageOf(await waitForMessage(id, 'pending_approval')).fingerprint!;
    await env.incidents.vote(id, { actor: carol, step: 'tell', vote: 'approve', textHash: fingerprint });
    const failed = await waitForState(env.incidents, id, (s) => s.status === 'aborted');
    expect(stepOf(failed, 'tell').error).toEqual({
      code: 'DELIVERY_REJECTED',
      message: expect.stringMatching(
        /gone@example\.net: rejected by the SMTP server: 550 5\.1\.1 <gone@example\.net>: mailbox unavailable/,
      ) as string,
    });
    expect(messageOf(failed).status).toBe('failed');
  });
});

describe('webhook, chat and status page', () => {
  it('sends one approved message to a signed JSON webhook, a Slack-format chat and the status page', async () => {
    const notify = `
    notify:
      message: breach-notice
      channels: [webhook, chat, statuspage]
      to: { webhook: [ops], chat: [chat] }
      from: role:commander
      requires: [recordsAffected, dataCategories]`;
    const id = await env.trigger(env.compile(runbook('notify-hooks', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 42 }, dataCategories: { value: ['names'] } },
    });
    const sent = messageOf(await waitForMessage(id, 'sent'));
    const ops = hooks.requests.find((r) => r.name === 'ops' && r.body.includes(id));
    expect(ops?.verified).toBe(true);
    expect(ops?.body).toBe(sent.channels.find((c) => c.channel === 'webhook')?.parts.json);
    expect(JSON.parse(ops?.body ?? '{}')).toEqual({ incident: id, categories: 'names', records: '42' });
    const chat = hooks.requests.find((r) => r.name === 'chat' && r.body.includes('42 records'));
    expect((JSON.parse(chat?.body ?? '{}') as { text: string }).text).toBe(
      sent.channels.find((c) => c.channel === 'chat')?.parts.text,
    );
    const store = await createFsStore({ dir: path.join(dataDir, 'blobs') });
    const keys = statusPageKeys();
    const { publicId } = JSON.parse((await readBlob(store, keys.history(id))).toString('utf8')) as { publicId: string };
    const page = (await readBlob(store, keys.incidentPage(publicId))).toString('utf8');
    expect(page).not.toContain(id);
    expect(page).toContain('Unauthorised access to 42 accounts (names).');
    expect(sent.approvers).toEqual([]);
  });
});

describe('who may act', () => {
  it('lets nobody vote on a message that needs no approval, and alice cannot vote for legal', async () => {
    const notify = emailToCustomers.replace('customer@example.net', 'roles@example.net');
    const id = await env.trigger(env.compile(runbook('notify-roles', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 7 }, dataCategories: { value: ['names'] } },
    });
    const fingerprint = messageOf(await waitForMessage(id, 'pending_approval')).fingerprint!;
    expect(
      (await refusal(env.incidents.vote(id, { actor: alice, step: 'tell', vote: 'approve', textHash: fingerprint })))
        .code,
    ).toBe('FORBIDDEN');
    await env.incidents.vote(id, { actor: carol, step: 'tell', vote: 'reject', comment: 'wording' });
    const rejected = await waitForState(env.incidents, id, (s) => s.status === 'aborted');
    expect(messageOf(rejected).status).toBe('rejected');
    expect(stepOf(rejected, 'tell').error?.code).toBe('APPROVAL_REJECTED');
  });

  it('escalates an unapproved message to the escalation role when its timeout passes', async () => {
    const notify = emailToCustomers
      .replace('customer@example.net', 'escalated@example.net')
      .replace('    notify:', '    timeout: 3s\n    notify:')
      .concat('\n      onTimeout: escalate');
    const id = await env.trigger(env.compile(runbook('notify-escalate', notify)));
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 9 }, dataCategories: { value: ['names'] } },
    });
    const fingerprint = messageOf(await waitForMessage(id, 'pending_approval')).fingerprint!;
    // dave (ciso) may not vote until legal's time is up.
    const early = env.incidents.vote(id, { actor: dave, step: 'tell', vote: 'approve', textHash: fingerprint });
    expect((await refusal(early)).code).toBe('FORBIDDEN');
    const escalated = await waitForState(env.incidents, id, (s) => s.timeline.some((e) => e.type === 'escalated'));
    expect(escalated.pending.find((p) => p.step === 'tell')?.actors).toEqual(['role:legal', 'role:ciso']);
    await env.incidents.vote(id, { actor: dave, step: 'tell', vote: 'approve', textHash: fingerprint });
    const sent = await waitForMessage(id, 'sent');
    expect(messageOf(sent).sent[0]?.approvedBy).toEqual(['dave']);
    expect(sent.approvals.tell?.escalated).toBe(true);
  });
});
