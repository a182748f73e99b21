/** The `.eml` outbox channel against a temporary directory; files parsed as MIME with postal-mime. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmlFileChannel, emlFileName } from '../../../src/channels/eml-file.js';
import type { Channel } from '../../../src/channels/types.js';
import { runChannelConformance, sampleMessage } from './channel-conformance.js';

const parts = {
  subject: 'Notification of a personal data breach (GDPR Art. 33)',
  text: 'Nature of the breach: unauthorised access.\nApproximate number of records: 1,200 — ✓\n',
  html: '<p>Nature of the breach: <em>unauthorised access</em>.</p>',
};

let directory: string;
let channel: Channel;

/** nodemailer ends each MIME part with a line break (framing before the boundary); drop it to compare. */
function content(part: string | undefined): string {
  return (part ?? '').replace(/\r?\n$/, '');
}

async function readOutbox() {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.eml')).sort();
  return Promise.all(names.map(async (name) => ({ name, raw: await readFile(path.join(directory, name)) })));
}

beforeAll(async () => {
  directory = path.join(await mkdtemp(path.join(tmpdir(), 'firebreak-eml-')), 'outbox');
  channel = createEmlFileChannel({ directory, from: 'Firebreak <firebreak@example.com>' });
});
afterAll(async () => {
  await rm(path.dirname(directory), { recursive: true, force: true });
});

// Every write since the last reset, including overwrites, as the reader of the outbox would see them.
let written: Buffer[] = [];
runChannelConformance('email (.eml outbox)', () => ({
  channel: {
    name: channel.name,
    async send(message) {
      const receipt = await channel.send(message);
      const files = await readOutbox();
      for (const delivery of receipt.deliveries) {
        const file = files.find((entry) => delivery.response?.endsWith(entry.name));
        if (file) written.push(file.raw);
      }
      return receipt;
    },
  },
  recipients: ['alice@example.com', 'bob@example.org'],
  parts,
  secrets: [],
  reset: async () => {
    written = [];
    await rm(directory, { recursive: true, force: true });
  },
  received: () =>
    Promise.all(
      written.map(async (raw) => {
        const mail = await PostalMime.parse(raw);
        return {
          recipient: mail.to?.[0]?.address ?? '',
          deliveryId: mail.messageId ?? '',
          parts: { subject: mail.subject ?? '', text: content(mail.text), html: content(mail.html) },
        };
      }),
    ),
}));

describe('email (.eml outbox) specifics', () => {
  it('writes one RFC 5322 file per recipient and overwrites it on a duplicate', async () => {
    await rm(directory, { recursive: true, force: true });
    const message = sampleMessage({ to: ['alice@example.com', 'bob@example.org'], parts });
    await channel.send(message);
    await channel.send(message);
    const files = await readOutbox();
    expect(files).toHaveLength(2);
    const raw = files[0]!.raw.toString('utf8');
    expect(raw).toMatch(/^Content-Type: multipart\/alternative/m);
    // Long headers are folded (CRLF + space), as RFC 5322 allows.
    expect(raw).toMatch(/^Message-ID:\s+<[0-9a-f]{64}@example\.com>\r$/m);
    expect(raw).toMatch(/^From: Data Protection Officer <dpo@example\.com>\r$/m);
    expect(raw).toContain('\r\n\r\n');
    expect(await readdir(directory)).toEqual(files.map((file) => file.name));
  });
});

describe('outbox file names', () => {
  it('keep the incident and the recipient of a long key readable, and stay unique by hash', () => {
    const key =
      'personal-data-exfiltration-20261122-751d5df4:notify-supervisory-authority:1:email:dpa@authority.example';
    const name = emlFileName(key);
    expect(name.startsWith('personal-data-exfiltration-20261122-751d5df4')).toBe(true);
    expect(name).toMatch(/email-dpa@authority\.example-[0-9a-f]{16}\.eml$/);
    expect(name.length).toBeLessThan(130);
    expect(emlFileName(`${key}x`)).not.toBe(name);
  });
});
