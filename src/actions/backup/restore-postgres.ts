/**
 * `restore.postgres`: restores a backup into a scratch database on the scratch server, runs the step's
 * checks against it and drops it, all in one activity, so the scratch database never outlives the step
 * (and a worker dying mid-step leaves it to the next restore's janitor). Failed checks do not fail the
 * step: their results and verdict are the output, for the drill record (`drill.record`) to judge. The object
 * is staged on disk first by default (see src/backup/restore/staging.ts): a retried step resumes the download where the last
 * attempt's file ends, and pg_restore runs `jobs` parallel jobs from the file.
 */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from '../types.js';
import type { JsonObject } from '../../domain/plan.js';
import { CheckList, checksVerdict, type CheckResult } from '../../backup/checks/schema.js';
import { runPostgresChecks } from '../../backup/checks/postgres.js';
import type { BackupDeps } from '../../backup/deps.js';
import { SOURCE_NAME, type BackupManifest } from '../../backup/manifest.js';
import { withScratchDatabase, type ScratchRun } from '../../backup/restore/scratch-db.js';
import { bytesPerSecond } from '../../backup/progress.js';
import { summarize } from '../../backup/restore/select.js';
import { lastAttemptCleanup } from '../../backup/restore/staging.js';
import {
  BackupId,
  manifestOfKind,
  restoreNote,
  restoreRunOptions,
  StagedInput,
  StagingModeInput,
} from './restore-shared.js';

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
    execute: (input, ctx) => {
      const options = restoreRunOptions(ctx, input);
      return lastAttemptCleanup(deps, options, async () => {
        const manifest = await manifestOfKind(deps, input, 'postgres', 'restore.postgres');
        const checks = input.checks ?? [];
        const run = await withScratchDatabase(deps, manifest, (url) => runPostgresChecks(url, manifest, checks), {
          ...options,
          ...(input.jobs === undefined ? {} : { jobs: input.jobs }),
        });
        const passed = checksVerdict(run.value).passed;
        const note = restoreNote(ctx, manifest, run, `${run.database} (dropped)`, passed);
        return { output: restoreOutput(manifest, run), note };
      });
    },
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
