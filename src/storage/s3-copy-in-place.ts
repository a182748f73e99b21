/**
 * Stamping an uploaded object's final metadata (its SHA-256 among it) after a multipart upload, when S3
 * no longer lets metadata be set: the object is copied onto itself with `MetadataDirective: REPLACE`, in
 * one CopyObject up to 5 GiB and with a multipart copy (UploadPartCopy) beyond, and only while it is still
 * the object that was uploaded (`CopySourceIfMatch` its ETag).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { s3Error } from './s3-errors.js';
import { contentTypeOf, lockOf, MAX_PARTS, type PutHeaders, type S3Target } from './s3-target.js';

/** What was uploaded: its ETag (absent if the server sent none) and its size. */
export interface Uploaded {
  etag: string | undefined;
  size: number;
}

/**
 * Sets the final metadata (the digest included) on the object just uploaded, by copying it onto itself,
 * but only if it is still that object (`CopySourceIfMatch`). An object left without its digest is deleted;
 * one replaced meanwhile by another put is left alone (CONFLICT).
 */
export async function stampDigest(
  target: S3Target,
  key: string,
  uploaded: Uploaded,
  headers: PutHeaders,
): Promise<void> {
  try {
    if (uploaded.size <= target.settings.maxCopyObjectBytes) {
      await target.client.send(
        new CopyObjectCommand({
          Bucket: target.bucket,
          Key: key,
          CopySource: copySource(target.bucket, key),
          ...ifMatch(uploaded.etag),
          MetadataDirective: 'REPLACE',
          ...contentTypeOf(headers),
          ...lockOf(headers),
          Metadata: headers.metadata,
        }),
      );
    } else {
      await copyInParts(target, key, uploaded, headers);
    }
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412) {
      throw new FirebreakError(ErrorCode.Conflict, `blob ${JSON.stringify(key)} was replaced while it was stored`);
    }
    await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key })).catch(() => undefined);
    throw s3Error(error, key);
  }
}

/** Copies an object over 5 GiB onto itself part by part (UploadPartCopy), with the new metadata. */
async function copyInParts(target: S3Target, key: string, uploaded: Uploaded, headers: PutHeaders): Promise<void> {
  const { client, bucket, settings } = target;
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ...contentTypeOf(headers),
      ...lockOf(headers),
      Metadata: headers.metadata,
    }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new FirebreakError(ErrorCode.Transient, 'S3 returned no multipart upload id');
  const partBytes = Math.max(settings.copyPartSize, Math.ceil(uploaded.size / MAX_PARTS));
  try {
    const parts = await inPool(byteRanges(uploaded.size, partBytes), settings.queueSize, async (range, index) => {
      const copied = await client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: index + 1,
          CopySource: copySource(bucket, key),
          CopySourceRange: `bytes=${range.start}-${range.end - 1}`,
          ...ifMatch(uploaded.etag),
        }),
      );
      return { PartNumber: index + 1, ETag: copied.CopyPartResult?.ETag };
    });
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}

/** `[start, end)` ranges of `partBytes` covering `size` bytes. */
function byteRanges(size: number, partBytes: number): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += partBytes) ranges.push({ start, end: Math.min(start + partBytes, size) });
  return ranges;
}

/** Runs `fn` over `items`, at most `width` at a time, stopping at the first failure; results in item order. */
async function inPool<T, R>(items: T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length && !failed; index = next++) {
      const item = items[index] as T;
      try {
        results[index] = await fn(item, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/** `x-amz-copy-source`: the bucket and the key, each path segment URL-encoded. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function ifMatch(etag: string | undefined): { CopySourceIfMatch?: string } {
  return etag === undefined ? {} : { CopySourceIfMatch: etag };
}
