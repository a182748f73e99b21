/**
 * The blob store an entry point uses, built from `storage` in the config: the filesystem store (the
 * configured directory, else `<data dir>/blobs`) or the S3 store with its tuning (part size, parts in flight,
 * timeouts), under its key prefix when one is set.
 */
import path from 'node:path';
import type { S3StorageConfig, StorageConfig } from '../config/index.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { BlobStore } from './blob-store.js';
import { createFsStore } from './fs-store.js';
import { withKeyPrefix } from './prefixed-store.js';
import { createS3Store, type S3StoreOptions } from './s3-store.js';

/** What `blobStoreFromConfig` needs besides the config. */
export interface BlobStoreDeps {
  /** The data directory; the default filesystem store lives in `<dataDir>/blobs`. */
  dataDir: string;
  /** Resolves the S3 credentials (on the first request, never at start-up). */
  secrets: SecretResolver;
}

/** Credentials used when `storage` names none: the variables every AWS tool reads. */
export const DEFAULT_S3_CREDENTIALS = {
  accessKeyId: 'env:AWS_ACCESS_KEY_ID',
  secretAccessKey: 'env:AWS_SECRET_ACCESS_KEY',
} as const;

/** Builds the blob store `storage` describes (paths already resolved by loadConfig); absent, the fs store. */
export async function blobStoreFromConfig(storage: StorageConfig | undefined, deps: BlobStoreDeps): Promise<BlobStore> {
  if (storage === undefined) return createFsStore({ dir: path.join(deps.dataDir, 'blobs') });
  if (storage.type === 'filesystem') return createFsStore({ dir: storage.dir });
  const store = createS3Store(s3StoreOptions(storage, deps));
  return storage.prefix === undefined ? store : withKeyPrefix(store, storage.prefix);
}

/** The `createS3Store` options of an S3 `storage` section; tuning it leaves out keeps the store's defaults. */
export function s3StoreOptions(storage: S3StorageConfig, deps: Pick<BlobStoreDeps, 'secrets'>): S3StoreOptions {
  const { multipart, timeouts } = storage;
  return {
    bucket: storage.bucket,
    region: storage.region,
    forcePathStyle: storage.forcePathStyle,
    ...(storage.endpoint === undefined ? {} : { endpoint: storage.endpoint }),
    accessKeyId: storage.accessKeyId ?? DEFAULT_S3_CREDENTIALS.accessKeyId,
    secretAccessKey: storage.secretAccessKey ?? DEFAULT_S3_CREDENTIALS.secretAccessKey,
    secrets: deps.secrets,
    ...(multipart?.partSize === undefined ? {} : { partSize: multipart.partSize }),
    ...(multipart?.queueSize === undefined ? {} : { queueSize: multipart.queueSize }),
    ...(timeouts?.connectMs === undefined ? {} : { connectionTimeoutMs: timeouts.connectMs }),
    ...(timeouts?.idleMs === undefined ? {} : { idleTimeoutMs: timeouts.idleMs }),
  };
}
