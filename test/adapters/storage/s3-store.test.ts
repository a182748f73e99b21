import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { freePort } from '../../../src/temporal/dev-server.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createS3Store, type S3StoreOptions } from '../../../src/storage/s3-store.js';
import { seaweedStoreOptions, startSeaweedfs, type TestSeaweedfs } from '../../../harness/seaweedfs.js';
import { runBlobStoreConformance } from './blob-store-conformance.js';

let seaweed: TestSeaweedfs;
let store: BlobStore;

function options(overrides: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return seaweedStoreOptions(seaweed, overrides);
}

async function failure(promise: Promise<unknown>): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return error as FirebreakError;
}

beforeAll(async () => {
  seaweed = await startSeaweedfs();
  store = createS3Store(options());
}, 120_000);

afterAll(async () => {
  await seaweed?.stop();
}, 30_000);

runBlobStoreConformance('s3 (SeaweedFS)', () => store, { manyKeys: 1100 });

describe('s3 store specifics', () => {
  it('maps a wrong secret to NOT_ALLOWED without the secret in the error', async () => {
    const wrong = createS3Store(
      options({
        secrets: createSecretResolver({
          env: { TEST_S3_ACCESS_KEY: seaweed.accessKeyId, TEST_S3_SECRET_KEY: 'not-the-secret-0123456789' },
          baseDir: '/',
        }),
      }),
    );
    const error = await failure(wrong.put('denied/x', Buffer.from('x')));
    expect(error.code).toBe(ErrorCode.NotAllowed);
    expect(`${error.message}${JSON.stringify(error)}`).not.toContain('not-the-secret');
  });

  it('passes an unresolvable secret reference through as SECRET_UNAVAILABLE', async () => {
    const missing = createS3Store(options({ secretAccessKey: 'env:NO_SUCH_VARIABLE' }));
    expect((await failure(missing.head('x'))).code).toBe(ErrorCode.SecretUnavailable);
  });

  it('maps an unreachable endpoint to TRANSIENT', async () => {
    const port = await freePort();
    const down = createS3Store(options({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }));
    expect((await failure(down.get('x'))).code).toBe(ErrorCode.Transient);
  });

  it('refuses parts smaller than S3 allows when the store is created', () => {
    expect(() => createS3Store(options({ partSize: 1024 * 1024 }))).toThrow(/partSize/);
    expect(() => createS3Store(options({ queueSize: 0 }))).toThrow(/queueSize/);
  });
});
