/**
 * Where bench/drill-throughput keeps its backup object, and the blob store over it: shared by the bench,
 * which writes the object through the store, and the measuring processes, which verify it through the store.
 */
import { createSecretResolver } from '../src/secrets/resolver.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { createFsStore } from '../src/storage/fs-store.js';
import { createS3Store } from '../src/storage/s3-store.js';

/** Where the object is: a filesystem store's root, or an S3 bucket. */
export type BenchTarget =
  | { type: 'fs'; dir: string }
  | { type: 's3'; endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string };

/** The blob store over a target, with the store's default settings (part size and parts in flight included). */
export async function storeOf(target: BenchTarget): Promise<BlobStore> {
  if (target.type === 'fs') return createFsStore({ dir: target.dir });
  return createS3Store({
    endpoint: target.endpoint,
    region: target.region,
    bucket: target.bucket,
    forcePathStyle: true,
    accessKeyId: 'env:BENCH_S3_KEY',
    secretAccessKey: 'env:BENCH_S3_SECRET',
    secrets: createSecretResolver({
      env: { BENCH_S3_KEY: target.accessKeyId, BENCH_S3_SECRET: target.secretAccessKey },
      baseDir: '/',
    }),
  });
}
