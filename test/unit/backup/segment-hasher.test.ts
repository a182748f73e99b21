/** The hash list of a stream: segment boundaries inside and between chunks, an exact multiple, nothing. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { segmentHasher } from '../../../src/backup/integrity/segment-hasher.js';
import { segmentsOf } from './support.js';

async function hashListOf(chunks: Buffer[], size: number) {
  const hasher = segmentHasher(size);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), hasher.stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return { segments: hasher.segments(), passed: Buffer.concat(out) };
}

describe('segmentHasher', () => {
  it('hashes segments across chunk boundaries and passes the bytes through unchanged', async () => {
    const data = randomBytes(10_000);
    const chunks = [data.subarray(0, 3), data.subarray(3, 4500), data.subarray(4500, 4501), data.subarray(4501)];
    const { segments, passed } = await hashListOf(chunks, 1000);
    expect(passed.equals(data)).toBe(true);
    expect(segments).toEqual(segmentsOf(data, 1000));
    expect(segments.sha256).toHaveLength(10);
  });

  it('ends with a shorter last segment, and has none for no bytes', async () => {
    const data = randomBytes(2500);
    expect((await hashListOf([data], 1000)).segments).toEqual(segmentsOf(data, 1000));
    expect((await hashListOf([data], 1000)).segments.sha256).toHaveLength(3);
    expect((await hashListOf([], 1000)).segments).toEqual({ size: 1000, sha256: [] });
  });
});
