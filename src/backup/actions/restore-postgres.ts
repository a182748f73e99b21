/**
 * `restore.postgres`: restores a backup into a scratch database on the scratch server, runs the step's
 * checks against it and drops it, all in one activity, so the scratch database never outlives the step
 * (and a worker dying mid-step leaves it to the next restore's janitor). Failed checks do not fail the
 * step: their results and verdict are the output, for `restore.check` and the drill record to judge.
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

/** A backup id as `backup.select` outputs it. */
export const BackupId = z
  .string()
  .regex(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/, { error: 'expected a backup id' })
  .meta({ description: 'The backup id, e.g. ${{ steps.select.output.chosen.id }}.' });

/** Input of `restore.postgres`. */
export const RestorePostgresInput = z.strictObject({
  source: z.string().regex(SOURCE_NAME).meta({ description: 'The database source the backup was taken from.' }),
  backup: BackupId,
  checks: CheckList.optional().meta({ description: 'Checks run against the restored database before it is dropped.' }),
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
    async execute(input, ctx) {
      const manifest = await readManifest(manifestStoreOf(deps), deps.layout, input.source, input.backup);
      if (manifest.kind !== 'postgres') {
        throw new FirebreakError(ErrorCode.InvalidInput, `backup ${manifest.id} is a ${manifest.kind} backup`);
      }
      const checks = input.checks ?? [];
      const run = await withScratchDatabase(deps, manifest, (url) => runPostgresChecks(url, manifest, checks), {
        signal: ctx.signal,
        onProgress: (bytes) => ctx.heartbeat({ phase: 'restore', bytes }),
      });
      const output = restoreOutput(manifest, run);
      const verdict = checksVerdict(run.value);
      ctx.logger.info({ backup: manifest.id, restoreMs: run.timings.restoreMs, passed: verdict.passed }, 'restored');
      const passed = run.value.filter((check) => check.status === 'PASS').length;
      const note =
        `Restored backup ${manifest.id} of ${input.source} in ${run.timings.restoreMs} ms into ${run.database} ` +
        `(dropped): ${passed} of ${run.value.length} checks passed`;
      return { output, note };
    },
  };
}

function restoreOutput(manifest: BackupManifest, run: ScratchRun<CheckResult[]>): JsonObject {
  const verdict = checksVerdict(run.value);
  const { createMs, restoreMs } = run.timings;
  return {
    backup: summarize(manifest),
    tables: { ...(manifest.postgres?.tables ?? {}) },
    database: run.database,
    dropped: true,
    leftoversDropped: run.leftoversDropped,
    bytes: run.restore.bytes,
    sha256: run.restore.sha256,
    restoreMs,
    timings: { ...run.timings, pgRestoreMs: restoreMs - createMs },
    throughputBytesPerS: bytesPerSecond(run.restore.bytes, restoreMs),
    tools: { ...run.restore.tools },
    checks: run.value,
    verdict: { passed: verdict.passed, counts: { ...verdict.counts }, reasons: verdict.reasons },
  };
}
