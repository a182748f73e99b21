/**
 * The behavioural contract every BlobStore adapter meets, run against each adapter with a real backend:
 * bytes and SHA-256 survive a round trip, attributes are kept, listings page and filter by prefix,
 * deletes are final, and invalid keys are refused before any I/O.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobEntry, BlobStore } from '../../../src/storage/blob-store.js';

/** Reads a stream to one Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<BlobEntry>): Promise<BlobEntry[]> {
  const out: BlobEntry[] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  expect((error as FirebreakError).code).toBe(code);
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const MIB = 1024 * 1024;

/** Registers the conformance tests for one adapter; `get` is called inside each test, after setup. */
export function runBlobStoreConformance(label: string, get: () => BlobStore, options: { manyKeys: number }): void {
  describe(`${label} blob store conformance`, () => {
    // Each test works under its own prefix so the suite needs no cleanup between tests.
    const area = (): string => `conformance/${randomUUID()}`;

    it('round-trips 5 MiB of random bytes streamed in, with the SHA-256 computed and kept', async () => {
      const store = get();
      const key = `${area()}/dump.bin`;
      const data = randomBytes(5 * 1024 * 1024);
      // Odd-sized chunks, so no adapter can rely on one chunk per write.
      const chunks = Array.from({ length: Math.ceil(data.length / 77_777) }, (_, i) =>
        data.subarray(i * 77_777, (i + 1) * 77_777),
      );
      const result = await store.put(key, Readable.from(chunks));
      expect(result).toEqual({ key, size: data.length, sha256: sha256(data) });
      const back = await readAll(await store.get(key));
      expect(back.length).toBe(data.length);
      expect(sha256(back)).toBe(result.sha256);
      const head = await store.head(key);
      expect(head?.size).toBe(data.length);
      expect(head?.sha256).toBe(result.sha256);
      expect(head?.modifiedAt).toBeInstanceOf(Date);
      expect(Math.abs((head?.modifiedAt.getTime() ?? 0) - Date.now())).toBeLessThan(5 * 60_000);
    });

    it('streams 20 MiB from a generator (more than two S3 parts): size, digest, attributes and ranges', async () => {
      const store = get();
      const key = `${area()}/large dump ✓.bin`;
      const data = randomBytes(20 * MIB);
      // Odd-sized chunks that straddle every part boundary, produced lazily as the store pulls them.
      function* produce(): Generator<Buffer> {
        for (let offset = 0; offset < data.length; offset += 1_000_003) yield data.subarray(offset, offset + 1_000_003);
      }
      const result = await store.put(key, Readable.from(produce(), { objectMode: false }), {
        contentType: 'application/octet-stream',
        metadata: { 'backup-id': 'bk-large' },
      });
      expect(result).toEqual({ key, size: data.length, sha256: sha256(data) });
      expect(await store.head(key)).toMatchObject({
        size: data.length,
        sha256: result.sha256,
        contentType: 'application/octet-stream',
        metadata: { 'backup-id': 'bk-large' },
      });
      expect(sha256(await readAll(await store.get(key)))).toBe(result.sha256);
      for (const [start, end] of [
        [8 * MIB - 7, 8 * MIB + 9],
        [16 * MIB - 1, 16 * MIB + 1],
        [5 * MIB, 13 * MIB + 17],
        [20 * MIB - 3, 20 * MIB],
      ] as const) {
        expect((await readAll(await store.get(key, { start, end }))).equals(data.subarray(start, end))).toBe(true);
      }
      expect((await readAll(await store.get(key, { start: 19 * MIB }))).equals(data.subarray(19 * MIB))).toBe(true);
    });

    it('keeps the content type and metadata, and replaces them and the bytes on overwrite', async () => {
      const store = get();
      const key = `${area()}/manifest.json`;
      await store.put(key, Buffer.from('{"v":1}'), {
        contentType: 'application/json',
        metadata: { 'backup-id': 'bk-42', source: 'pg-main' },
      });
      expect(await store.head(key)).toMatchObject({
        size: 7,
        contentType: 'application/json',
        metadata: { 'backup-id': 'bk-42', source: 'pg-main' },
      });
      const second = await store.put(key, Buffer.from('{"v":2,"x":true}'), {
        contentType: 'text/plain; charset=utf-8',
        metadata: { 'backup-id': 'bk-43' },
      });
      const head = await store.head(key);
      expect(head).toMatchObject({ size: 16, sha256: second.sha256, contentType: 'text/plain; charset=utf-8' });
      expect(head?.metadata).toEqual({ 'backup-id': 'bk-43' });
      expect((await readAll(await store.get(key))).toString()).toBe('{"v":2,"x":true}');
    });

    it('stores an empty blob', async () => {
      const store = get();
      const key = `${area()}/empty`;
      expect(await store.put(key, Buffer.alloc(0))).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await readAll(await store.get(key))).length).toBe(0);
    });

    it('lists by prefix, in key order within one directory, across pages, with sizes', async () => {
      const store = get();
      const base = area();
      const keys = Array.from({ length: options.manyKeys }, (_, i) => `${base}/many/k${String(i).padStart(5, '0')}`);
      const pending = [...keys];
      const worker = async (): Promise<void> => {
        for (let key = pending.shift(); key !== undefined; key = pending.shift())
          await store.put(key, Buffer.from(key));
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      await store.put(`${base}/many-other/x`, Buffer.from('x'));
      await store.put(`${base}/man`, Buffer.from('m'));

      const listed = await collect(store.list(`${base}/many/`));
      expect(listed.map((entry) => entry.key)).toEqual(keys);
      expect(listed[0]?.size).toBe(Buffer.byteLength(keys[0] ?? ''));
      const partial = await collect(store.list(`${base}/many`));
      // Order across "directories" is not part of the contract: AWS S3 lists in byte order ("many-other/x"
      // first, as "-" < "/"), SeaweedFS walks its directory tree ("many/…" first).
      expect(partial.map((entry) => entry.key).sort()).toEqual([...keys, `${base}/many-other/x`].sort());
      expect((await collect(store.list(`${base}/man`))).length).toBe(keys.length + 2);
      expect(await collect(store.list(`${base}/nothing/`))).toEqual([]);
    });

    it('deletes: get then fails with NOT_FOUND, head is undefined, and deleting again is fine', async () => {
      const store = get();
      const key = `${area()}/gone.txt`;
      await store.put(key, Buffer.from('bye'));
      await store.delete(key);
      await expectCode(store.get(key), ErrorCode.NotFound);
      expect(await store.head(key)).toBeUndefined();
      await store.delete(key);
      await expectCode(store.get(`${area()}/never-written`), ErrorCode.NotFound);
    });

    it('refuses invalid keys, prefixes, metadata and content types with INVALID_INPUT', async () => {
      const store = get();
      const bad = ['', '/abs', 'a/../b', '..', 'a/./b', 'a//b', 'nul\0byte', 'dir/', 'back\\slash', 'x'.repeat(1025)];
      for (const key of bad) {
        await expectCode(store.put(key, Buffer.from('x')), ErrorCode.InvalidInput);
        await expectCode(store.get(key), ErrorCode.InvalidInput);
        await expectCode(store.head(key), ErrorCode.InvalidInput);
        await expectCode(store.delete(key), ErrorCode.InvalidInput);
      }
      await expectCode(collect(store.list('../')), ErrorCode.InvalidInput);
      await expectCode(collect(store.list('/')), ErrorCode.InvalidInput);
      const key = `${area()}/ok`;
      await expectCode(store.put(key, Buffer.from('x'), { metadata: { 'Upper-Case': 'v' } }), ErrorCode.InvalidInput);
      await expectCode(store.put(key, Buffer.from('x'), { metadata: { sha256: 'forged' } }), ErrorCode.InvalidInput);
      await expectCode(store.put(key, Buffer.from('x'), { metadata: { note: 'line\nbreak' } }), ErrorCode.InvalidInput);
      await expectCode(store.put(key, Buffer.from('x'), { contentType: 'text/plain\r\nX: y' }), ErrorCode.InvalidInput);
      expect(await store.head(key)).toBeUndefined();
    });

    it('reads byte ranges: start inclusive, end exclusive, an end past the size clamped', async () => {
      const store = get();
      const key = `${area()}/ranged.bin`;
      const data = randomBytes(300_000);
      await store.put(key, data);
      const read = async (start?: number, end?: number) =>
        readAll(
          await store.get(key, { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) }),
        );
      expect((await read(100_000, 200_123)).equals(data.subarray(100_000, 200_123))).toBe(true);
      expect((await read(299_990)).equals(data.subarray(299_990))).toBe(true);
      expect((await read(undefined, 10)).equals(data.subarray(0, 10))).toBe(true);
      expect((await read(5, 10_000_000)).equals(data.subarray(5))).toBe(true);
      expect((await read(0, data.length)).equals(data)).toBe(true);
      expect((await read()).equals(data)).toBe(true);
    });

    it('reads nothing from a range starting at the size or ending at its start', async () => {
      const store = get();
      const key = `${area()}/edge.bin`;
      await store.put(key, Buffer.from('0123456789'));
      expect((await readAll(await store.get(key, { start: 10 }))).length).toBe(0);
      expect((await readAll(await store.get(key, { start: 10, end: 20 }))).length).toBe(0);
      expect((await readAll(await store.get(key, { start: 4, end: 4 }))).length).toBe(0);
      const empty = `${area()}/empty`;
      await store.put(empty, Buffer.alloc(0));
      expect((await readAll(await store.get(empty, { start: 0, end: 5 }))).length).toBe(0);
    });

    it('refuses a range past the end, reversed, negative or fractional with INVALID_INPUT', async () => {
      const store = get();
      const key = `${area()}/bounds.bin`;
      await store.put(key, Buffer.from('0123456789'));
      for (const range of [{ start: 11 }, { start: 11, end: 11 }, { start: 5, end: 4 }, { start: -1 }, { end: 2.5 }]) {
        await expectCode(store.get(key, range), ErrorCode.InvalidInput);
      }
      const error: unknown = await store.get(key, { start: 11 }).catch((caught: unknown) => caught);
      expect((error as Error).message).toContain('past the end');
      await expectCode(store.get(`${area()}/absent`, { start: 3 }), ErrorCode.NotFound);
      await expectCode(store.get(`${area()}/absent`, { start: 3, end: 3 }), ErrorCode.NotFound);
    });

    it('accepts nested keys with unicode and spaces', async () => {
      const store = get();
      const key = `${area()}/restore drills/2024-06-01/résumé ✓.txt`;
      await store.put(key, Buffer.from('ok'));
      expect((await readAll(await store.get(key))).toString()).toBe('ok');
      expect((await collect(store.list(key))).map((entry) => entry.key)).toEqual([key]);
    });
  });
}
