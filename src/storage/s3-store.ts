/**
 * The S3 BlobStore (AWS S3, SeaweedFS, MinIO and other S3-compatible servers) on @aws-sdk/client-s3.
 * Credentials are secret references resolved at first use. Streamed puts go up as multipart uploads with
 * bounded memory (`s3-upload.ts`); reads stream, and a body that breaks off mid-way fails as TRANSIENT
 * naming the key. Every request has a connection and an idle timeout, so a dead server fails a call in
 * seconds instead of hanging it.
 */
import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import {
  emptyBody,
  rangePastEnd,
  SHA256_METADATA,
  validateKey,
  validatePrefix,
  validatePutOptions,
  validateRange,
  type BlobHead,
  type BlobStore,
} from './blob-store.js';
import { call, s3Error, s3ReadError } from './s3-errors.js';
import type { UploadSettings } from './s3-target.js';
import { putObject } from './s3-upload.js';

export { s3Error } from './s3-errors.js';

/** Connection settings for the S3 store; the two credentials are secret references (`env:`, `file:`). */
export interface S3StoreOptions {
  /** e.g. `http://127.0.0.1:8333`; the AWS endpoint for `region` when absent. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted servers need. */
  forcePathStyle?: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  secrets: SecretResolver;
  /** SDK attempts per call, retries included. Default 3. */
  maxAttempts?: number;
  /** Milliseconds to establish a connection before the attempt fails. Default 5 s. */
  connectionTimeoutMs?: number;
  /** Milliseconds a connection may carry no data (request or response) before the attempt fails. Default 30 s. */
  idleTimeoutMs?: number;
  /** Bytes per part of a streamed put; at least 5 MiB. Default 8 MiB. */
  partSize?: number;
  /** Parts of a streamed put uploaded at once. Default 3. */
  queueSize?: number;
  /** Largest object whose digest is stamped with one CopyObject. Default 5 GiB (the AWS limit). */
  maxCopyObjectBytes?: number;
  /** Bytes per part when a larger object is copied in parts to stamp its digest. Default 512 MiB. */
  copyPartSize?: number;
}

const MIB = 1024 * 1024;

/** Defaults of the S3 store's tuning options. */
export const S3_DEFAULTS = {
  maxAttempts: 3,
  connectionTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  partSize: 8 * MIB,
  queueSize: 3,
  maxCopyObjectBytes: 5 * 1024 * MIB,
  copyPartSize: 512 * MIB,
} as const;

/** The S3 minimum size of every part but the last. */
const MIN_PART_SIZE = 5 * MIB;

