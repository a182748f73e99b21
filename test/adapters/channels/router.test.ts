/**
 * The message router built from config (`messageRouterFromConfig`) over real adapters: email into the
 * `.eml` outbox, webhook (json) and chat (slack) to a loopback receiver that verifies signatures, and the
 * status page into the default filesystem blob store. Then the refusals, which never reach a receiver.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageRouterFromConfig } from '../../../src/channels/from-config.js';
import { createMessageRouter } from '../../../src/channels/router.js';
import type { MessageRouter } from '../../../src/channels/types.js';
import { ChannelsConfigSchema } from '../../../src/config/index.js';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../../../src/domain/errors.js';
import type { SendMessageInput } from '../../../src/domain/notify.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { blobStoreFromConfig } from '../../../src/storage/from-config.js';
import { startSmtpServer } from '../../support/smtp-server.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const OPS_SECRET = 'whsec-router-ops-0123456789';
let receiver: WebhookReceiver;
let dataDir: string;
let store: BlobStore;
let router: MessageRouter;
const logged: Array<{ fields: Record<string, unknown>; message: string }> = [];

const logger = {
  info: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }),
  warn: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }),
  error: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }),
};

function input(overrides: Partial<SendMessageInput>): SendMessageInput {
  return {
    incidentId: 'inc-2024-0042',
    stepId: 'notify-dpo',
    channel: 'email',
    to: [],
    from: { id: 'alice', name: 'Alice Example', email: 'alice@example.com' },
    parts: {},
    fingerprint: 'sha256:0f0f',
    idempotencyKey: 'inc-2024-0042:notify-dpo:0',
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  expect(NON_RETRYABLE_CODES).toContain((error as FirebreakError).code);
  return error as FirebreakError;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  receiver.secrets.set('ops', OPS_SECRET);
  dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-router-'));
  const secrets = createSecretResolver({
    env: { OPS_SECRET, CHAT_URL: `${receiver.baseUrl}/hooks/team-chat` },
    baseDir: dataDir,
  });
  store = await blobStoreFromConfig(undefined, { dataDir, secrets });
  const channels = ChannelsConfigSchema.parse({
    email: { from: 'Firebreak <firebreak@example.com>' },
    webhook: {
      allow: ['http://127.0.0.1:*'],
      timeout: '5s',
      endpoints: {
        ops: { url: `${receiver.baseUrl}/hooks/ops`, secret: 'env:OPS_SECRET' },
        'team-chat': { url: 'env:CHAT_URL', format: 'slack' },
      },
    },
    statuspage: { title: 'Example status' },
  });
  router = await messageRouterFromConfig({ channels }, { dataDir, secrets, logger, store });
});

afterAll(async () => {
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  receiver.requests.length = 0;
});

describe('messageRouterFromConfig', () => {
  it('says once, at build time, that email goes to the outbox and nothing is sent', () => {
    const outbox = logged.filter((line) => line.message.includes('.eml'));
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.fields).toEqual({ directory: path.join(dataDir, 'outbox') });
    expect(JSON.stringify(logged)).not.toContain(OPS_SECRET);
  });

  it('writes email to <dataDir>/outbox from the sender, and reports the delivery', async () => {
    const result = await router.send(
      input({ to: ['dpo@example.com'], parts: { subject: 'Breach notice', text: 'We are investigating.' } }),
    );
    expect(result).toEqual({
      channel: 'email',
      accepted: ['dpo@example.com'],
      deliveries: [
        {
          recipient: 'dpo@example.com',
          messageId: expect.stringMatching(/^<[0-9a-f]{64}@example\.com>$/) as string,
          response: expect.stringContaining(path.join(dataDir, 'outbox')) as string,
        },
      ],
    });
    const files = readdirSync(path.join(dataDir, 'outbox'));
    expect(files).toHaveLength(1);
    const eml = readFileSync(path.join(dataDir, 'outbox', files[0] ?? ''), 'utf8');
    expect(eml).toContain('From: Alice Example <alice@example.com>');
    expect(eml).toContain('Subject: Breach notice');
    expect(eml).toContain('X-Firebreak-Fingerprint: sha256:0f0f');
  });

  it('sends webhook messages as signed JSON, byte for byte', async () => {
    const json = '{"incident":"inc-2024-0042", "records":1200}';
    const result = await router.send(input({ channel: 'webhook', to: ['ops'], parts: { json } }));
    expect(result.channel).toBe('webhook');
    expect(result.accepted).toEqual(['ops']);
    expect(result.deliveries[0]).toMatchObject({ recipient: 'ops', status: 204 });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ name: 'ops', body: json, verified: true });
  });

  it('sends chat messages in Slack format to an endpoint whose URL is a secret reference', async () => {
    const result = await router.send(
      input({ channel: 'chat', to: ['team-chat'], parts: { subject: 'Update', text: 'Contained.' } }),
    );
    expect(result).toMatchObject({ channel: 'chat', accepted: ['team-chat'] });
    expect(receiver.requests).toHaveLength(1);
    const body = JSON.parse(receiver.requests[0]?.body ?? '{}') as { text: string; blocks: unknown[] };
    expect(body.text).toBe('Contained.');
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Update' } });
  });

  it('publishes the status page into the blob store', async () => {
    const result = await router.send(input({ channel: 'statuspage', parts: { md: '# Investigating\n\nAll calm.' } }));
    const page = result.accepted[0] ?? '';
    expect(page).toMatch(/^status\/incidents\/[0-9a-f]{32}\/index\.html$/);
    expect(result).toEqual({
      channel: 'statuspage',
      accepted: [page],
      deliveries: [{ recipient: page, messageId: expect.stringMatching(/^[0-9a-f]{64}$/) as string }],
    });
    expect(await store.head(page)).toBeDefined();
    expect(await store.head('status/index.html')).toBeDefined();
    // The incident's history is kept beside the public prefix, never under it.
    expect(readdirSync(path.join(dataDir, 'blobs', 'objects')).sort()).toEqual(['status', 'status-history']);
  });
});

describe('messageRouterFromConfig with channels.email.smtp', () => {
  const env = { SMTP_USER: 'firebreak-mailer', SMTP_PASS: 'correct-horse-battery-staple' };
  const secrets = createSecretResolver({ env, baseDir: '/' });
  const smtpConfig = (port: number, tls?: { ca: string }) =>
    ChannelsConfigSchema.parse({
      email: {
        smtp: {
          host: '127.0.0.1',
          port,
          auth: { user: 'env:SMTP_USER', pass: 'env:SMTP_PASS' },
          allowPlaintextAuth: true, // the loopback test server has no TLS
          timeout: '5s',
          tls,
        },
      },
    });

  it('announces the configured EHLO name and envelope sender; Message-ID on the sender domain, replies to the sender', async () => {
    const server = await startSmtpServer({ auth: { user: env.SMTP_USER, pass: env.SMTP_PASS } });
    try {
      const channels = ChannelsConfigSchema.parse({
        email: {
          from: 'Firebreak <firebreak@mail.acme.example>',
          replyTo: 'incident-desk@acme.example',
          smtp: {
            host: '127.0.0.1',
            port: server.port,
            auth: { user: 'env:SMTP_USER', pass: 'env:SMTP_PASS' },
            allowPlaintextAuth: true,
            timeout: '5s',
            name: 'firebreak.acme.example',
            envelopeFrom: 'bounces@mail.acme.example',
          },
        },
      });
      const smtpRouter = await messageRouterFromConfig({ channels }, { dataDir, secrets, logger, store });
      const notice = { subject: 'Notice', text: 'Hello.' };
      await smtpRouter.send(
        input({
          idempotencyKey: 'smtp:ids:1',
          to: ['dpa@authority.example'],
          from: { id: 'dpo', name: 'Dana Fischer', email: 'dana@acme.example' },
          parts: notice,
        }),
      );
      // A sender without a mailbox writes from the default address; replies then go to the default Reply-To.
      await smtpRouter.send(
        input({ idempotencyKey: 'smtp:ids:2', to: ['ciso@acme.example'], from: { id: 'ic' }, parts: notice }),
      );
      const [dpo, ic] = await Promise.all(server.messages.map((mail) => PostalMime.parse(mail.raw)));
      expect(server.messages.map((mail) => [mail.clientHostname, mail.mailFrom])).toEqual([
        ['firebreak.acme.example', 'bounces@mail.acme.example'],
        ['firebreak.acme.example', 'bounces@mail.acme.example'],
      ]);
      expect(dpo?.from).toEqual({ name: 'Dana Fischer', address: 'dana@acme.example' });
      expect(dpo?.replyTo).toBeUndefined();
      expect(dpo?.messageId).toMatch(/^<[0-9a-f]{64}@acme\.example>$/);
      expect(ic?.from).toEqual({ name: 'Firebreak', address: 'firebreak@mail.acme.example' });
      expect(ic?.replyTo).toEqual([{ name: '', address: 'incident-desk@acme.example' }]);
      expect(ic?.messageId).toMatch(/^<[0-9a-f]{64}@mail\.acme\.example>$/);
    } finally {
      await server.close();
    }
  });

  it('refuses an EHLO name or envelope sender that is not one', () => {
    const bad = ChannelsConfigSchema.safeParse({
      email: {
        smtp: { host: '127.0.0.1', port: 25, name: 'mail.example.com\r\nRSET', envelopeFrom: 'not an address' },
      },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['email.smtp.name', 'expected a host name such as mail.example.com'],
      ['email.smtp.envelopeFrom', 'expected an e-mail address'],
    ]);
  });

  it('sends through the SMTP server instead of the outbox, and does not log the outbox line', async () => {
    const server = await startSmtpServer({ auth: { user: env.SMTP_USER, pass: env.SMTP_PASS } });
    const before = logged.length;
    try {
      const smtpRouter = await messageRouterFromConfig(
        { channels: smtpConfig(server.port) },
        { dataDir, secrets, logger, store },
      );
      const result = await smtpRouter.send(
        input({ idempotencyKey: 'smtp:1', to: ['dpo@example.com'], parts: { subject: 'Notice', text: 'Hello.' } }),
      );
      expect(result.accepted).toEqual(['dpo@example.com']);
      expect(result.deliveries[0]?.status).toBe(250);
      expect(server.messages.map((mail) => [mail.recipient, mail.user])).toEqual([['dpo@example.com', env.SMTP_USER]]);
      expect(logged.slice(before)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('fails to build when the CA file cannot be read, naming the setting and the file', async () => {
    const ca = path.join(dataDir, 'missing-ca.pem');
    const built = messageRouterFromConfig(
      { channels: smtpConfig(25, { ca: `file:${ca}` }) },
      { dataDir, secrets, logger, store },
    );
    await expect(built).rejects.toThrow(`channels.email.smtp.tls.ca: cannot read ${ca} (ENOENT)`);
  });
});

describe('router refusals (INVALID_INPUT, never retried, nothing sent)', () => {
  it('refuses an endpoint that is not configured, naming the known ones', async () => {
    const error = await refusal(
      router.send(input({ channel: 'webhook', to: ['ops', 'legal'], parts: { json: '{}' } })),
    );
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.message).toBe(
      'webhook endpoint "legal" is not configured under channels.webhook.endpoints (json endpoints: ops)',
    );
    expect(receiver.requests).toEqual([]);
  });

  it('refuses an endpoint of the other format, both ways', async () => {
    const chat = await refusal(router.send(input({ channel: 'chat', to: ['ops'], parts: { text: 'x' } })));
    expect(chat.message).toBe('chat sends to slack endpoints, but "ops" has format json (slack endpoints: team-chat)');
    const webhook = await refusal(router.send(input({ channel: 'webhook', to: ['team-chat'], parts: { json: '{}' } })));
    expect(webhook.message).toBe(
      'webhook sends to json endpoints, but "team-chat" has format slack (json endpoints: ops)',
    );
    expect(receiver.requests).toEqual([]);
  });

  it('refuses a channel that is not configured', async () => {
    const bare = createMessageRouter({ webhookEndpoints: {} });
    const email = await refusal(bare.send(input({ to: ['dpo@example.com'], parts: { subject: 's', text: 't' } })));
    expect(email.code).toBe(ErrorCode.InvalidInput);
    expect(email.message).toContain('the email channel is not configured');
    const page = await refusal(bare.send(input({ channel: 'statuspage', parts: { md: 'x' } })));
    expect(page.message).toContain('the statuspage channel is not configured');
    const chat = await refusal(bare.send(input({ channel: 'chat', to: ['team-chat'], parts: { text: 'x' } })));
    expect(chat.message).toContain('(slack endpoints: none)');
  });

  it('does not treat inherited object keys as endpoints', async () => {
    const error = await refusal(router.send(input({ channel: 'webhook', to: ['constructor'], parts: { json: '{}' } })));
    expect(error.message).toContain('"constructor" is not configured');
  });
});
