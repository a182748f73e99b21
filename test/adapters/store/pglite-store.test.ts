/** The post-mortem store conformance suite on PGlite, each database in its own temporary directory. */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/domain/errors.js';
import { lazyPostmortemStore, openPgliteStore, openPostmortemStore } from '../../../src/postmortems/store/index.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { createPgliteClient } from '../../../src/postmortems/store/pglite-client.js';
import {
  expectCode,
  newPostmortem,
  runPostmortemStoreConformance,
  type StoreTarget,
} from './postmortem-store-conformance.js';
import { runDigestConformance } from './digest-conformance.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-pglite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const target: StoreTarget = {
  fresh() {
    const dir = mkdtempSync(path.join(scratch, 'db-'));
    return Promise.resolve({ open: () => openPgliteStore(dir), client: () => createPgliteClient(dir) });
  },
};

runDigestConformance('PGlite', () => target);
runPostmortemStoreConformance('PGlite', () => target, { concurrentOpens: false });

describe('PGlite store specifics', () => {
  it('keeps what it stored across a close and reopen of its directory', async () => {
    const dir = mkdtempSync(path.join(scratch, 'persist-'));
    const first = await openPgliteStore(dir);
    const { postmortem } = await first.createPostmortem(newPostmortem());
    await first.close();
    const second = await openPgliteStore(dir);
    expect((await second.getPostmortem(postmortem.id))?.incidentId).toBe(postmortem.incidentId);
    await second.close();
  });
});

describe('openPostmortemStore without store.postgres', () => {
  it('opens PGlite under <data dir>/postmortems', async () => {
    const dataDir = mkdtempSync(path.join(scratch, 'data-'));
    const secrets = createSecretResolver({ env: {}, baseDir: dataDir });
    const store = await openPostmortemStore(undefined, { dataDir, secrets });
    const { postmortem } = await store.createPostmortem(newPostmortem());
    await store.close();
    expect(existsSync(path.join(dataDir, 'postmortems', 'PG_VERSION'))).toBe(true);
    expect(statSync(path.join(dataDir, 'postmortems')).mode & 0o777).toBe(0o700);
    const again = await openPgliteStore(path.join(dataDir, 'postmortems'));
    expect((await again.getPostmortem(postmortem.id))?.id).toBe(postmortem.id);
    await again.close();
  });
});

describe('openPgliteStore', () => {
  it('narrows a wider existing directory to owner-only (0700)', async () => {
    const dir = path.join(mkdtempSync(path.join(scratch, 'wide-')), 'postmortems');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const store = await openPgliteStore(dir);
    await store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('lets one opener at a time have a directory, and takes over the lock of a process that is gone', async () => {
    const dir = path.join(mkdtempSync(path.join(scratch, 'lock-')), 'postmortems');
    const first = await openPgliteStore(dir);
    const error = await expectCode(openPgliteStore(dir), ErrorCode.Conflict);
    expect(error.message).toContain(`is open in process ${process.pid}`);
    await first.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    // A lock left by a process that has exited (killed, say) does not keep the store shut.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: Number(gone.stdout), host: hostname(), token: 'old' }));
    const second = await openPgliteStore(dir);
    expect(await second.getPostmortem('none')).toBeUndefined();
    await second.close();
  });

  it('runs in memory for `memory`, leaving nothing on disk and taking no lock', async () => {
    const cwd = process.cwd();
    const first = await openPgliteStore('memory');
    const second = await openPgliteStore('memory');
    const { postmortem } = await first.createPostmortem(newPostmortem());
    expect(await second.getPostmortem(postmortem.id)).toBeUndefined();
    await Promise.all([first.close(), second.close()]);
    expect(existsSync(path.join(cwd, 'memory'))).toBe(false);
    expect(existsSync(path.join(cwd, 'memory.lock'))).toBe(false);
  });
});

describe('lazyPostmortemStore', () => {
  it('opens on first use, once, keeps no failed open, and closes what it opened', async () => {
    let opens = 0;
    let fail = true;
    const lazy = lazyPostmortemStore(async () => {
      opens += 1;
      if (fail) throw new Error('not yet');
      return openPgliteStore('memory');
    });
    expect(opens).toBe(0);
    await expect(lazy.get()).rejects.toThrow('not yet');
    fail = false;
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect(a).toBe(b);
    expect(opens).toBe(2);
    expect(await a.listPostmortems()).toEqual(expect.objectContaining({ items: [] }));
    await lazy.close();
    await expect(a.listPostmortems()).rejects.toThrow();
    await lazy.close();
  });
});
