/**
 * Restore checks: the check list a restore step takes, running it against a restored database or
 * directory, and the verdict. The restore actions run the checks inside the activity that owns the
 * scratch target, so the target is dropped after its checks in the same attempt; `restore.check` runs
 * them, read-only, against a live target after a promotion.
 *
 *   starts        the database accepts connections / the directory exists
 *   tables-exist  every named table (default: every table in the manifest) exists
 *   row-counts    row counts within `tolerancePercent` (default 0) plus `toleranceRows` of the manifest's
 *   query         a read-only SQL query returns `rows`, at least `minRows`, or a `scalar`
 *   file-hashes   files have the manifest's SHA-256
 *
 * Each result is PASS, FAIL or SKIPPED with a reason. SKIPPED never counts as a pass: any FAIL fails the
 * drill, and so does a drill in which nothing passed.
 */
export {
  CHECK_KINDS,
  CHECK_STATUSES,
  CheckList,
  CheckResultSchema,
  CheckSpec,
  checksVerdict,
  QueryExpectation,
  type CheckKind,
  type CheckResult,
  type CheckStatus,
  type ChecksVerdict,
} from './schema.js';
export { runFileChecks } from './files.js';
export { CHECK_STATEMENT_TIMEOUT_MS, runPostgresChecks } from './postgres.js';
