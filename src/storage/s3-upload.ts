/**
 * `put` for the S3 store. A Buffer, or a stream that ends within one part, goes up in one PutObject with
 * its SHA-256 in the metadata. A longer stream goes up as a multipart upload (`@aws-sdk/lib-storage`)
 * that reads the body at most `queueSize + 1` parts ahead of what the server has acknowledged (memory is
 * bounded by the part size, never by the object), hashing the bytes as they pass; the digest is
 * only known at the end, when S3 metadata can no longer be set, so it is stamped afterwards by copying
 * the object onto itself with new metadata (CopyObject up to 5 GiB, a multipart copy beyond).
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { Digest, SHA256_METADATA, type PutResult } from './blob-store.js';
import { stampDigest } from './s3-copy-in-place.js';
import { call, s3Error } from './s3-errors.js';
import { contentTypeOf, lockOf, MAX_PARTS, type PutHeaders, type S3Target } from './s3-target.js';

/** Stores `body` under `key` (already validated): one PutObject when it fits in a part, a multipart upload otherwise. */
export async function putObject(
  target: S3Target,
  key: string,
  body: Buffer | Readable,
  headers: PutHeaders,
): Promise<PutResult> {
  if (Buffer.isBuffer(body)) return putWhole(target, key, body, sha256Of(body), headers);
  const digest = new Digest();
  const failure: { error?: Error } = {};
  const chunks = hashed(body, digest, target.settings.partSize * MAX_PARTS, key, failure);
  const first = await takeBytes(chunks, target.settings.partSize);
  if (first.done) return putWhole(target, key, Buffer.concat(first.chunks), digest.hex(), headers);
  return putMultipart(target, key, { body, chunks: prepend(first.chunks, chunks), digest, failure }, headers);
}

function sha256Of(body: Buffer): string {
  const digest = new Digest();
  digest.update(body);
  return digest.hex();
}

async function putWhole(
  target: S3Target,
  key: string,
  content: Buffer,
  sha256: string,
  headers: PutHeaders,
): Promise<PutResult> {
  await call(key, () =>
    target.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: content,
        ContentLength: content.length,
        ...contentTypeOf(headers),
        ...lockOf(headers),
        Metadata: { ...headers.metadata, [SHA256_METADATA]: sha256 },
      }),
    ),
  );
  return { key, size: content.length, sha256 };
}

/** A streamed body on its way up: the caller's stream, its hashed chunks, and the first failure on its side. */
interface StreamedBody {
  body: Readable;
  chunks: AsyncGenerator<Buffer>;
  digest: Digest;
  failure: { error?: Error };
}

async function putMultipart(target: S3Target, key: string, streamed: StreamedBody, headers: PutHeaders) {
  const { settings, bucket } = target;
  const created: Array<Promise<{ UploadId?: string | undefined }>> = [];
  const upload = new Upload({
    client: recordingCreates(target.client, created),
    partSize: settings.partSize,
    queueSize: settings.queueSize,
    // On any failure lib-storage sends AbortMultipartUpload, so the server drops the parts it holds.
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: key,
      Body: Readable.from(streamed.chunks, { objectMode: false }),
      ...contentTypeOf(headers),
      ...lockOf(headers),
      Metadata: headers.metadata,
    },
  });
  // A caller that destroys its body with an error (pg_dump failed, the step was cancelled) aborts the upload
  // at once, even while every part in flight waits on the server.
  const onBodyError = (error: Error) => {
    streamed.failure.error ??= error;
    void upload.abort();
  };
  streamed.body.once('error', onBodyError);
  let etag: string | undefined;
  try {
    etag = (await upload.done()).ETag;
  } catch (error) {
    // lib-storage's done() rejects on abort at once, but sends AbortMultipartUpload only once the parts in
    // flight have settled: the put does not report failure before the server has dropped its parts.
    await abortCreated(target, key, created);
    throw streamed.failure.error ?? s3Error(error, key);
  } finally {
    streamed.body.off('error', onBodyError);
  }
  const sha256 = streamed.digest.hex();
  const size = streamed.digest.size;
  await stampDigest(target, key, { etag, size }, { ...headers, metadata: { ...headers.metadata, sha256 } });
  return { key, size, sha256 };
}

/** How long a failed put spends making sure its multipart upload is aborted. */
const ABORT_BUDGET_MS = 10_000;

/** `client`, except that the responses to its CreateMultipartUpload calls are collected in `created`. */
function recordingCreates(client: S3Client, created: Array<Promise<{ UploadId?: string | undefined }>>): S3Client {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<S3Client['send']>) => {
        const sent = target.send(...args);
        if (args[0] instanceof CreateMultipartUploadCommand)
          created.push(sent as unknown as Promise<{ UploadId?: string }>);
        return sent;
      };
    },
  });
}

/**
 * Aborts the multipart upload the put created, once its creation has settled (it may still be on its way
 * when the put fails). Best effort within ABORT_BUDGET_MS: when the server cannot be reached, the bucket's
 * AbortIncompleteMultipartUpload lifecycle rule is what drops the parts (docs/storage.md).
 */
async function abortCreated(
  target: S3Target,
  key: string,
  created: ReadonlyArray<Promise<{ UploadId?: string | undefined }>>,
): Promise<void> {
  const abortSignal = AbortSignal.timeout(ABORT_BUDGET_MS);
  const expired = new Promise<void>((resolve) =>
    abortSignal.addEventListener('abort', () => resolve(), { once: true }),
  );
  for (const creation of created) {
    const uploadId = await Promise.race([creation.then((out) => out.UploadId).catch(() => undefined), expired]);
    if (uploadId === undefined) continue;
    await target.client
      .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: uploadId }), {
        abortSignal,
      })
      // Already aborted by lib-storage meanwhile (NoSuchUpload), or unreachable: the lifecycle rule remains.
      .catch(() => undefined);
  }
}

/**
 * The body's chunks as Buffers, hashed and counted as they pass. A failure of the body (or a body over
 * `maxBytes`, the most 10,000 parts hold) is recorded in `failure`, so it is reported as the cause rather
 * than whatever the upload made of it.
 */
async function* hashed(
  body: Readable,
  digest: Digest,
  maxBytes: number,
  key: string,
  failure: { error?: Error },
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) {
      const buffer = digest.update(chunk);
      if (digest.size > maxBytes) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `blob ${JSON.stringify(key)} is over the ${maxBytes}-byte limit of a streamed put (10,000 parts); ` +
            'raise the S3 store partSize',
        );
      }
      yield buffer;
    }
  } catch (error) {
    failure.error ??= error instanceof Error ? error : new Error(String(error));
    throw failure.error;
  }
}

/** Pulls chunks until they add up to more than `bytes` (what one part holds) or the stream ends. */
async function takeBytes(chunks: AsyncGenerator<Buffer>, bytes: number): Promise<{ chunks: Buffer[]; done: boolean }> {
  const taken: Buffer[] = [];
  let total = 0;
  while (total <= bytes) {
    const next = await chunks.next();
    if (next.done === true) return { chunks: taken, done: true };
    taken.push(next.value);
    total += next.value.length;
  }
  return { chunks: taken, done: false };
}

/** `first`, then the rest; `first` is emptied as it goes, so its chunks are not kept for the whole upload. */
async function* prepend(first: Buffer[], rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  for (let chunk = first.shift(); chunk !== undefined; chunk = first.shift()) yield chunk;
  yield* rest;
}
