/**
 * `backup.verify`: recomputes a backup object's SHA-256 and size and compares them with its manifest.
 * A mismatch fails the step for good (BACKUP_CORRUPT) naming both digests; a store failure is retried and
 * resumes from the last checkpoint when the same worker process runs the retry, or, for a backup whose
 * manifest has a hash list, from the last verified segment in any worker process.
 *
 * With `stage: true` the object is verified by staging it (src/backup/restore/staging.ts): downloaded into the staging
 * directory and checked segment by segment and whole on the way, and the file is left there. Its output
 * then carries `staged`, which a following `restore.postgres` / `restore.files` step takes as `staged`
 * to restore from that file instead of downloading the backup a second time (a drill's verify and restore
 * read the object once).
 */
import { z } from 'zod';
import type { ActionContext, ActionDefinition, ActionResult, ActionSpec } from '../types.js';
import { readManifest } from '../../backup/catalog.js';
import type { BackupDeps } from '../../backup/deps.js';
import { SOURCE_NAME, type BackupManifest } from '../../backup/manifest.js';
import { bytesPerSecond } from '../../backup/progress.js';
import { summarize } from '../../backup/restore/select.js';
import { lastAttemptCleanup, stageBackup } from '../../backup/restore/staging.js';
import { verifyBackup } from '../../backup/integrity/verify.js';

/** Input of `backup.verify`. */
export const BackupVerifyInput = z.strictObject({
  source: z.string().regex(SOURCE_NAME).meta({ description: 'A configured backup source.' }),
  backup: z
    .string()
    .regex(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/, { error: 'expected a backup id' })
    .meta({ description: 'The backup id, e.g. ${{ steps.select.output.chosen.id }}.' }),
  stage: z.boolean().optional().meta({
    description:
      'Keep the verified bytes in the staging directory for a restore step (its `staged` input); default false.',
  }),
});
export type BackupVerifyInput = z.infer<typeof BackupVerifyInput>;

/** Name, description and schema of `backup.verify`. */
export const backupVerifySpec: ActionSpec<typeof BackupVerifyInput> = {
  name: 'backup.verify',
  description: 'Stream a backup object and check its SHA-256 and size against the manifest kept apart from it.',
  input: BackupVerifyInput,
};

/** The `backup.verify` action over the backup dependencies. */
export function backupVerifyAction(deps: BackupDeps): ActionDefinition<typeof BackupVerifyInput> {
  return { ...backupVerifySpec, execute: (input, ctx) => verify(deps, input, ctx) };
}

async function verify(deps: BackupDeps, input: BackupVerifyInput, ctx: ActionContext): Promise<ActionResult> {
  const manifest = await readManifest(deps.manifestStore ?? deps.store, deps.layout, input.source, input.backup);
  if (input.stage === true) return verifyStaged(deps, manifest, ctx);
  const result = await verifyBackup(deps.store, manifest, {
    signal: ctx.signal,
    resumeFrom: ctx.resumeFrom,
    progress: (progress) => ctx.heartbeat(progress),
  });
  const throughput = result.durationMs > 0 ? Math.round((result.bytesRead * 1000) / result.durationMs) : 0;
  const how =
    result.segments === undefined
      ? ''
      : ` Checked as ${result.segments.count} segments of ${result.segments.size} bytes against the manifest's hash list.`;
  const resumed = resumedNote(result);
  return {
    output: {
      backup: summarize(manifest),
      verified: true,
      sha256: result.sha256,
      size: result.size,
      bytesRead: result.bytesRead,
      resumedFrom: result.resumedFrom,
      durationMs: result.durationMs,
      throughputBytesPerS: throughput,
    },
    note:
      `Verified backup ${manifest.id} of ${manifest.source}: ${result.size} bytes, sha256 ${result.sha256.slice(0, 16)}…, ` +
      `matches the manifest (${(throughput / 1048576).toFixed(0)} MiB/s).${how}${resumed}`,
  };
}

/** Verifies by staging the object, which stays in the staging directory for the restore step. */
async function verifyStaged(deps: BackupDeps, manifest: BackupManifest, ctx: ActionContext): Promise<ActionResult> {
  const staged = await lastAttemptCleanup(deps, ctx, () =>
    stageBackup(deps, manifest, {
      signal: ctx.signal,
      resumeFrom: ctx.resumeFrom,
      lastAttempt: ctx.lastAttempt,
      progress: (progress) => ctx.heartbeat(progress),
    }),
  );
  const throughput = bytesPerSecond(staged.bytesRead, staged.downloadMs);
  const segments = manifest.segments === undefined ? '' : ` in ${manifest.segments.sha256.length} segments`;
  const resumed = resumedNote(staged);
  return {
    output: {
      backup: summarize(manifest),
      verified: true,
      sha256: staged.sha256,
      size: staged.size,
      bytesRead: staged.bytesRead,
      resumedFrom: staged.resumedFrom,
      durationMs: staged.downloadMs,
      throughputBytesPerS: throughput,
      staged: { ...staged.restoring },
    },
    note:
      `Verified backup ${manifest.id} of ${manifest.source}: ${staged.size} bytes, sha256 ` +
      `${staged.sha256.slice(0, 16)}…, matches the manifest${segments}; kept staged for the restore ` +
      `(${(throughput / 1048576).toFixed(0)} MiB/s).${resumed}`,
  };
}

/** ` Resumed at byte N.`, ` Started over: why.` or nothing, for the note. */
function resumedNote(run: { resumedFrom: number; resumeSkipped?: string | undefined }): string {
  if (run.resumedFrom > 0) return ` Resumed at byte ${run.resumedFrom}.`;
  return run.resumeSkipped === undefined ? '' : ` Started over: ${run.resumeSkipped}.`;
}
