/**
 * `restore.check`: runs restore checks against a live, configured target after a restore was promoted
 * in place (the production database, the served directory), comparing it with the backup's manifest.
 * The database session is read-only and nothing is restored, created or dropped. Failed checks are the
 * output; with `require` they fail the step (RESTORE_CHECK_FAILED, not retried).
 */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from '../types.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/plan.js';
import { manifestStoreOf, readManifest } from '../../backup/catalog.js';
import { CheckList, checksVerdict, type CheckResult, type ChecksVerdict } from '../../backup/checks/schema.js';
import type { BackupDeps } from '../../backup/deps.js';
import { backupFormat, backupFormats } from '../../backup/formats.js';
import { SOURCE_NAME, type BackupKind, type BackupManifest } from '../../backup/manifest.js';
import { summarize } from '../../backup/restore/select.js';
import { BackupId } from './restore-shared.js';

/** Input of `restore.check`. */
export const RestoreCheckInput = z.strictObject({
  source: z
    .string()
    .regex(SOURCE_NAME)
    .meta({ description: 'The configured database or directory, checked live (as it is now), not restored.' }),
  backup: BackupId,
  checks: CheckList.min(1).meta({ description: 'Checks run against the live target; queries run read-only.' }),
  require: z
    .boolean()
    .optional()
    .meta({ description: 'Fail the step with RESTORE_CHECK_FAILED unless the checks pass (default false).' }),
});
export type RestoreCheckInput = z.infer<typeof RestoreCheckInput>;

/** Name, description and schema of `restore.check`. */
export const restoreCheckSpec: ActionSpec<typeof RestoreCheckInput> = {
  name: 'restore.check',
  description:
    'Check a live, configured database or directory against a backup it was restored from (read-only); ' +
    'with require, fail unless the checks pass.',
  input: RestoreCheckInput,
  backupSources: ['postgres', 'directories'],
};

type Target = { kind: BackupKind; source: string };

/** The `restore.check` action over the backup dependencies. */
export function restoreCheckAction(deps: BackupDeps): ActionDefinition<typeof RestoreCheckInput> {
  return {
    ...restoreCheckSpec,
    async execute(input, ctx) {
      assertConfigured(deps, input.source);
      const manifest = await readManifest(manifestStoreOf(deps), deps.layout, input.source, input.backup);
      const target: Target = { kind: manifest.kind, source: input.source };
      const checks = await runChecks(deps, manifest, input.checks);
      const verdict = checksVerdict(checks);
      const what = `${backupFormat(target.kind).noun} ${input.source}`;
      ctx.logger.info({ backup: manifest.id, target, passed: verdict.passed, counts: verdict.counts }, 'checked');
      if (input.require === true && !verdict.passed) {
        throw new FirebreakError(
          ErrorCode.RestoreCheckFailed,
          `${what} does not match backup ${manifest.id}: ${verdict.reasons.concat(skippedReasons(checks)).join('; ')}`,
          { backup: manifest.id, target, checks, verdict },
        );
      }
      const note =
        `Checked ${what} against backup ${manifest.id}: ${verdict.counts.PASS} of ${checks.length} checks passed` +
        notPassed(checks);
      return { output: checkOutput(manifest, target, checks, verdict), note };
    },
  };
}

/** Fails with INVALID_INPUT, naming the configured sources, when no format has `source` configured. */
function assertConfigured(deps: BackupDeps, source: string): void {
  const formats = backupFormats();
  if (formats.some((format) => format.configured(deps, source))) return;
  const sections = formats.map(
    (format) => `backups.${format.section} (have: ${Object.keys(deps[format.section]).join(', ') || 'none'})`,
  );
  throw new FirebreakError(ErrorCode.InvalidInput, `no source ${source} in ${sections.join(' or ')}`);
}

/** Runs the checks against the live target the manifest's kind calls for. */
async function runChecks(deps: BackupDeps, manifest: BackupManifest, checks: CheckList): Promise<CheckResult[]> {
  const source = manifest.source;
  const format = backupFormat(manifest.kind);
  // The target (a database URL) stays in this function: never logged, never in the output (reasons name the source).
  const target = await format.liveTarget(deps, source);
  if (target === undefined) throw notConfiguredAs(manifest, `backups.${format.section}`);
  return format.runChecks(target, manifest, checks, { readOnly: true, label: `${format.noun} ${source}` });
}

function notConfiguredAs(manifest: BackupManifest, section: string): FirebreakError {
  const { id, source, kind } = manifest;
  return new FirebreakError(
    ErrorCode.InvalidInput,
    `backup ${id} of ${source} is a ${kind} backup, but ${source} is not in ${section}`,
  );
}

/** Why each skipped check did not run: the verdict names failures only, and a required check must say why. */
function skippedReasons(checks: readonly CheckResult[]): string[] {
  return checks
    .filter((check) => check.status === 'SKIPPED')
    .map((check) => `check ${check.name} skipped: ${check.reason}`);
}

/** `, failed: a, b; skipped: c` for the note, or nothing when every check passed. */
function notPassed(checks: readonly CheckResult[]): string {
  const named = (status: CheckResult['status']) =>
    checks.filter((check) => check.status === status).map((check) => check.name);
  const failed = named('FAIL');
  const skipped = named('SKIPPED');
  return (
    (failed.length > 0 ? `, failed: ${failed.join(', ')}` : '') +
    (skipped.length > 0 ? `${failed.length > 0 ? ';' : ','} skipped: ${skipped.join(', ')}` : '')
  );
}

function checkOutput(
  manifest: BackupManifest,
  target: Target,
  checks: CheckResult[],
  verdict: ChecksVerdict,
): JsonObject {
  return {
    backup: summarize(manifest),
    target,
    checks,
    verdict: { passed: verdict.passed, counts: { ...verdict.counts }, reasons: verdict.reasons },
  };
}