/** Creates an S3 BlobStore; no request is made and no secret resolved until the first call. */
export function createS3Store(options: S3StoreOptions): BlobStore {
  const { bucket } = options;
  const settings = uploadSettings(options);
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: options.maxAttempts ?? S3_DEFAULTS.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? S3_DEFAULTS.connectionTimeoutMs,
      // A rolling idle timeout that stays armed through the response body: a server that stops sending
      // mid-object fails the read instead of stalling it until the activity times out.
      socketTimeout: options.idleTimeoutMs ?? S3_DEFAULTS.idleTimeoutMs,
    },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    // The SDK keeps identities that have no expiration, so each secret is resolved once, on first use.
    credentials: async () => ({
      accessKeyId: await options.secrets.resolve(options.accessKeyId),
      secretAccessKey: await options.secrets.resolve(options.secretAccessKey),
    }),
  });

  async function sizeOf(key: string): Promise<number> {
    const response = await call(key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    return response.ContentLength ?? 0;
  }

  return {
    async put(key, body, opts) {
      validateKey(key);
      const metadata = validatePutOptions(opts);
      const contentType = opts?.contentType;
      return putObject({ client, bucket, settings }, key, body, {
        metadata,
        ...(contentType === undefined ? {} : { contentType }),
        ...(opts?.retention === undefined ? {} : { retention: opts.retention }),
      });
    },

    async get(key, opts) {
      validateKey(key);
      const range = validateRange(opts);
      if (range.start === 0 && range.end === undefined) {
        const response = await call(key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
        return guarded(key, bodyOf(key, response.Body), 0);
      }
      // HTTP cannot ask for zero bytes (`bytes=5-4` is ignored and answers the whole object): check existence.
      if (range.end === range.start) return emptyRange(key, range.start, await sizeOf(key));
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: rangeHeader(range.start, range.end) }),
        );
        // A server that ignores Range answers 200 with the whole object: never pass those bytes off as the range.
        if (response.ContentRange === undefined) {
          bodyOf(key, response.Body).destroy();
          throw new FirebreakError(ErrorCode.InvalidInput, `the S3 server ignored the Range of ${JSON.stringify(key)}`);
        }
        return guarded(key, bodyOf(key, response.Body), range.start);
      } catch (error) {
        // 416: the range starts at or past the end (S3 refuses `bytes=<size>-`), which reads nothing or is invalid.
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 416) {
          return emptyRange(key, range.start, await sizeOf(key));
        }
        throw s3Error(error, key);
      }
    },

    async head(key) {
      validateKey(key);
      try {
        const response = await call(key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
        const { [SHA256_METADATA]: sha256, ...metadata } = response.Metadata ?? {};
        const head: BlobHead = {
          size: response.ContentLength ?? 0,
          metadata,
          modifiedAt: response.LastModified ?? new Date(0),
        };
        if (sha256 !== undefined) head.sha256 = sha256;
        if (response.ContentType !== undefined) head.contentType = response.ContentType;
        return head;
      } catch (error) {
        if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) return undefined;
        throw error;
      }
    },

    async *list(prefix) {
      validatePrefix(prefix);
      let token: string | undefined;
      do {
        const page = await call(prefix, () =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          yield { key: item.Key, size: item.Size ?? 0, modifiedAt: item.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },

    async delete(key) {
      validateKey(key);
      await call(key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },
  };
}

/** The streamed-put settings, defaults filled in; INVALID_INPUT for parts S3 would refuse. */
function uploadSettings(options: S3StoreOptions): UploadSettings {
  const settings: UploadSettings = {
    partSize: options.partSize ?? S3_DEFAULTS.partSize,
    queueSize: options.queueSize ?? S3_DEFAULTS.queueSize,
    maxCopyObjectBytes: options.maxCopyObjectBytes ?? S3_DEFAULTS.maxCopyObjectBytes,
    copyPartSize: options.copyPartSize ?? S3_DEFAULTS.copyPartSize,
  };
  if (!Number.isSafeInteger(settings.partSize) || settings.partSize < MIN_PART_SIZE) {
    throw new FirebreakError(ErrorCode.InvalidInput, `S3 partSize must be a whole number >= ${MIN_PART_SIZE} bytes`);
  }
  if (!Number.isSafeInteger(settings.copyPartSize) || settings.copyPartSize < MIN_PART_SIZE) {
    throw new FirebreakError(ErrorCode.InvalidInput, `S3 copyPartSize must be a whole number >= ${MIN_PART_SIZE}`);
  }
  if (!Number.isSafeInteger(settings.queueSize) || settings.queueSize < 1) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'S3 queueSize must be a whole number >= 1');
  }
  return settings;
}

function bodyOf(key: string, body: unknown): Readable {
  if (!(body instanceof Readable)) {
    throw new FirebreakError(ErrorCode.Transient, `S3 returned no stream for ${JSON.stringify(key)}`);
  }
  return body;
}

/**
 * The response body as the caller's stream: a failure mid-way (the server went away, the connection was
 * reset, nothing arrived for the idle timeout) becomes a TRANSIENT error naming the key and the byte it
 * broke off at, instead of the socket's bare `aborted`.
 */
function guarded(key: string, body: Readable, start: number): Readable {
  let offset = start;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      offset += chunk.length;
      done(null, chunk);
    },
  });
  body.once('error', (error) => out.destroy(s3ReadError(error, key, offset)));
  // A consumer that stops early (or fails) releases the connection.
  out.once('close', () => body.destroy());
  body.pipe(out);
  return out;
}

/** An HTTP Range header for bytes `start` (inclusive) to `end` (exclusive; absent: to the end). */
function rangeHeader(start: number, end: number | undefined): string {
  return `bytes=${start}-${end === undefined ? '' : end - 1}`;
}

function emptyRange(key: string, start: number, size: number): Readable {
  if (start > size) throw rangePastEnd(key, start, size);
  return emptyBody();
}
