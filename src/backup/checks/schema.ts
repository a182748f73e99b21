/**
 * Restore checks as runbooks write them (`with.checks` of restore.postgres / restore.files /
 * restore.check), their results, and the verdict over a list of results. A check is PASS, FAIL or SKIPPED; SKIPPED (a check
 * that could not run or does not apply) never counts as a pass.
 */
import { z } from 'zod';

const Name = z.string().min(1).max(100).meta({ description: 'Shown in results and the drill history.' });
const Names = z.array(z.string().min(1)).min(1);

/** The restored target is up: the database accepts a connection, the directory exists. */
export const StartsCheck = z.strictObject({ name: Name, kind: z.literal('starts') });

/** The tables exist (default: every table the manifest counted). */
export const TablesExistCheck = z.strictObject({
  name: Name,
  kind: z.literal('tables-exist'),
  tables: Names.optional().meta({ description: '`schema.table` names; default every table in the manifest.' }),
});

/** Row counts are within `tolerancePercent` of the manifest's (default 0: exact). */
export const RowCountsCheck = z.strictObject({
  name: Name,
  kind: z.literal('row-counts'),
  tables: Names.optional(),
  tolerancePercent: z.number().min(0).max(100).optional(),
  toleranceRows: z
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Rows either way allowed on top of the percentage (default 0), for small or empty tables.' }),
});

/** What a query must return: exactly / at least so many rows, or one value in the first row's first column. */
export const QueryExpectation = z.union([
  z.strictObject({ rows: z.int().min(0) }),
  z.strictObject({ minRows: z.int().min(0) }),
  z.strictObject({ scalar: z.union([z.string(), z.number(), z.boolean(), z.null()]) }),
]);
export type QueryExpectation = z.infer<typeof QueryExpectation>;

/** A named SQL query (run read-only) with its expected result, e.g. a canary row. */
export const QueryCheck = z.strictObject({
  name: Name,
  kind: z.literal('query'),
  sql: z.string().min(1).max(10_000),
  expect: QueryExpectation,
});

/** Restored files have the SHA-256 the manifest recorded (default: every file in the manifest). */
export const FileHashesCheck = z.strictObject({
  name: Name,
  kind: z.literal('file-hashes'),
  paths: Names.optional().meta({ description: 'Paths relative to the restored directory.' }),
});

/** One check. */
export const CheckSpec = z.discriminatedUnion('kind', [
  StartsCheck,
  TablesExistCheck,
  RowCountsCheck,
  QueryCheck,
  FileHashesCheck,
]);
export type CheckSpec = z.infer<typeof CheckSpec>;

/** The checks of a restore, as `with.checks` takes them; names must be unique. */
export const CheckList = z
  .array(CheckSpec)
  .max(100)
  .refine((checks) => new Set(checks.map((check) => check.name)).size === checks.length, {
    error: 'check names must be unique',
  });
export type CheckList = z.infer<typeof CheckList>;

/** The kinds of check. */
export const CHECK_KINDS = ['starts', 'tables-exist', 'row-counts', 'query', 'file-hashes'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** The outcomes of a check. */
export const CHECK_STATUSES = ['PASS', 'FAIL', 'SKIPPED'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One check's result: what it found, or why it failed or could not run. */
export const CheckResultSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(CHECK_KINDS),
  status: z.enum(CHECK_STATUSES),
  reason: z.string(),
  durationMs: z.number().min(0),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** The verdict over a list of results. */
export interface ChecksVerdict {
  passed: boolean;
  counts: Record<CheckStatus, number>;
  /** Why it did not pass: each failed check, or that nothing was verified. */
  reasons: string[];
}

/** Any FAIL fails; no PASS at all (no checks, or every one SKIPPED) fails as "nothing was verified". */
export function checksVerdict(results: readonly CheckResult[]): ChecksVerdict {
  const counts: Record<CheckStatus, number> = { PASS: 0, FAIL: 0, SKIPPED: 0 };
  for (const result of results) counts[result.status] += 1;
  const reasons = results
    .filter((result) => result.status === 'FAIL')
    .map((result) => `check ${result.name} failed: ${result.reason}`);
  if (counts.PASS === 0) {
    reasons.push(
      results.length === 0
        ? 'nothing was verified: the drill ran no checks'
        : `nothing was verified: all ${results.length} checks were skipped`,
    );
  }
  return { passed: reasons.length === 0, counts, reasons };
}

/** Times one check and turns an unexpected error into its FAIL. */
export async function timed(
  check: CheckSpec,
  run: () => Promise<{ status: CheckStatus; reason: string }>,
): Promise<CheckResult> {
  const started = performance.now();
  let outcome: { status: CheckStatus; reason: string };
  try {
    outcome = await run();
  } catch (error) {
    outcome = { status: 'FAIL', reason: error instanceof Error ? error.message : String(error) };
  }
  return { name: check.name, kind: check.kind, ...outcome, durationMs: Math.round(performance.now() - started) };
}

/** A SKIPPED result, for a check that does not apply or cannot run. */
export function skipped(check: CheckSpec, reason: string): CheckResult {
  return { name: check.name, kind: check.kind, status: 'SKIPPED', reason, durationMs: 0 };
}
