/**
 * The S3 BlobStore (AWS S3, SeaweedFS, MinIO and other S3-compatible servers) on @aws-sdk/client-s3.
 * Credentials are secret references resolved at first use. @aws-sdk/lib-storage is not installed, so a
 * streamed body is buffered (up to `maxBufferBytes`) and sent with one PutObject of known length; the
 * SHA-256 is computed while buffering and stored as the object's `x-amz-meta-sha256`.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import {
  chunksOf,
  Digest,
  emptyBody,
  notFound,
  rangePastEnd,
  SHA256_METADATA,
  validateKey,
  validatePrefix,
  validatePutOptions,
  validateRange,
  type BlobHead,
  type BlobStore,
} from './blob-store.js';

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
  /** Largest streamed body `put` buffers before refusing it. Default 256 MiB. */
  maxBufferBytes?: number;
  /** SDK attempts per call, retries included. Default 3. */
  maxAttempts?: number;
}

/** Default limit on a streamed body held in memory by `put`. */
export const DEFAULT_MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/** Creates an S3 BlobStore; no request is made and no secret resolved until the first call. */
export function createS3Store(options: S3StoreOptions): BlobStore {
  const { bucket } = options;
  const maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: options.maxAttempts ?? 3,
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
      const digest = new Digest();
      const chunks: Buffer[] = [];
      for await (const chunk of chunksOf(body)) {
        chunks.push(digest.update(chunk));
        if (digest.size > maxBufferBytes) {
          if (!Buffer.isBuffer(body)) body.destroy();
          throw new FirebreakError(
            ErrorCode.InvalidInput,
            `blob ${JSON.stringify(key)} is over the S3 store's ${maxBufferBytes}-byte buffer limit`,
          );
        }
      }
      const sha256 = digest.hex();
      const content = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
      await call(key, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: content,
            ContentLength: content.length,
            ...(opts?.contentType === undefined ? {} : { ContentType: opts.contentType }),
            Metadata: { ...metadata, [SHA256_METADATA]: sha256 },
          }),
        ),
      );
      return { key, size: content.length, sha256 };
    },

    async get(key, opts) {
      validateKey(key);
      const range = validateRange(opts);
      if (range.start === 0 && range.end === undefined) {
        const response = await call(key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
        return bodyOf(key, response.Body);
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
        return bodyOf(key, response.Body);
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

function bodyOf(key: string, body: unknown): Readable {
  if (!(body instanceof Readable)) {
    throw new FirebreakError(ErrorCode.Transient, `S3 returned no stream for ${JSON.stringify(key)}`);
  }
  return body;
}

/** An HTTP Range header for bytes `start` (inclusive) to `end` (exclusive; absent: to the end). */
function rangeHeader(start: number, end: number | undefined): string {
  return `bytes=${start}-${end === undefined ? '' : end - 1}`;
}

function emptyRange(key: string, start: number, size: number): Readable {
  if (start > size) throw rangePastEnd(key, start, size);
  return emptyBody();
}

async function call<T>(key: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw s3Error(error, key);
  }
}

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden']);
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

/** Maps an SDK error to a FirebreakError; the message names the key and the S3 error, never a credential. */
export function s3Error(error: unknown, key: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const shown = JSON.stringify(key);
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    const what = `${error.name}${status ? ` (HTTP ${status})` : ''}`;
    if (error.name === 'NoSuchBucket')
      return new FirebreakError(ErrorCode.NotFound, `S3 bucket does not exist: ${what}`);
    if (MISSING.has(error.name) || status === 404) return notFound(key);
    if (DENIED.has(error.name) || status === 401 || status === 403) {
      return new FirebreakError(ErrorCode.NotAllowed, `S3 refused access to ${shown}: ${what}`);
    }
    if (status >= 500 || status === 408 || status === 429 || status === 0) {
      return new FirebreakError(ErrorCode.Transient, `S3 call for ${shown} failed: ${what}`);
    }
    return new FirebreakError(ErrorCode.InvalidInput, `S3 rejected the call for ${shown}: ${what}`);
  }
  // No S3 answer at all: connection refused or reset, DNS, timeouts. The remote side may come back.
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new FirebreakError(ErrorCode.Transient, `S3 unreachable for ${shown}: ${why}`);
}
