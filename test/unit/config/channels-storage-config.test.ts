/**
 * loadConfig(env): `users[].name`, the `channels` and `storage` sections (the S3 tuning included), their
 * defaults and located problems.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { parseByteSize } from '../../../src/config/primitives.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function problems(text: string): string[] {
  write('firebreak.yaml', text);
  const result = loadConfig({}, { cwd: dir });
  return result.ok ? [] : result.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
}

describe('loadConfig: users[].name, channels and storage', () => {
  it('reads a full file: defaults filled, durations in ms, the CA and the store directory resolved', () => {
    write(
      'conf/firebreak.yaml',
      `users:
  - { id: alice, name: Alice Example, email: alice@example.com, roles: [commander] }
channels:
  email:
    from: 'Firebreak <firebreak@example.com>'
    replyTo: security@example.com
    smtp:
      host: smtp.example.com
      port: 587
      requireTLS: true
      tls: { ca: file:certs/ca.pem, servername: mail.example.com }
      auth: { user: env:SMTP_USER, pass: file:/run/secrets/smtp-password }
      timeout: 1m
  webhook:
    allow: ['https://hooks.slack.com', 'https://*.example.com']
    timeout: 5s
    endpoints:
      ops-bridge: { url: 'https://alerts.example.com/firebreak', secret: env:OPS_HOOK_SECRET }
      exec-chat: { url: env:SLACK_EXEC_WEBHOOK_URL, format: slack }
  statuspage: { title: Example status, siteUrl: 'https://status.example.com/status', timezone: Europe/Berlin }
storage: { type: filesystem, dir: ../blobs }
`,
    );
    const result = loadConfig({}, { cwd: dir, configPath: 'conf/firebreak.yaml' });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { users, channels, storage } = result.value;
    expect(users[0]?.name).toBe('Alice Example');
    expect(channels).toEqual({
      email: {
        from: 'Firebreak <firebreak@example.com>',
        replyTo: 'security@example.com',
        smtp: {
          host: 'smtp.example.com',
          port: 587,
          secure: false,
          requireTLS: true,
          allowPlaintextAuth: false,
          tls: {
            ca: `file:${path.join(dir, 'conf/certs/ca.pem')}`,
            rejectUnauthorized: true,
            servername: 'mail.example.com',
          },
          auth: { user: 'env:SMTP_USER', pass: 'file:/run/secrets/smtp-password' },
          timeoutMs: 60_000,
        },
      },
      webhook: {
        allow: ['https://hooks.slack.com', 'https://*.example.com'],
        allowLinkLocal: false,
        timeoutMs: 5000,
        endpoints: {
          'ops-bridge': { url: 'https://alerts.example.com/firebreak', format: 'json', secret: 'env:OPS_HOOK_SECRET' },
          'exec-chat': { url: 'env:SLACK_EXEC_WEBHOOK_URL', format: 'slack' },
        },
      },
      statuspage: {
        title: 'Example status',
        siteUrl: 'https://status.example.com/status',
        timezone: 'Europe/Berlin',
        prefix: 'status',
      },
    });
    expect(storage).toEqual({ type: 'filesystem', dir: path.join(dir, 'blobs') });
  });

  it('fills the defaults of each channel section and of the S3 store', () => {
    write('firebreak.yaml', 'channels: { email: {} }\nstorage: { type: s3, bucket: firebreak }\n');
    const result = loadConfig({}, { cwd: dir });
    expect(result.ok && result.value.channels).toEqual({
      email: { from: 'Firebreak <firebreak@localhost>' },
      webhook: { allow: [], allowLinkLocal: false, timeoutMs: 10_000, endpoints: {} },
      statuspage: { title: 'Status', timezone: 'UTC', prefix: 'status' },
    });
    expect(result.ok && result.value.storage).toEqual({
      type: 's3',
      bucket: 'firebreak',
      region: 'us-east-1',
      forcePathStyle: false,
    });
  });

  it('locates every bad channel field', () => {
    expect(
      problems(`users:
  - { id: alice, name: "Alice\\u0007" }
channels:
  email:
    from: not an address
    replyTo: nope
    smtp:
      host: smtp.example.com
      port: 70000
      tls: { ca: /etc/ca.pem, rejectUnauthorized: maybe }
      auth: { user: alice, pass: env:SMTP_PASS }
      timeout: 30
  webhook:
    allow: ['ftp://x']
    timeout: soon
    endpoints:
      -bad: { url: https://hooks.example.com/a }
      ops: { url: 'gopher://x', format: xml }
      ref: { url: 'env:', format: slack, secret: OPS }
  statuspage: { title: "", siteUrl: 'ftp://x', prefix: '/status/', colour: red, timezone: Mars/Olympus }
  sms: {}
`),
    ).toEqual([
      '2:24 users[0].name must be one line without control characters',
      '5:11 channels.email.from expected an e-mail address, or Name <address>',
      '6:14 channels.email.replyTo expected an e-mail address',
      '9:13 channels.email.smtp.port must be a port number (1-65535)',
      '10:18 channels.email.smtp.tls.ca expected file:PATH (a PEM file)',
      '10:51 channels.email.smtp.tls.rejectUnauthorized expected true or false, got "maybe"',
      '11:21 channels.email.smtp.auth.user expected a secret reference (env:NAME or file:PATH)',
      '12:16 channels.email.smtp.timeout expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '14:13 channels.webhook.allow[0] expected an entry like https://host, https://*.example.com, http://host:*, https://host/path/ or https://host via 10.0.0.0/8',
      '15:14 channels.webhook.timeout expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '17:7 channels.webhook.endpoints["-bad"] invalid name `-bad`: must start with a letter or digit: letters, digits, _ . -',
      '18:19 channels.webhook.endpoints.ops.url expected an http(s) URL or a secret reference',
      '18:41 channels.webhook.endpoints.ops.format expected one of json, slack, got "xml"',
      '19:19 channels.webhook.endpoints.ref.url expected env:NAME or file:PATH',
      '19:50 channels.webhook.endpoints.ref.secret expected a secret reference (env:NAME or file:PATH)',
      '20:24 channels.statuspage.title must be at least 1 characters',
      '20:37 channels.statuspage.siteUrl expected an http(s) URL',
      '20:56 channels.statuspage.prefix expected a key prefix such as status or public/status',
      '20:68 channels.statuspage.colour unknown key `colour`',
      '20:91 channels.statuspage.timezone expected an IANA time zone such as UTC or Europe/Berlin',
      '21:3 channels.sms unknown key `sms`',
    ]);
  });

  it('requires TLS by default when SMTP credentials are set, and refuses turning it off without allowPlaintextAuth', () => {
    const smtp = (fields: string) => {
      write('firebreak.yaml', `channels:\n  email:\n    smtp: { host: mail.example.com, port: 587${fields} }\n`);
      const result = loadConfig({}, { cwd: dir });
      return result.ok ? result.value.channels?.email.smtp : result.issues;
    };
    const auth = ', auth: { user: env:SMTP_USER, pass: env:SMTP_PASS }';
    expect(smtp('')).toMatchObject({ requireTLS: false, allowPlaintextAuth: false });
    expect(smtp(auth)).toMatchObject({ requireTLS: true, allowPlaintextAuth: false });
    expect(smtp(`${auth}, allowPlaintextAuth: true`)).toMatchObject({ requireTLS: false, allowPlaintextAuth: true });
    expect(smtp(`${auth}, requireTLS: true, allowPlaintextAuth: true`)).toMatchObject({ requireTLS: true });
    expect(smtp(`${auth}, secure: true, requireTLS: false`)).toMatchObject({ secure: true, requireTLS: false });
    expect(
      problems('channels:\n  email:\n    smtp: { host: mail.example.com, port: 25, requireTLS: false' + auth + ' }\n'),
    ).toEqual([
      '3:59 channels.email.smtp.requireTLS requireTLS: false would send the auth credentials in the clear; set allowPlaintextAuth: true to allow that',
    ]);
  });

  it('refuses a literal endpoint URL outside channels.webhook.allow', () => {
    expect(
      problems(`channels:
  webhook:
    allow: ['https://hooks.example.com']
    endpoints:
      outside: { url: 'https://evil.example.net/x' }
      inside: { url: 'https://hooks.example.com/x' }
      hidden: { url: 'env:HIDDEN_URL' }
`),
    ).toEqual(['5:23 channels.webhook.endpoints.outside.url not admitted by channels.webhook.allow']);
  });

  it('locates bad storage: unknown or missing type, fields of the wrong type, half the credentials', () => {
    expect(problems('storage: { type: gcs, dir: x }\n')).toEqual([
      '1:18 storage.type expected filesystem or s3, got "gcs"',
    ]);
    expect(problems('storage:\n  dir: x\n')).toEqual(['2:3 storage `type` is required: filesystem or s3']);
    expect(problems('storage: { type: filesystem, dir: ./blobs, bucket: x }\n')).toEqual([
      '1:44 storage.bucket unknown key `bucket`',
    ]);
    expect(problems('storage: { type: s3, bucket: B, endpoint: localhost, prefix: /x, accessKeyId: env:K }\n')).toEqual(
      [
        '1:10 storage.secretAccessKey give both accessKeyId and secretAccessKey, or neither',
        '1:30 storage.bucket expected an S3 bucket name',
        '1:43 storage.endpoint expected an http(s) URL',
        '1:62 storage.prefix expected a key prefix such as firebreak or env/prod',
      ],
    );
  });
});

describe('loadConfig: S3 tuning under storage', () => {
  const MIB = 1024 * 1024;
  const s3 = (tuning: string) => `storage:\n  type: s3\n  bucket: firebreak\n${tuning}`;

  function storageOf(text: string): unknown {
    write('firebreak.yaml', text);
    const result = loadConfig({}, { cwd: dir });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.value.storage;
  }

  it('reads part size, parts in flight and timeouts, as bytes and milliseconds', () => {
    expect(
      storageOf(s3('  multipart: { partSize: 16 MiB, queueSize: 4 }\n  timeouts: { connect: 2s, idle: 1m }\n')),
    ).toEqual({
      type: 's3',
      bucket: 'firebreak',
      region: 'us-east-1',
      forcePathStyle: false,
      multipart: { partSize: 16 * MIB, queueSize: 4 },
      timeouts: { connectMs: 2_000, idleMs: 60_000 },
    });
  });

  it('leaves out what is not given, so the store keeps its defaults', () => {
    expect(storageOf(s3('  multipart: { queueSize: 1 }\n  timeouts: { idle: 90s }\n'))).toMatchObject({
      multipart: { queueSize: 1 },
      timeouts: { idleMs: 90_000 },
    });
    expect(storageOf(s3('  multipart: {}\n  timeouts: {}\n'))).toMatchObject({ multipart: {}, timeouts: {} });
  });

  it('accepts a part size in bytes or with a binary unit, from 5 MiB to 5 GiB', () => {
    const sizes: [string, number][] = [
      ['8MiB', 8 * MIB],
      ['16 MiB', 16 * MIB],
      ['5242880', 5 * MIB],
      ['"5242880"', 5 * MIB],
      ['6144KiB', 6 * MIB],
      ['5GiB', 5 * 1024 * MIB],
    ];
    for (const [written, bytes] of sizes) {
      expect(storageOf(s3(`  multipart: { partSize: ${written} }\n`))).toMatchObject({
        multipart: { partSize: bytes },
      });
    }
  });

  it('names the field of every value S3 or the store would refuse', () => {
    expect(
      problems(
        s3(`  multipart: { partSize: 4MiB, queueSize: 0, parts: 3 }
  timeouts: { connect: 5, request: 10s }
`),
      ),
    ).toEqual([
      '4:26 storage.multipart.partSize must be at least 5MiB (the smallest part S3 accepts)',
      '4:43 storage.multipart.queueSize must be 1 to 16',
      '4:46 storage.multipart.parts unknown key `parts`',
      '5:24 storage.timeouts.connect expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '5:27 storage.timeouts.request unknown key `request`',
    ]);
    const partSize = (written: string) => problems(s3(`  multipart: { partSize: ${written} }\n`));
    expect(partSize('6GiB')).toEqual([
      '4:26 storage.multipart.partSize must be at most 5GiB (the largest part S3 accepts)',
    ]);
    expect(partSize('8MB')).toEqual([
      '4:26 storage.multipart.partSize expected a size such as 8MiB, 16 MiB or 5242880 (bytes)',
    ]);
    expect(partSize('true')).toEqual([
      '4:26 storage.multipart.partSize expected a size such as 8MiB, 16 MiB or 5242880 (bytes)',
    ]);
    expect(partSize('5.5MiB')).toEqual([
      '4:26 storage.multipart.partSize expected a size such as 8MiB, 16 MiB or 5242880 (bytes)',
    ]);
    const queueSize = (written: string) => problems(s3(`  multipart: { queueSize: ${written} }\n`));
    expect(queueSize('17')).toEqual(['4:27 storage.multipart.queueSize must be 1 to 16']);
    expect(queueSize('2.5')).toEqual(['4:27 storage.multipart.queueSize expected a whole number of parts']);
    expect(problems(s3('  timeouts: { idle: soon }\n'))).toEqual([
      '4:21 storage.timeouts.idle expected a duration such as 30s, 15m, 4h, 3d or 2w',
    ]);
  });

  it('refuses S3 tuning on the filesystem store', () => {
    expect(problems('storage: { type: filesystem, dir: ./blobs, multipart: { partSize: 8MiB } }\n')).toEqual([
      '1:44 storage.multipart unknown key `multipart`',
    ]);
  });
});

describe('parseByteSize', () => {
  it('reads bytes and binary units, and nothing else', () => {
    expect(['1', '512 B', '1KiB', '8MiB', '16 MiB', ' 2GiB ', '1TiB'].map(parseByteSize)).toEqual([
      1,
      512,
      1024,
      8 * 1024 ** 2,
      16 * 1024 ** 2,
      2 * 1024 ** 3,
      1024 ** 4,
    ]);
    for (const text of ['', 'MiB', '8 MB', '8mib', '1.5GiB', '-1', '8 MiB s', '99999999999 TiB']) {
      expect(parseByteSize(text)).toBeUndefined();
    }
  });
});
