/**
 * Delivery semantics of `notify` at the worst moment: the SMTP server accepted the message but the
 * attempt did not complete (a worker that died right after the server's 250 looks exactly like this to
 * Temporal). The activity runs again and the recipient gets a duplicate, carrying the same Message-ID, so
 * mail clients thread it as one message. The incident records one delivery.
 */
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailChannel } from '../../src/channels/email.js';
import { createMessageRouter } from '../../src/channels/router.js';
import type { MessageRouter } from '../../src/channels/types.js';
import { ErrorCode, FirebreakError } from '../../src/domain/errors.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { bob, carol, projectRoot, startTestEnv, waitForState, waitForStep, type TestEnv } from '../support/temporal.js';

let env: TestEnv;
let smtp: TestSmtpServer;
let attempts = 0;

beforeAll(async () => {
  smtp = await startSmtpServer();
  const router = createMessageRouter({
    email: createEmailChannel({
      from: 'Firebreak <firebreak@example.com>',
      smtp: { host: '127.0.0.1', port: smtp.port },
      secrets: createSecretResolver({ env: {}, baseDir: projectRoot }),
    }),
    webhookEndpoints: {},
  });
  // The first attempt delivers for real, then is lost before it can report back.
  const crashingOnce: MessageRouter = {
    async send(input) {
      const result = await router.send(input);
      attempts += 1;
      if (attempts === 1) throw new FirebreakError(ErrorCode.Transient, 'worker lost after the server accepted');
      return result;
    },
  };
  env = await startTestEnv({
    messages: crashingOnce,
    templates: [path.join(projectRoot, 'test/fixtures/notify-templates')],
  });
});
afterAll(async () => {
  await env?.close();
  await smtp?.close();
});

describe('at-least-once delivery with stable ids', () => {
  it('sends a duplicate with the same Message-ID when an attempt is lost after the server accepted', async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: notify-duplicate
title: Duplicate delivery
version: 1
severity: sev2
roles: { commander: {}, security: {}, legal: {} }
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:
  - { id: scope, title: Scope, task: Scope it, assignee: role:security, sets: [recordsAffected, dataCategories] }
  - id: tell
    title: Tell
    retry: { maxAttempts: 3, initialInterval: 1s }
    notify:
      message: breach-notice
      channels: [email]
      to: { email: [twice@example.net] }
      from: role:commander
      approvers: [role:legal]
      requires: [recordsAffected]
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 5 }, dataCategories: { value: ['names'] } },
    });
    const pending = await waitForState(env.incidents, id, (s) => s.messages?.tell?.status === 'pending_approval');
    const fingerprint = pending.messages!.tell!.fingerprint!;
    await env.incidents.vote(id, { actor: carol, step: 'tell', vote: 'approve', textHash: fingerprint });
    const done = await waitForState(env.incidents, id, (s) => s.status === 'completed');

    const copies = smtp.messages.filter((m) => m.recipient === 'twice@example.net');
    expect(copies).toHaveLength(2);
    const [first, second] = await Promise.all(copies.map((m) => PostalMime.parse(m.raw)));
    expect(first?.messageId).toMatch(/^<[0-9a-f]{64}@example\.com>$/);
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.text).toBe(first?.text);
    const record = done.messages!.tell!;
    expect(record.sent).toHaveLength(1);
    expect(record.sent[0]?.deliveries[0]?.messageIds).toEqual([first?.messageId]);
    expect(done.timeline.filter((e) => e.type === 'message.delivered')).toHaveLength(1);
  });
});
