/**
 * `drill.freshness`: "no passing drill in N days" as a step. Reads a drill runbook's history from the
 * blob store and fails with DRILL_STALE (not retried) when no drill of it passed within the window, naming
 * the last one that did, so the runbook's failure path (a `notify`) runs. Otherwise it reports the last
 * pass, its age and the pass rate of the recent drills.
 */
import { z } from 'zod';
import type { ActionDefinition, ActionResult, ActionSpec } from '../types.js';
import { DURATION_PATTERN, humanizeDuration, parseDuration } from '../../domain/duration.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BackupDeps } from '../../backup/deps.js';
import { DrillInputSchema } from '../../backup/drills/drill-input.js';
import { drillTrend, readDrillHistory, type DrillHistory, type DrillTrend } from '../../backup/drills/history.js';

const DAY_MS = 86_400_000;

/** Input of `drill.freshness`. */
export const DrillFreshnessInput = z.strictObject({
  runbook: DrillInputSchema.shape.runbook.meta({ description: 'The drill runbook whose history is checked.' }),
  within: z
    .string()
    .regex(DURATION_PATTERN, { error: 'expected a duration such as 36h, 3d or 1w' })
    .meta({ description: 'A drill must have passed within this long before now (by its start time), e.g. 3d.' }),
});
export type DrillFreshnessInput = z.infer<typeof DrillFreshnessInput>;

/** Name, description and schema of `drill.freshness`. */
export const drillFreshnessSpec: ActionSpec<typeof DrillFreshnessInput> = {
  name: 'drill.freshness',
  description: 'Fail with DRILL_STALE when no restore drill of a runbook passed within a window (e.g. 3d).',
  input: DrillFreshnessInput,
};

/** The `drill.freshness` action; it reads the drill records `drill.record` keeps in the backup store. */
export function drillFreshnessAction(deps: BackupDeps): ActionDefinition<typeof DrillFreshnessInput> {
  return { ...drillFreshnessSpec, execute: (input) => checkFreshness(deps, input) };
}

/** What the check found: the last pass (null fields when none is on record) and the recent trend. */
interface Freshness {
  runbook: string;
  within: string;
  lastPassedAt: string | null;
  /** The incident of the last pass; null when none passed, or when it is older than the records read. */
  incidentId: string | null;
  ageMs: number | null;
  drills: number;
  passed: number;
  passRate: number | null;
  total: number;
}

async function checkFreshness(deps: BackupDeps, input: DrillFreshnessInput): Promise<ActionResult> {
  const withinMs = parseDuration(input.within) ?? 0;
  const now = deps.now?.() ?? new Date();
  const history = await readDrillHistory(deps.store, input.runbook);
  const found = freshnessOf(input, history, drillTrend(history, now, withinMs / DAY_MS), now);
  if (found.ageMs === null || found.ageMs > withinMs) {
    throw new FirebreakError(ErrorCode.DrillStale, staleMessage(found), found);
  }
  return {
    output: { ...found, age: humanizeDuration(found.ageMs) },
    note:
      `Last passing drill of ${found.runbook}: ${lastPassText(found)}, within ${found.within}; ` +
      `${rateText(found)}.`,
  };
}

function freshnessOf(input: DrillFreshnessInput, history: DrillHistory, trend: DrillTrend, now: Date): Freshness {
  const lastPass = history.records.find((record) => record.status === 'passed');
  const lastPassedAt = history.lastPassedAt;
  return {
    runbook: input.runbook,
    within: input.within,
    lastPassedAt,
    incidentId: lastPass?.startedAt === lastPassedAt ? (lastPass?.incidentId ?? null) : null,
    // A record stamped ahead of this clock (skew) counts as just now.
    ageMs: lastPassedAt === null ? null : Math.max(0, now.getTime() - Date.parse(lastPassedAt)),
    drills: trend.drills,
    passed: trend.passed,
    passRate: trend.passRate,
    total: history.total,
  };
}

/** `no passing drill of pg-drill within 3d: last pass 2026-… (4d 2h ago, incident …); 0 of 5 recent drills passed`. */
function staleMessage(found: Freshness): string {
  const last = found.lastPassedAt === null ? 'never passed' : `last pass ${lastPassText(found)}`;
  const rate = found.total === 0 ? 'no drill has been recorded' : rateText(found);
  return `no passing drill of ${found.runbook} within ${found.within}: ${last}; ${rate}`;
}

function lastPassText(found: Freshness): string {
  if (found.lastPassedAt === null || found.ageMs === null) return 'never';
  const incident = found.incidentId === null ? '' : `, incident ${found.incidentId}`;
  return `${found.lastPassedAt} (${humanizeDuration(found.ageMs)} ago${incident})`;
}

function rateText(found: Freshness): string {
  const percent = found.passRate === null ? '' : ` (${Math.round(found.passRate * 100)}%)`;
  return `${found.passed} of ${found.drills} recent drills passed${percent}`;
}
