/**
 * What the restore actions (`restore.postgres`, `restore.files`) share: their common inputs, the options
 * they run a restore with (cancellation, resumption, heartbeats), and the timeline note they leave.
 */
import { z } from 'zod';
import type { ActionContext } from '../types.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { manifestStoreOf, readManifest } from '../../backup/catalog.js';
import type { CheckResult } from '../../backup/checks/schema.js';
import type { BackupDeps } from '../../backup/deps.js';
import type { BackupManifest } from '../../backup/manifest.js';
import type { StreamOptions } from '../../backup/progress.js';
import { STAGING_MODES, StagingProgressSchema, type StagingChoice, type StagingMode } from '../../backup/restore/staging.js';

/** A backup id as `backup.select` outputs it. */
export const BackupId = z
  .string()
  .regex(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/, { error: 'expected a backup id' })
  .meta({ description: 'The backup id, e.g. ${{ steps.select.output.chosen.id }}.' });

/** How the object reaches the restore (shared with restore.files). */
export const StagingModeInput = z
  .enum(STAGING_MODES)
  .optional()
  .meta({
    description:
      'file (default): download to backups.restore.staging first, checked and resumable on retry; ' +
      'stream: straight from the store, no local disk, a retry starts over.',
  });

/** A `backup.verify` step's staged file (its output `staged`), to restore from instead of downloading. */
export const StagedInput = StagingProgressSchema.optional().meta({
  description:
    'The staged file a `backup.verify` step with `stage: true` left: ${{ steps.verify.output.staged }}. ' +
    'Used when it is on this worker and still matches; otherwise the backup is downloaded.',
});

/** What a restore step gives its restore: cancellation, the download to resume, heartbeats. */
export function restoreRunOptions(
  ctx: ActionContext,
  input: { staging?: StagingMode | undefined; staged?: unknown },
): StreamOptions & StagingChoice {
  return {
    signal: ctx.signal,
    // A retry's own progress first; else the file a staging verify step left.
    resumeFrom: ctx.resumeFrom ?? input.staged,
    lastAttempt: ctx.lastAttempt,
    stagingProgress: (progress) => ctx.heartbeat(progress),
    onProgress: (bytes) => ctx.heartbeat({ phase: 'restore', bytes }),
    ...(input.staging === undefined ? {} : { staging: input.staging }),
  };
}

/** Logs the restore and returns its timeline note: `Restored backup X of S in N ms into T: a of b checks passed`. */
export function restoreNote(
  ctx: ActionContext,
  manifest: BackupManifest,
  run: { value: CheckResult[]; timings: { restoreMs: number } },
  into: string,
  passed: boolean,
): string {
  ctx.logger.info({ backup: manifest.id, restoreMs: run.timings.restoreMs, passed }, 'restored');
  const passing = run.value.filter((check) => check.status === 'PASS').length;
  return (
    `Restored backup ${manifest.id} of ${manifest.source} in ${run.timings.restoreMs} ms into ${into}: ` +
    `${passing} of ${run.value.length} checks passed`
  );
}

/** The manifest of `backup` of `source`; INVALID_INPUT naming both kinds when it is not a `kind` backup. */
export async function manifestOfKind(
  deps: BackupDeps,
  input: { source: string; backup: string },
  kind: BackupManifest['kind'],
  action: string,
): Promise<BackupManifest> {
  const manifest = await readManifest(manifestStoreOf(deps), deps.layout, input.source, input.backup);
  if (manifest.kind !== kind) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `backup ${manifest.id} of ${manifest.source} is a ${manifest.kind} backup; ${action} restores ${kind} backups`,
    );
  }
  return manifest;
}
