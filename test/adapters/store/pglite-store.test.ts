/** The post-mortem store conformance suite on PGlite, each database in its own temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgliteStore } from '../../../src/postmortems/store/index.js';
import { createPgliteClient } from '../../../src/postmortems/store/pglite-client.js';
import { newPostmortem, runPostmortemStoreConformance, type StoreTarget } from './postmortem-store-conformance.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-pglite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const target: StoreTarget = {
  concurrentOpens: false,
  fresh() {
    const dir = mkdtempSync(path.join(scratch, 'db-'));
    return Promise.resolve({ open: () => openPgliteStore(dir), client: () => createPgliteClient(dir) });
  },
};

runPostmortemStoreConformance('PGlite', () => target);

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
