/**
 * `storage`: the blob store restore drills and the status page write to, chosen by `type`: `filesystem`
 * (a directory, relative to the config file) or `s3` (AWS S3 or an S3-compatible server). Absent, the
 * filesystem store under the data directory (`<data dir>/blobs`) is used.
 */
import { z } from 'zod';
import type { UnionChoice } from '../diagnostics/zod-issues.js';
import { describeValue, type DocPath } from '../diagnostics/located-issue.js';
import { ByteSize, DurationMs, SecretReference } from './primitives.js';

/** The storage types, as `type:` names them. */
export const STORAGE_TYPES = ['filesystem', 's3'] as const;

/** `storage` with `type: filesystem`. */
export const FsStorageConfigSchema = z.strictObject({
  type: z.literal('filesystem'),
  dir: z.string().min(1),
});
export type FsStorageConfig = z.infer<typeof FsStorageConfigSchema>;

const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/** What S3 accepts as a part: every part but the last at least 5 MiB, none over 5 GiB. */
export const S3_PART_SIZE_LIMITS = { min: 5 * MIB, max: 5 * GIB } as const;

/** Parts uploaded at once, at most: memory grows with `partSize x queueSize`. */
export const S3_MAX_QUEUE_SIZE = 16;

/** `storage.multipart`: how streamed puts are cut into parts; absent fields keep the store's defaults. */
export const S3MultipartConfigSchema = z.strictObject({
  partSize: ByteSize.pipe(
    z
      .number()
      .min(S3_PART_SIZE_LIMITS.min, { error: 'must be at least 5MiB (the smallest part S3 accepts)' })
      .max(S3_PART_SIZE_LIMITS.max, { error: 'must be at most 5GiB (the largest part S3 accepts)' }),
  ).optional(),
  queueSize: z
    .int({ error: 'expected a whole number of parts' })
    .min(1, { error: `must be 1 to ${S3_MAX_QUEUE_SIZE}` })
    .max(S3_MAX_QUEUE_SIZE, { error: `must be 1 to ${S3_MAX_QUEUE_SIZE}` })
    .optional(),
});

/** `storage.timeouts`, loaded as `connectMs` and `idleMs`; absent fields keep the store's defaults. */
export const S3TimeoutsConfigSchema = z
  .strictObject({
    connect: DurationMs.optional(),
    // Not a deadline for the whole request (a 5 GiB part takes minutes): the longest a connection may
    // carry no data, through the response body.
    idle: DurationMs.optional(),
  })
  .transform(({ connect, idle }) => ({
    ...(connect === undefined ? {} : { connectMs: connect }),
    ...(idle === undefined ? {} : { idleMs: idle }),
  }));

/** The fields of `storage` with `type: s3`, before the credentials check (for sections that extend it). */
export const S3StorageFieldsSchema = z.strictObject({
  type: z.literal('s3'),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name' }),
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  region: z.string().min(1).default('us-east-1'),
  forcePathStyle: z.boolean().default(false),
  // Every key is stored under `<prefix>/`, so one bucket can serve several installations.
  prefix: z.string().regex(KEY_PREFIX, { error: 'expected a key prefix such as firebreak or env/prod' }).optional(),
  accessKeyId: SecretReference.optional(),
  secretAccessKey: SecretReference.optional(),
  multipart: S3MultipartConfigSchema.optional(),
  timeouts: S3TimeoutsConfigSchema.optional(),
});

/** Both S3 credentials or neither. */
export function checkS3Credentials(
  s3: { accessKeyId?: string | undefined; secretAccessKey?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((s3.accessKeyId === undefined) === (s3.secretAccessKey === undefined)) return;
  const missing = s3.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey';
  ctx.addIssue({ code: 'custom', path: [missing], message: 'give both accessKeyId and secretAccessKey, or neither' });
}

/** `storage` with `type: s3`. Credentials default to `env:AWS_ACCESS_KEY_ID` and `env:AWS_SECRET_ACCESS_KEY`. */
export const S3StorageConfigSchema = S3StorageFieldsSchema.superRefine(checkS3Credentials);
export type S3StorageConfig = z.infer<typeof S3StorageConfigSchema>;

/** `storage`: one of the store types. */
export const StorageConfigSchema = z.discriminatedUnion('type', [FsStorageConfigSchema, S3StorageConfigSchema]);
export type StorageConfig = z.infer<typeof StorageConfigSchema>;

/**
 * Reports a `storage` (or `evidence.storage`) whose `type` is missing or unknown (zod gives no branch for it), for `mapZodIssues`.
 * Returns undefined for any other union.
 */
export function storageUnionChoice(path: DocPath, raw: unknown): UnionChoice | undefined {
  // `storage.type`, and `evidence.storage.type` (the same union, for the evidence store).
  const top = path.length === 2 && path[0] === 'storage';
  const evidence = path.length === 3 && path[0] === 'evidence' && path[1] === 'storage';
  if (!(top || evidence) || path[path.length - 1] !== 'type') return undefined;
  const expected = STORAGE_TYPES.join(' or ');
  if (raw === undefined) return { message: `\`type\` is required: ${expected}`, path: path.slice(0, -1) };
  return { message: `expected ${expected}, got ${describeValue(raw)}`, path };
}
