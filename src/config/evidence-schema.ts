/**
 * `evidence`: where captured evidence is kept. `storage` has the shape of the top-level `storage` (a
 * filesystem directory, relative to the config file, or an S3 bucket) and must be a location apart from
 * it, so backups and evidence never share keys. Absent, `<data dir>/evidence/blobs`. The custody ledger
 * lives in Firebreak's SQL store (`store`), in the schema `firebreak_evidence`.
 */
import path from 'node:path';
import { z } from 'zod';
import {
  checkS3Credentials,
  FsStorageConfigSchema,
  S3StorageFieldsSchema,
  type StorageConfig,
} from './storage-schema.js';

/** Longest Object Lock retention accepted, in days (100 years). */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * `evidence.storage.retention` (S3 only): every artefact is put with this Object Lock retention, so it
 * cannot be deleted or overwritten until it ends (`governance`: except by a user allowed to bypass it;
 * `compliance`: by no one). The bucket must have Object Lock enabled, or every write is refused.
 */
export const RetentionConfigSchema = z.strictObject({
  mode: z.enum(['governance', 'compliance']),
  days: z
    .int({ error: 'expected a whole number of days' })
    .min(1, { error: `must be 1 to ${MAX_RETENTION_DAYS}` })
    .max(MAX_RETENTION_DAYS, { error: `must be 1 to ${MAX_RETENTION_DAYS}` }),
});
export type RetentionConfig = z.infer<typeof RetentionConfigSchema>;

/** `evidence.storage`: the shape of `storage`, and on S3 an optional Object Lock `retention`. */
export const EvidenceStorageConfigSchema = z.discriminatedUnion('type', [
  FsStorageConfigSchema,
  S3StorageFieldsSchema.extend({ retention: RetentionConfigSchema.optional() }).superRefine(checkS3Credentials),
]);
export type EvidenceStorageConfig = z.infer<typeof EvidenceStorageConfigSchema>;

/** `evidence`: the evidence store's location. */
export const EvidenceConfigSchema = z.strictObject({
  storage: EvidenceStorageConfigSchema.optional(),
});
export type EvidenceConfig = z.infer<typeof EvidenceConfigSchema>;

function within(inner: string, outer: string): boolean {
  return inner === outer || outer === '' || inner.startsWith(`${outer}/`);
}

/**
 * Where `evidence.storage` overlaps the blob store backups and drills write to (`storage`): the same
 * directory or one inside the other, or the same S3 bucket and endpoint with overlapping prefixes. Both
 * directories are relative to the same config file, so they compare as written (normalized). Returns the
 * reason, or undefined when they are apart.
 */
export function evidenceOverlap(evidence: StorageConfig, storage: StorageConfig | undefined): string | undefined {
  if (storage === undefined) return undefined;
  if (evidence.type === 'filesystem' && storage.type === 'filesystem') {
    const a = path.posix.resolve('/', evidence.dir);
    const b = path.posix.resolve('/', storage.dir);
    if (within(a, b) || within(b, a)) return `directory ${evidence.dir} overlaps storage.dir ${storage.dir}`;
    return undefined;
  }
  if (evidence.type === 's3' && storage.type === 's3') {
    if (evidence.bucket !== storage.bucket || evidence.endpoint !== storage.endpoint) return undefined;
    const a = evidence.prefix ?? '';
    const b = storage.prefix ?? '';
    if (within(a, b) || within(b, a)) {
      return `bucket ${evidence.bucket} with prefix ${JSON.stringify(a)} overlaps storage's prefix ${JSON.stringify(b)}: give evidence its own bucket or a prefix apart`;
    }
  }
  return undefined;
}
