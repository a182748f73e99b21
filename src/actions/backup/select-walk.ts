/**
 * The verified walk of `backup.select`: try the candidates in order until one verifies. Progress (the
 * candidates already rejected, and the current verification's offset) is heartbeated, so a retried step
 * neither re-verifies a backup it already rejected nor, in the same worker process, re-reads the part of
 * the current one it already hashed.
 */
import { z } from 'zod';
import type { ActionContext } from '../types.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/plan.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { BackupManifest } from '../../backup/manifest.js';
import { verifyBackup, VerifyProgressSchema, type VerifyProgress } from '../../backup/integrity/verify.js';

/** A candidate that was tried and refused. */
export const RejectionSchema = z.strictObject({ id: z.string(), createdAt: z.string(), reason: z.string() });
export type Rejection = z.infer<typeof RejectionSchema>;

const SelectProgressSchema = z.strictObject({
  kind: z.literal('backup.select'),
  rejected: z.array(RejectionSchema),
  verify: VerifyProgressSchema.optional(),
});
type SelectProgress = z.infer<typeof SelectProgressSchema>;

/** What the walk settled on. */
export interface VerifiedChoice {
  chosen: BackupManifest;
  rejected: Rejection[];
  verification: JsonObject;
}

/** Verifies candidates in order; fails (not retried) when none verifies. Store errors propagate (retried). */
export async function walkVerified(
  store: BlobStore,
  ordered: readonly BackupManifest[],
  ctx: ActionContext,
): Promise<VerifiedChoice> {
  const previous = SelectProgressSchema.safeParse(ctx.resumeFrom);
  const rejected: Rejection[] = previous.success ? [...previous.data.rejected] : [];
  const resumeVerify: VerifyProgress | undefined = previous.success ? previous.data.verify : undefined;
  const report = (verify?: VerifyProgress) => {
    const progress: SelectProgress = { kind: 'backup.select', rejected, ...(verify ? { verify } : {}) };
    ctx.heartbeat(progress);
  };
  for (const manifest of ordered) {
    if (rejected.some((rejection) => rejection.id === manifest.id)) continue;
    try {
      const result = await verifyBackup(store, manifest, {
        signal: ctx.signal,
        resumeFrom: resumeVerify,
        progress: report,
      });
      const { bytesRead, durationMs, resumedFrom } = result;
      return { chosen: manifest, rejected, verification: { bytesRead, durationMs, resumedFrom } };
    } catch (error) {
      if (!(error instanceof FirebreakError) || !isUnusable(error)) throw error;
      rejected.push({ id: manifest.id, createdAt: manifest.createdAt, reason: error.message });
      report();
    }
  }
  throw new FirebreakError(
    ErrorCode.NotFound,
    `none of the ${ordered.length} candidate backups verified: ${rejected.map((r) => `${r.id} (${r.reason})`).join('; ')}`,
    { rejected },
  );
}

// A corrupt or missing object disqualifies that backup; anything else (the store is down) is the step's problem.
function isUnusable(error: FirebreakError): boolean {
  return error.code === ErrorCode.BackupCorrupt || error.code === ErrorCode.NotFound;
}
