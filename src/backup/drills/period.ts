/**
 * Restore drills of a period, per drill runbook, for the lessons-learned digest. Every record is one blob
 * `drills/<runbook>/<started>-<incident>.json` (drill.ts), so one listing of `drills/` finds every drill
 * runbook and the start of each drill from its key; only the records of the period are read.
 */
import type { BlobStore } from '../../storage/blob-store.js';
import { DRILLS_PREFIX, DrillRecordSchema } from './drill.js';
import { readJson } from './history.js';

/** Records read at most in one call; a period with more reports the rest as unreadable. */
export const MAX_PERIOD_RECORDS = 2000;

/** One drill of the period. */
export interface PeriodDrill {
  incidentId: string;
  startedAt: string;
  status: 'passed' | 'failed';
  reasons: string[];
}

/** A drill runbook's drills in the period, and whether it has any from before. */
export interface DrillRunbookPeriod {
  runbook: string;
  records: PeriodDrill[];
  hasEarlier: boolean;
  /** Records of the period that could not be read (not a drill record, or over MAX_PERIOD_RECORDS). */
  unreadable: number;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/;

/** The start a record's file name holds (`20261122T023000000Z-...json`), or undefined. */
export function startOfKey(name: string): number | undefined {
  const match = STAMP.exec(name);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, ms] = match;
  const at = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${ms}Z`);
  return Number.isNaN(at) ? undefined : at;
}

/** Every drill runbook with records, with its records started in [since, until), oldest first. */
export async function readDrillPeriods(
  store: BlobStore,
  window: { since: string; until: string },
): Promise<DrillRunbookPeriod[]> {
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  const runbooks = new Map<string, { inPeriod: string[]; hasEarlier: boolean }>();
  for await (const entry of store.list(`${DRILLS_PREFIX}/`)) {
    const [runbook, name, ...rest] = entry.key.slice(DRILLS_PREFIX.length + 1).split('/');
    if (runbook === undefined || name === undefined || rest.length > 0 || !name.endsWith('.json')) continue;
    const at = startOfKey(name);
    if (at === undefined) continue;
    const found = runbooks.get(runbook) ?? { inPeriod: [], hasEarlier: false };
    runbooks.set(runbook, found);
    if (at < since) found.hasEarlier = true;
    else if (at < until) found.inPeriod.push(entry.key);
  }
  let budget = MAX_PERIOD_RECORDS;
  const periods: DrillRunbookPeriod[] = [];
  for (const [runbook, found] of [...runbooks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const records: PeriodDrill[] = [];
    let unreadable = 0;
    for (const key of found.inPeriod.sort()) {
      if (budget <= 0) {
        unreadable += 1;
        continue;
      }
      budget -= 1;
      const parsed = DrillRecordSchema.safeParse(await readJson(store, key));
      if (!parsed.success) unreadable += 1;
      else {
        const { incidentId, startedAt, status, reasons } = parsed.data;
        records.push({ incidentId, startedAt, status, reasons });
      }
    }
    periods.push({ runbook, records, hasEarlier: found.hasEarlier, unreadable });
  }
  return periods;
}
