/** The webhook channel against a loopback receiver that verifies every signature with the shared secret. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookChannel, type WebhookChannelOptions } from '../../../src/channels/webhook.js';
import type { Channel } from '../../../src/channels/types.js';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { expectNoSecrets, runChannelConformance, sampleMessage } from './channel-conformance.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const SECRETS = { ops: 'whsec-ops-0123456789', legal: 'whsec-legal-abcdefgh', broken: 'whsec-broken-zzzz' };
const resolver = createSecretResolver({
  env: { OPS_SECRET: SECRETS.ops, LEGAL_SECRET: SECRETS.legal, BROKEN_SECRET: SECRETS.broken },
  baseDir: '/',
});
const json = '{"incident":"inc-2024-0042","summary":"Up to 1,200 records — still under investigation","n":[1, 2]}';

let receiver: WebhookReceiver;

function channel(overrides: Partial<WebhookChannelOptions> = {}): Channel {
  const url = (name: string) => `${receiver.baseUrl}/hooks/${name}`;
  return createWebhookChannel({
    endpoints: {
      ops: { url: url('ops'), format: 'json', secret: 'env:OPS_SECRET' },
      legal: { url: url('legal'), format: 'json', secret: 'env:LEGAL_SECRET' },
      broken: { url: url('broken'), format: 'json', secret: 'env:BROKEN_SECRET' },
      chat: { url: url('chat'), format: 'slack', secret: 'env:OPS_SECRET' },
    },
    allow: ['http://127.0.0.1:*'],
    secrets: resolver,
    timeoutMs: 5000,
    ...overrides,
  });
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  receiver.secrets.set('ops', SECRETS.ops);
  receiver.secrets.set('legal', SECRETS.legal);
  receiver.secrets.set('broken', SECRETS.broken);
  receiver.secrets.set('chat', SECRETS.ops);
});
afterAll(async () => {
  await receiver.close();
});

function send(to: string[], parts: Record<string, string> = { json }) {
  return channel().send(sampleMessage({ to, parts }));
}

runChannelConformance('webhook', () => ({
  channel: channel(),
  recipients: ['ops', 'legal'],
  parts: { json },
  secrets: Object.values(SECRETS),
  refusal: {
    recipient: 'broken',
    reason: /answered 400 unknown incident field "n"/,
    arm: () => receiver.answers.set('broken', { status: 400, body: 'unknown incident field "n"' }),
  },
  reset: () => {
    receiver.requests.length = 0;
    receiver.answers.clear();
    return Promise.resolve();
  },
  // Only requests whose signature verified and that were answered 2xx count as received.
  received: () =>
    Promise.resolve(
      receiver.requests
        .filter((request) => request.verified && !receiver.answers.has(request.name))
        .map((request) => ({
          recipient: request.name,
          deliveryId: String(request.headers['x-firebreak-delivery']),
          parts: { json: request.body },
        })),
    ),
}));

describe('webhook specifics', () => {
  it('signs, and sends the idempotency and audit headers', async () => {
    receiver.requests.length = 0;
    const message = sampleMessage({ to: ['ops'], parts: { json } });
    const receipt = await channel().send(message);
    const request = receiver.requests[0]!;
    expect(request.verified).toBe(true);
    expect(request.headers['x-firebreak-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(request.headers['idempotency-key']).toBe(`${message.idempotencyKey}:ops`);
    expect(request.headers['x-firebreak-delivery']).toBe(receipt.messageId);
    expect(request.headers['x-firebreak-fingerprint']).toBe(message.fingerprint);
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(receipt.status).toBe(204);
  });

  it.each([500, 503, 429, 408])('treats %i as retryable', async (status) => {
    receiver.answers.set('ops', { status, body: 'try later' });
    const error = await send(['ops']).catch((e: unknown) => e);
    receiver.answers.clear();
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.HttpStatus);
    expect(NON_RETRYABLE_CODES).not.toContain((error as FirebreakError).code);
    expect((error as FirebreakError).message).toContain(`answered ${status} try later`);
  });

  it('treats 400 as permanent with the status and a body excerpt', async () => {
    receiver.answers.set('ops', { status: 400, body: `bad payload ${'y'.repeat(500)}` });
    const error = await send(['ops']).catch((e: unknown) => e);
    receiver.answers.clear();
    expect((error as FirebreakError).code).toBe(ErrorCode.DeliveryRejected);
    expect((error as FirebreakError).message).toMatch(/answered 400 bad payload y+\.\.\.$/);
    expect((error as FirebreakError).message.length).toBeLessThan(300);
  });

  it('never puts the secret into an error, even when the receiver echoes it', async () => {
    receiver.answers.set('ops', { status: 403, body: `secret ${SECRETS.ops} is wrong` });
    const error = await send(['ops']).catch((e: unknown) => e);
    receiver.answers.clear();
    expect((error as FirebreakError).code).toBe(ErrorCode.DeliveryRejected);
    expectNoSecrets(error, Object.values(SECRETS));
  });

  it('classifies a refused connection as transient', async () => {
    const gone = await startWebhookReceiver();
    await gone.close();
    const error = await channel({ endpoints: { ops: { url: `${gone.baseUrl}/hooks/ops`, format: 'json' } } })
      .send(sampleMessage({ to: ['ops'], parts: { json } }))
      .catch((e: unknown) => e);
    expect((error as FirebreakError).code).toBe(ErrorCode.Transient);
  });

  it('refuses endpoints outside the allow-list and unknown endpoint names, permanently', async () => {
    const denied = await channel({ allow: ['https://hooks.example.com'] })
      .send(sampleMessage({ to: ['ops'], parts: { json } }))
      .catch((e: unknown) => e);
    expect((denied as FirebreakError).code).toBe(ErrorCode.NotAllowed);
    expect((denied as FirebreakError).message).toContain('channels.webhook.allow');
    const unknown = await send(['nobody']).catch((e: unknown) => e);
    expect((unknown as FirebreakError).code).toBe(ErrorCode.InvalidInput);
  });

  it('refuses an endpoint name that resolves to loopback unless its allow entry permits the address', async () => {
    receiver.requests.length = 0;
    const port = new URL(receiver.baseUrl).port;
    const endpoints = {
      ops: { url: `http://hooks.internal:${port}/hooks/ops`, format: 'json' as const, secret: 'env:OPS_SECRET' },
    };
    const lookup = () => Promise.resolve([{ address: '127.0.0.1', family: 4 as const }]);
    const denied = await channel({ endpoints, lookup, allow: ['http://*.internal:*'] })
      .send(sampleMessage({ to: ['ops'], parts: { json } }))
      .catch((e: unknown) => e);
    expect((denied as FirebreakError).code).toBe(ErrorCode.NotAllowed);
    expect((denied as FirebreakError).message).toContain(
      'hooks.internal resolves to 127.0.0.1, a loopback address; to permit it, add "via 127.0.0.1"',
    );
    expect((denied as FirebreakError).message).toContain('in channels.webhook.allow');
    expect(receiver.requests).toEqual([]);
    const receipt = await channel({ endpoints, lookup, allow: ['http://*.internal:* via 127.0.0.0/8'] }).send(
      sampleMessage({ to: ['ops'], parts: { json } }),
    );
    expect(receipt.accepted).toEqual(['ops']);
    expect(receiver.requests).toHaveLength(1);
  });

  it('sends a Slack-compatible { text, blocks } built from the text part', async () => {
    receiver.requests.length = 0;
    const text = `*Sev1* customer data incident\n\n${'Paragraph. '.repeat(400)}`;
    await send(['chat'], { subject: 'Incident inc-2024-0042', text });
    const request = receiver.requests[0]!;
    expect(request.verified).toBe(true);
    const body = JSON.parse(request.body) as {
      text: string;
      blocks: Array<{ type: string; text: { type: string; text: string } }>;
    };
    expect(body.text).toBe(text);
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Incident inc-2024-0042' } });
    const sections = body.blocks.slice(1);
    expect(sections.every((block) => block.type === 'section' && block.text.type === 'mrkdwn')).toBe(true);
    expect(sections.every((block) => block.text.text.length <= 3000)).toBe(true);
    expect(sections.map((block) => block.text.text).join('')).toBe(text);
  });

  it('refuses a json endpoint message whose json part is not JSON', async () => {
    const error = await send(['ops'], { json: '{not json' }).catch((e: unknown) => e);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
  });
});
