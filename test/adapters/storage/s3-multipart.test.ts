/**
 * Streamed puts to a real SeaweedFS: a large body goes up as a multipart upload without the process ever
 * holding more than a few parts of it (the producer is only allowed to run ahead of what the server has
 * acknowledged by that much), a failing or destroyed body leaves no upload and no object behind, and an
 * object over the CopyObject limit gets its digest through a multipart copy.
 */
import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createS3Store, type S3StoreOptions } from '../../../src/storage/s3-store.js';
import { eventually } from '../../support/poll.js';
import { seaweedStoreOptions, startSeaweedfs, type TestSeaweedfs } from '../../../harness/seaweedfs.js';
import { readAll } from './blob-store-conformance.js';

const MIB = 1024 * 1024;
let seaweed: TestSeaweedfs;
let raw: S3Client;

beforeAll(async () => {
  seaweed = await startSeaweedfs();
  raw = new S3Client({
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    forcePathStyle: true,
    credentials: { accessKeyId: seaweed.accessKeyId, secretAccessKey: seaweed.secretAccessKey },
  });
}, 120_000);

afterAll(async () => {
  raw?.destroy();
  await seaweed?.stop();
}, 30_000);

function store(overrides: Partial<S3StoreOptions> = {}): BlobStore {
  return createS3Store(seaweedStoreOptions(seaweed, overrides));
}

/** Multipart uploads the server has open for `key`. */
async function openUploads(key: string): Promise<string[]> {
  const listed = await raw.send(new ListMultipartUploadsCommand({ Bucket: seaweed.bucket, Prefix: key }));
  return (listed.Uploads ?? []).filter((upload) => upload.Key === key).map((upload) => upload.UploadId ?? '');
}

/** Bytes of `key` the server has acknowledged: the sizes of the parts of its open multipart upload. */
async function acknowledged(key: string): Promise<number> {
  let bytes = 0;
  for (const uploadId of await openUploads(key)) {
    const parts = await raw.send(new ListPartsCommand({ Bucket: seaweed.bucket, Key: key, UploadId: uploadId }));
    for (const part of parts.Parts ?? []) bytes += part.Size ?? 0;
  }
  return bytes;
}

/** `count` MiB of reproducible, incompressible-looking bytes, one MiB per chunk. */
function mebibyte(index: number): Buffer {
  const seed = createHash('sha256').update(`chunk ${index}`).digest();
  const chunk = Buffer.alloc(MIB);
  for (let offset = 0; offset < MIB; offset += seed.length) seed.copy(chunk, offset);
  chunk.writeUInt32BE(index, 0);
  return chunk;
}

describe('s3 streamed puts', () => {
  it('never runs more than (queueSize + 1) parts ahead of what the server has acknowledged', async () => {
    const partSize = 5 * MIB;
    const queueSize = 2;
    const s3 = store({ partSize, queueSize });
    const key = `bounded/${randomUUID()}.bin`;
    const total = 96 * MIB;
    // What the store may hold: `queueSize` parts in flight, one filling (a part and a chunk), and a chunk or
    // two in the streams between. A store that buffered the body before sending (the whole 96 MiB, or just
    // a few parts more) would stall the producer here and fail the test.
    const allowed = (queueSize + 1) * partSize + 4 * MIB;
    const expected = createHash('sha256');
    let produced = 0;
    let mostAhead = 0;
    async function* produce(): AsyncGenerator<Buffer> {
      let acked = 0;
      for (let index = 0; produced < total; index += 1) {
        if (produced + MIB - acked > allowed) {
          acked = await eventually(
            async () => {
              const now = await acknowledged(key);
              if (produced + MIB - now > allowed) throw new Error(`produced ${produced}, server acknowledged ${now}`);
              return now;
            },
            { timeoutMs: 10_000, intervalMs: 20, what: 'stalled' },
          );
        }
        mostAhead = Math.max(mostAhead, produced + MIB - acked);
        const chunk = mebibyte(index);
        expected.update(chunk);
        produced += chunk.length;
        yield chunk;
      }
    }
    const result = await s3.put(key, Readable.from(produce(), { objectMode: false }));
    const digest = expected.digest('hex');
    expect(result).toEqual({ key, size: total, sha256: digest });
    expect(mostAhead).toBeLessThanOrEqual(allowed);
    expect((await s3.head(key))?.sha256).toBe(digest);
    expect(await openUploads(key)).toEqual([]);
  }, 60_000);

  it('fails with the body’s own error when the body fails mid-upload, leaving no upload and no object', async () => {
    const s3 = store({ partSize: 5 * MIB, queueSize: 2 });
    const key = `failing/${randomUUID()}.dump`;
    function* produce(): Generator<Buffer> {
      for (let index = 0; index < 12; index += 1) yield mebibyte(index);
      throw new Error('pg_dump exited with code 1');
    }
    await expect(s3.put(key, Readable.from(produce(), { objectMode: false }))).rejects.toThrow(
      'pg_dump exited with code 1',
    );
    // The put reports the failure only once the multipart upload is aborted.
    expect(await openUploads(key)).toEqual([]);
    expect(await s3.head(key)).toBeUndefined();
  });

  it('aborts at once when the caller destroys the body, and the server drops the parts', async () => {
    const s3 = store({ partSize: 5 * MIB, queueSize: 2 });
    const key = `destroyed/${randomUUID()}.dump`;
    const body = new PassThrough();
    const putting = s3.put(key, body);
    for (let index = 0; index < 7; index += 1) body.write(mebibyte(index));
    await eventually(async () => ((await acknowledged(key)) >= 5 * MIB ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'never happened: the first part acknowledged',
    });
    const destroyedAt = Date.now();
    body.destroy(new Error('step cancelled'));
    await expect(putting).rejects.toThrow('step cancelled');
    expect(Date.now() - destroyedAt).toBeLessThan(2_000);
    expect(await openUploads(key)).toEqual([]);
    expect(await s3.head(key)).toBeUndefined();
  });

  it('stamps the digest of an object over the CopyObject limit with a multipart copy', async () => {
    const s3 = store({ partSize: 5 * MIB, maxCopyObjectBytes: 6 * MIB, copyPartSize: 5 * MIB });
    const key = `copied/${randomUUID()} ✓.bin`;
    const chunks = Array.from({ length: 12 }, (_, index) => mebibyte(index));
    const data = Buffer.concat(chunks);
    const result = await s3.put(key, Readable.from(chunks, { objectMode: false }), {
      contentType: 'application/vnd.postgresql.custom-dump',
      metadata: { source: 'orders' },
    });
    expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await s3.head(key)).toMatchObject({
      size: data.length,
      sha256: result.sha256,
      contentType: 'application/vnd.postgresql.custom-dump',
      metadata: { source: 'orders' },
    });
    expect((await readAll(await s3.get(key))).equals(data)).toBe(true);
    expect(await openUploads(key)).toEqual([]);
  });

  it('sends a stream that fits in one part as a single PutObject, digest included', async () => {
    const s3 = store({ partSize: 5 * MIB });
    const key = `small/${randomUUID()}`;
    const data = Buffer.concat([mebibyte(1), mebibyte(2), mebibyte(3), mebibyte(4), mebibyte(5)]);
    const result = await s3.put(key, Readable.from([data.subarray(0, 3 * MIB), data.subarray(3 * MIB)]));
    expect(result.size).toBe(5 * MIB);
    expect((await s3.head(key))?.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    // A multipart object's ETag ends in -<parts>; one sent whole has a plain MD5.
    const head = await raw.send(new HeadObjectCommand({ Bucket: seaweed.bucket, Key: key }));
    expect(head.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
  });
});
