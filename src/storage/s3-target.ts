/**
 * What the S3 store's put needs to know: the client and bucket, how streamed bodies are cut into parts, and
 * the content type and metadata of the blob being written.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** How streamed puts are cut up. */
export interface UploadSettings {
  /** Bytes per uploaded part (at least 5 MiB, the S3 minimum); also the largest body sent in one PutObject. */
  partSize: number;
  /** Parts uploaded at once. */
  queueSize: number;
  /** Largest object whose digest is stamped with one CopyObject (5 GiB on AWS); larger ones use a multipart copy. */
  maxCopyObjectBytes: number;
  /** Bytes per part of that multipart copy (raised when the object would need more than 10,000 parts). */
  copyPartSize: number;
}

/** The bucket puts go to, through which client, with which settings. */
export interface S3Target {
  client: S3Client;
  bucket: string;
  settings: UploadSettings;
}

/** Content type and metadata of a put, already validated. */
export interface PutHeaders {
  contentType?: string;
  metadata: Record<string, string>;
  /** Object Lock retention, on every object version the put writes (the digest's copy in place included). */
  retention?: { mode: 'governance' | 'compliance'; until: Date };
}

/** S3 allows at most 10,000 parts per multipart upload. */
export const MAX_PARTS = 10_000;

/** The `ContentType` parameter for `headers`, absent when no content type was given. */
export function contentTypeOf(headers: PutHeaders): { ContentType?: string } {
  return headers.contentType === undefined ? {} : { ContentType: headers.contentType };
}

/** The Object Lock parameters for `headers`, absent when no retention was asked for. */
export function lockOf(headers: PutHeaders): {
  ObjectLockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  ObjectLockRetainUntilDate?: Date;
} {
  const retention = headers.retention;
  if (retention === undefined) return {};
  return {
    ObjectLockMode: retention.mode === 'governance' ? 'GOVERNANCE' : 'COMPLIANCE',
    ObjectLockRetainUntilDate: retention.until,
  };
}
