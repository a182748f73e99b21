/** withKeyPrefix: the blob-store contract still holds through a prefix, and keys cannot leave it. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { withKeyPrefix } from '../../../src/storage/prefixed-store.js';
import { runBlobStoreConformance } from './blob-store-conformance.js';

let scratch: string;
let inner: BlobStore;
let store: BlobStore;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-prefixed-'));
  inner = await createFsStore({ dir: scratch });
  store = withKeyPrefix(inner, 'tenants/prod/');
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

runBlobStoreConformance('prefixed fs', () => store, { manyKeys: 120 });

describe('prefixed store specifics', () => {
  it('stores every key under the prefix and lists them without it', async () => {
    const result = await store.put('status/index.html', Buffer.from('<p>ok</p>'));
    expect(result.key).toBe('status/index.html');
    expect(existsSync(path.join(scratch, 'objects/tenants/prod/status/index.html'))).toBe(true);
    expect(await inner.head('tenants/prod/status/index.html')).toBeDefined();
    const keys: string[] = [];
    for await (const entry of store.list('status/')) keys.push(entry.key);
    expect(keys).toEqual(['status/index.html']);
  });

  it('refuses keys that would climb out of the prefix, naming the key as given', async () => {
    const error: unknown = await store.put('../escape', Buffer.from('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    expect((error as FirebreakError).message).toContain('"../escape"');
  });

  it('returns the store itself for an empty prefix', () => {
    expect(withKeyPrefix(inner, '')).toBe(inner);
  });
});
