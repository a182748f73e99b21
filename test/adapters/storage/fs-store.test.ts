import { mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { runBlobStoreConformance } from './blob-store-conformance.js';

let scratch: string;
let store: BlobStore;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-fs-store-'));
  store = await createFsStore({ dir: path.join(scratch, 'root') });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

runBlobStoreConformance('fs', () => store, { manyKeys: 1100 });

describe('fs store specifics', () => {
  it('leaves no staged files behind and prunes empty directories on delete', async () => {
    await store.put('prune/a/b/c.txt', Buffer.from('x'));
    await store.delete('prune/a/b/c.txt');
    expect(readdirSync(path.join(scratch, 'root', 'tmp'))).toEqual([]);
    expect(readdirSync(path.join(scratch, 'root', 'objects'))).not.toContain('prune');
  });

  it('refuses a key that reaches outside the root through a symlinked directory', async () => {
    const outside = path.join(scratch, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, path.join(scratch, 'root', 'objects', 'link'));
    const error: unknown = await store.put('link/escape.txt', Buffer.from('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('reports a clash between a blob and a directory of blobs as CONFLICT', async () => {
    await store.put('clash/file', Buffer.from('x'));
    const error: unknown = await store.put('clash/file/below', Buffer.from('y')).catch((caught: unknown) => caught);
    expect((error as FirebreakError).code).toBe(ErrorCode.Conflict);
    const reverse: unknown = await store.put('clash', Buffer.from('z')).catch((caught: unknown) => caught);
    expect((reverse as FirebreakError).code).toBe(ErrorCode.Conflict);
  });
});
