/** The SMTP email channel against a real SMTP server on loopback; captured MIME parsed with postal-mime. */
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailChannel, type EmailChannelOptions } from '../../../src/channels/email.js';
import type { Channel } from '../../../src/channels/types.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js';
import { expectNoSecrets, runChannelConformance, sampleMessage } from './channel-conformance.js';

const USER = 'firebreak-mailer';
const PASS = 'correct-horse-battery-staple';
const secrets = createSecretResolver({
  env: { SMTP_USER: USER, SMTP_PASS: PASS, WRONG: 'not-the-password' },
  baseDir: '/',
});

const parts = {
  subject: 'Security incident: update on your account data — Ünïcode ✓',
  text: 'Dear customer,\n\nUp to 1,200 records; still under investigation.\nA long line '.concat('x'.repeat(200), '\n'),
  html: '<p>Dear customer,</p><p>Up to <strong>1,200</strong> records; still under investigation.</p>',
};

let server: TestSmtpServer;

/**
 * nodemailer ends every MIME part with a line break so the boundary that follows stays on its own line;
 * that one line break is transfer framing, not content, so it is removed before comparing.
 */
function content(part: string | undefined): string {
  return (part ?? '').replace(/\r?\n$/, '');
}

function channel(
  overrides: Partial<EmailChannelOptions['smtp']> = {},
  from = 'Firebreak <firebreak@example.com>',
): Channel {
  return createEmailChannel({
    from,
    secrets,
    smtp: {
      host: '127.0.0.1',
      port: server.port,
      auth: { user: 'env:SMTP_USER', pass: 'env:SMTP_PASS' },
      // The loopback test server has no TLS: these tests opt in to AUTH in the clear, as a local relay would.
      allowPlaintextAuth: true,
      timeoutMs: 5000,
      ...overrides,
    },
  });
}

async function parsed(index: number) {
  const captured = server.messages[index];
  if (!captured) throw new Error(`no message ${index}`);
  return { captured, mail: await PostalMime.parse(captured.raw) };
}

beforeAll(async () => {
  server = await startSmtpServer({ auth: { user: USER, pass: PASS } });
});
afterAll(async () => {
  await server.close();
});

let subject: Channel;
runChannelConformance('email (SMTP)', () => {
  subject ??= channel();
  return {
    channel: subject,
    recipients: ['alice@example.com', 'bob@example.org'],
    parts,
    secrets: [PASS],
    refusal: {
      recipient: 'gone@example.com',
      reason: /550 5\.1\.1 <gone@example\.com>: mailbox unavailable/,
      arm: () => server.rejected.add('gone@example.com'),
    },
    reset: () => {
      server.messages.length = 0;
      server.rejected.clear();
      return Promise.resolve();
    },
    received: () =>
      Promise.all(
        server.messages.map(async (captured) => {
          const mail = await PostalMime.parse(captured.raw);
          return {
            recipient: captured.recipient,
            deliveryId: mail.messageId ?? '',
            parts: { subject: mail.subject ?? '', text: content(mail.text), html: content(mail.html) },
          };
        }),
      ),
  };
});

