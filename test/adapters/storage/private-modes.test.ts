/**
 * What Firebreak writes under its data directory is owner-only: every directory 0700 and every file 0600,
 * whatever the umask, and a directory that already existed wider is narrowed. One case per kind of file.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryKey } from '../../../src/channels/delivery.js';
import { createEmlFileChannel, emlFileName } from '../../../src/channels/eml-file.js';
import { devAdmin } from '../../../src/cli/commands/api-runtime.js';
import type { RunbookCatalog } from '../../../src/runbook/catalog.js';
import { createFileAuditLog } from '../../../src/server/audit.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { ensurePrivateDirSync } from '../../../src/storage/private-files.js';
import { sampleMessage } from '../channels/channel-conformance.js';

let root: string;
let umask: number;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'firebreak-modes-'));
  // A permissive umask, as a service manager may hand down: the modes must not depend on it.
  umask = process.umask(0o002);
});
afterAll(() => {
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

/** A directory that exists already with the usual 0755, as an operator may have made it. */
function wideDir(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  return dir;
}

/** Every path under `dir` (itself included) with its permission bits, relative to `dir`. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (statSync(dir).mode & 0o777).toString(8) };
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    out[entry] = (statSync(path.join(dir, entry)).mode & 0o777).toString(8);
  }
  return out;
}

function expectPrivate(dir: string): void {
  const found = modes(dir);
  const expected = Object.fromEntries(
    Object.keys(found).map((entry) => [entry, statSync(path.join(dir, entry)).isDirectory() ? '700' : '600']),
  );
  expect(found).toEqual(expected);
}

describe('data directory modes', () => {
  it('narrows the data directory the CLI starts in to 0700', () => {
    const dataDir = wideDir('data');
    ensurePrivateDirSync(dataDir);
    ensurePrivateDirSync(path.join(dataDir, 'fresh', 'nested'));
    expectPrivate(dataDir);
  });

  it('writes .eml outbox files 0600 in a 0700 outbox', async () => {
    const outbox = wideDir('outbox');
    const channel = createEmlFileChannel({ from: 'Firebreak <firebreak@example.com>', directory: outbox });
    const parts = { subject: 'Notice', text: 'Hello.' };
    await channel.send(sampleMessage({ to: ['alice@example.com', 'bob@example.org'], parts }));
    // A partial file left by a crash, wider than it should be, is rewritten and narrowed.
    const again = sampleMessage({ to: ['carol@example.com'], parts, idempotencyKey: 'again' });
    const partial = path.join(outbox, `${emlFileName(deliveryKey(again, 'carol@example.com'))}.${process.pid}.tmp`);
    writeFileSync(partial, 'half a message', { mode: 0o644 });
    await channel.send(again);
    expect(readdirSync(outbox).filter((file) => file.endsWith('.eml'))).toHaveLength(3);
    expectPrivate(outbox);
  });

  it('stores blobs, sidecars and staging files 0600 in 0700 directories', async () => {
    const blobs = wideDir('blobs');
    const store = await createFsStore({ dir: blobs });
    await store.put('status/incidents/x/updates.json', Buffer.from('[]'), { contentType: 'application/json' });
    await store.put('backups/db/2025-03-14.dump', Buffer.from('backup bytes'));
    expect(readdirSync(blobs).sort()).toEqual(['meta', 'objects', 'tmp']);
    expectPrivate(blobs);
  });

  it('appends the audit log 0600 in a 0700 directory it creates', async () => {
    const dir = path.join(root, 'audit', 'logs');
    const audit = createFileAuditLog(path.join(dir, 'audit.jsonl'));
    await audit.write({
      at: '2025-03-14T09:30:00Z',
      user: 'alice',
      source: 'api',
      method: 'POST',
      path: '/api/v1/incidents',
      status: 201,
      outcome: 'ok',
    });
    await audit.close();
    expectPrivate(path.join(root, 'audit'));
  });

  it('creates the dev admin token 0600 and narrows an existing one', () => {
    const dir = wideDir('token');
    const catalog = { runbooks: new Map() } as unknown as RunbookCatalog;
    devAdmin(path.join(dir, 'admin.token'), catalog);
    writeFileSync(path.join(dir, 'old.token'), 'x\n', { mode: 0o644 });
    devAdmin(path.join(dir, 'old.token'), catalog);
    ensurePrivateDirSync(dir);
    expectPrivate(dir);
  });
});
