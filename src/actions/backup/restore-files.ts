/**
 * `restore.files`: restores a directory backup into a scratch directory under the restore directory,
 * runs the step's checks against it (file hashes, most usefully) and removes it, all in one activity.
 * Like `restore.postgres`, failed checks do not fail the step: results and verdict are the output.
 */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from '../types.js';
import type { JsonObject } from '../../domain/plan.js';
import { CheckList, checksVerdict, type CheckResult } from '../../backup/checks/schema.js';
import { runFileChecks } from '../../backup/checks/files.js';
import type { BackupDeps } from '../../backup/deps.js';
import { withScratchDirectory, type ScratchDirectoryRun } from '../../backup/restore/files.js';
import { SOURCE_NAME, type BackupManifest } from '../../backup/manifest.js';
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

/** Input of `restore.files`. */
export const RestoreFilesInput = z.strictObject({
  source: z.string().regex(SOURCE_NAME).meta({ description: 'The directory source the backup was taken from.' }),
  backup: BackupId,
  checks: CheckList.optional().meta({ description: 'Checks run against the restored directory before it is removed.' }),
  staging: StagingModeInput,
  staged: StagedInput,
});
export type RestoreFilesInput = z.infer<typeof RestoreFilesInput>;

/** Name, description and schema of `restore.files`. */
export const restoreFilesSpec: ActionSpec<typeof RestoreFilesInput> = {
  name: 'restore.files',
  description: 'Restore a directory backup into a scratch directory, run checks against it, and always remove it.',
  input: RestoreFilesInput,
};

/** The `restore.files` action over the backup dependencies. */
export function restoreFilesAction(deps: BackupDeps): ActionDefinition<typeof RestoreFilesInput> {
  return {
    ...restoreFilesSpec,
    // A failure on the last attempt (before or after staging) leaves no staged file behind.
    execute: (input, ctx) => {
      const options = restoreRunOptions(ctx, input);
      return lastAttemptCleanup(deps, options, async () => {
        const manifest = await manifestOfKind(deps, input, 'files', 'restore.files');
        const checks = input.checks ?? [];
        const run = await withScratchDirectory(deps, manifest, (dir) => runFileChecks(dir, manifest, checks), options);
        const note = restoreNote(ctx, manifest, run, 'a scratch directory (removed)', checksVerdict(run.value).passed);
        return { output: restoreOutput(manifest, run), note };
      });
    },
  };
}

function restoreOutput(manifest: BackupManifest, run: ScratchDirectoryRun<CheckResult[]>): JsonObject {
  const verdict = checksVerdict(run.value);
  return {
    backup: summarize(manifest),
    directory: run.restore.directory,
    removed: true,
    leftoversRemoved: run.leftoversRemoved,
    entries: run.restore.entries,
    bytes: run.restore.bytes,
    sha256: run.restore.sha256,
    restoreMs: run.timings.restoreMs,
    timings: { ...run.timings },
    staging: { ...run.restore.staging },
    throughputBytesPerS: bytesPerSecond(run.restore.bytes, run.timings.restoreMs),
    checks: run.value,
    verdict: { passed: verdict.passed, counts: { ...verdict.counts }, reasons: verdict.reasons },
  };
}