describe('email (SMTP) specifics', () => {
  it('sends From, Reply-To, a deterministic Message-ID and the audit headers, authenticated', async () => {
    server.messages.length = 0;
    const message = sampleMessage({ to: ['alice@example.com'], parts, replyTo: 'incident-desk@example.com' });
    const receipt = await channel().send(message);
    const { captured, mail } = await parsed(0);
    expect(captured.user).toBe(USER);
    expect(captured.mailFrom).toBe('dpo@example.com');
    expect(mail.from).toEqual({ name: 'Data Protection Officer', address: 'dpo@example.com' });
    expect(mail.replyTo).toEqual([{ name: '', address: 'incident-desk@example.com' }]);
    expect(mail.messageId).toMatch(/^<[0-9a-f]{64}@example\.com>$/);
    expect(receipt.messageId).toBe(mail.messageId);
    expect(receipt.status).toBe(250);
    const header = (key: string) => mail.headers.find((entry) => entry.key === key)?.value;
    expect(header('x-firebreak-fingerprint')).toBe(message.fingerprint);
    expect(header('x-firebreak-incident')).toBe('inc-2024-0042');
    expect(header('auto-submitted')).toBe('auto-generated');
  });

  it('falls back to the default From address under the sender name, and Reply-To to the default', async () => {
    server.messages.length = 0;
    const send = createEmailChannel({
      from: 'Firebreak <firebreak@example.com>',
      replyTo: 'security@example.com',
      secrets,
      smtp: {
        host: '127.0.0.1',
        port: server.port,
        auth: { user: 'env:SMTP_USER', pass: 'env:SMTP_PASS' },
        allowPlaintextAuth: true,
      },
    });
    await send.send(
      sampleMessage({ to: ['alice@example.com'], parts, from: { id: 'ic', name: 'Incident Commander' } }),
    );
    const { mail } = await parsed(0);
    expect(mail.from).toEqual({ name: 'Incident Commander', address: 'firebreak@example.com' });
    expect(mail.replyTo).toEqual([{ name: '', address: 'security@example.com' }]);
  });

  it('fails permanently on bad credentials without revealing them', async () => {
    const error = await channel({ auth: { user: 'env:SMTP_USER', pass: 'env:WRONG' } })
      .send(sampleMessage({ to: ['alice@example.com'], parts }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.DeliveryRejected);
    expect((error as FirebreakError).message).toMatch(/authentication failed: 535/);
    expectNoSecrets(error, ['not-the-password', Buffer.from('not-the-password').toString('base64'), PASS]);
  });

  it('fails with SECRET_UNAVAILABLE naming the reference when the password is missing', async () => {
    const error = await channel({ auth: { user: 'env:SMTP_USER', pass: 'env:NOT_SET' } })
      .send(sampleMessage({ to: ['alice@example.com'], parts }))
      .catch((e: unknown) => e);
    expect((error as FirebreakError).code).toBe(ErrorCode.SecretUnavailable);
    expect((error as FirebreakError).message).toContain('env:NOT_SET');
  });

  it('classifies an unreachable server as transient', async () => {
    const closed = await startSmtpServer();
    await closed.close();
    const error = await channel({ port: closed.port, auth: undefined })
      .send(sampleMessage({ to: ['alice@example.com'], parts }))
      .catch((e: unknown) => e);
    expect((error as FirebreakError).code).toBe(ErrorCode.Transient);
  });

  it('refuses a recipient that is not an address before connecting', async () => {
    const error = await channel()
      .send(sampleMessage({ to: ['alice@example.com\r\nBcc: eve@example.com'], parts }))
      .catch((e: unknown) => e);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
  });

  it('refuses to send credentials to a server without STARTTLS unless plaintext AUTH is allowed', async () => {
    server.messages.length = 0;
    server.authAttempts.length = 0;
    const message = sampleMessage({ to: ['alice@example.com'], parts });
    const error = await channel({ allowPlaintextAuth: undefined })
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.DeliveryRejected);
    expect((error as FirebreakError).message).toMatch(/did not secure the connection \(STARTTLS refused: 5\d\d/);
    expect((error as FirebreakError).message).toContain('channels.email.smtp.allowPlaintextAuth');
    expectNoSecrets(error, [PASS, Buffer.from(PASS).toString('base64')]);
    expect(server.authAttempts).toEqual([]);
    expect(server.messages).toEqual([]);

    // An explicit requireTLS: false does not lower the bar either: only allowPlaintextAuth does.
    await expect(channel({ allowPlaintextAuth: undefined, requireTLS: false }).send(message)).rejects.toThrow(
      /did not secure the connection/,
    );
    expect(server.authAttempts).toEqual([]);

    // Without credentials, requireTLS alone refuses too, and says which setting did.
    const plain = await channel({ auth: undefined, allowPlaintextAuth: undefined, requireTLS: true })
      .send(message)
      .catch((e: unknown) => e);
    expect((plain as FirebreakError).message).toMatch(
      /did not secure the connection .*; nothing was sent \(channels\.email\.smtp\.requireTLS\)$/,
    );
    expect(server.messages).toEqual([]);

    const receipt = await channel({ allowPlaintextAuth: true }).send(message);
    expect(receipt.status).toBe(250);
    expect(server.authAttempts).toEqual([USER]);
    expect(server.messages.map((mail) => [mail.recipient, mail.user])).toEqual([['alice@example.com', USER]]);
  });
});
