/**
 * `restore.postgres`: restores a backup into a scratch database on the scratch server, runs the step's
 * checks against it and drops it, all in one activity, so the scratch database never outlives the step
 * (and a worker dying mid-step leaves it to the next restore's janitor). Failed checks do not fail the
 * step: their results and verdict are the output, for the drill record (`drill.record`) to judge. The object
 * is staged on disk first by default (see staging.ts): a retried step resumes the download where the last
 * attempt's file ends, and pg_restore runs `jobs` parallel jobs from the file.
 */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from '../../actions/types.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/plan.js';
import { readManifest } from '../catalog.js';
import { CheckList, checksVerdict, type CheckResult } from '../check-schema.js';
import { runPostgresChecks } from '../checks-postgres.js';
import type { BackupDeps } from '../deps.js';
import { SOURCE_NAME, type BackupManifest } from '../manifest.js';
import { manifestStoreOf } from '../manifest-store.js';
import { withScratchDatabase, type ScratchRun } from '../postgres.js';
import { bytesPerSecond } from '../progress.js';
import { summarize } from '../select.js';
import { lastAttemptCleanup, STAGING_MODES, StagingProgressSchema } from '../staging.js';

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

/** Input of `restore.postgres`. */
export const RestorePostgresInput = z
  .strictObject({
    source: z.string().regex(SOURCE_NAME).meta({ description: 'The database source the backup was taken from.' }),
    backup: BackupId,
    checks: CheckList.optional().meta({
      description: 'Checks run against the restored database before it is dropped.',
    }),
    staging: StagingModeInput,
    staged: StagedInput,
    jobs: z
      .int()
      .min(1)
      .max(16)
      .optional()
      .meta({ description: 'pg_restore jobs (default 2); a streamed restore runs one.' }),
  })
  .refine((input) => input.staging !== 'stream' || input.jobs === undefined || input.jobs === 1, {
    error: 'a streamed restore runs one pg_restore job: drop jobs or use staging: file',
    path: ['jobs'],
  });
export type RestorePostgresInput = z.infer<typeof RestorePostgresInput>;

/** Name, description and schema of `restore.postgres`. */
export const restorePostgresSpec: ActionSpec<typeof RestorePostgresInput> = {
  name: 'restore.postgres',
  description: 'Restore a PostgreSQL backup into a scratch database, run checks against it, and always drop it.',
  input: RestorePostgresInput,
};

/** The `restore.postgres` action over the backup dependencies. */
export function restorePostgresAction(deps: BackupDeps): ActionDefinition<typeof RestorePostgresInput> {
  return {
    ...restorePostgresSpec,
    // A failure on the last attempt (before or after staging) leaves no staged file behind.
    execute: (input, ctx) =>
      lastAttemptCleanup(deps, { ...ctx, resumeFrom: ctx.resumeFrom ?? input.staged }, async () => {
        const manifest = await readManifest(manifestStoreOf(deps), deps.layout, input.source, input.backup);
        if (manifest.kind !== 'postgres') {
          throw new FirebreakError(ErrorCode.InvalidInput, `backup ${manifest.id} is a ${manifest.kind} backup`);
        }
        const checks = input.checks ?? [];
        const run = await withScratchDatabase(deps, manifest, (url) => runPostgresChecks(url, manifest, checks), {
          signal: ctx.signal,
          resumeFrom: ctx.resumeFrom ?? input.staged,
          lastAttempt: ctx.lastAttempt,
          stagingProgress: (progress) => ctx.heartbeat(progress),
          onProgress: (bytes) => ctx.heartbeat({ phase: 'restore', bytes }),
          ...(input.staging === undefined ? {} : { staging: input.staging }),
          ...(input.jobs === undefined ? {} : { jobs: input.jobs }),
        });
        const output = restoreOutput(manifest, run);
        const verdict = checksVerdict(run.value);
        ctx.logger.info({ backup: manifest.id, restoreMs: run.timings.restoreMs, passed: verdict.passed }, 'restored');
        const passed = run.value.filter((check) => check.status === 'PASS').length;
        const note =
          `Restored backup ${manifest.id} of ${input.source} in ${run.timings.restoreMs} ms into ${run.database} ` +
          `(dropped): ${passed} of ${run.value.length} checks passed`;
        return { output, note };
      }),
  };
}

function restoreOutput(manifest: BackupManifest, run: ScratchRun<CheckResult[]>): JsonObject {
  const verdict = checksVerdict(run.value);
  const { downloadMs, createMs, restoreMs } = run.timings;
  return {
    backup: summarize(manifest),
    tables: { ...(manifest.postgres?.tables ?? {}) },
    database: run.database,
    dropped: true,
    leftoversDropped: run.leftoversDropped,
    bytes: run.restore.bytes,
    sha256: run.restore.sha256,
    restoreMs,
    timings: { ...run.timings, pgRestoreMs: Math.max(0, restoreMs - createMs - downloadMs) },
    staging: { ...run.restore.staging },
    jobs: run.restore.jobs,
    throughputBytesPerS: bytesPerSecond(run.restore.bytes, restoreMs),
    tools: { ...run.restore.tools },
    checks: run.value,
    verdict: { passed: verdict.passed, counts: { ...verdict.counts }, reasons: verdict.reasons },
  };
}
