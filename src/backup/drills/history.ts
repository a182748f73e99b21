/**
 * Drill history: a runbook's drill records, newest first, and the trend over them (pass rate, RTO and RPO
 * of the last drill against the median) with the alarm that matters most: no passing drill in N days.
 */
import { humanizeDuration } from '../../domain/duration.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { drillPrefixOf, DrillRecordSchema, type DrillRecord } from './drill.js';

/** Default number of records read. */
export const DEFAULT_HISTORY_LIMIT = 20;
/** Default age after which the lack of a passing drill is an alarm. */
export const DEFAULT_STALE_DAYS = 7;
/** Most older records read back to find the last passing drill when none of the newest passed. */
const MAX_PASS_LOOKBACK = 500;

/** A runbook's newest drill records, and any record that could not be read. */
export type DrillHistory = {
  runbook: string;
  records: DrillRecord[];
  /** Records stored in all (the history may hold more than were read). */
  total: number;
  /** The newest passing drill's time, even when it is older than the records read. */
  lastPassedAt: string | null;
  unreadable: { key: string; reason: string }[];
};

/** The trend over a history. */
export type DrillTrend = {
  drills: number;
  passed: number;
  failed: number;
  /** Passed / drills read, 0..1; null without drills. */
  passRate: number | null;
  last: { at: string; status: DrillRecord['status']; rtoMs: number | null; rpoMs: number | null } | null;
  medianRtoMs: number | null;
  medianRpoMs: number | null;
  lastPassedAt: string | null;
  /** Days since the last passing drill (fractional); null when none passed. */
  daysSinceLastPass: number | null;
  staleDays: number;
  /** Set when no drill passed in `staleDays`: the alarm, in words. */
  alarm: string | null;
};

/** Reads a runbook's drill records, newest first, at most `limit`. */
export async function readDrillHistory(
  store: BlobStore,
  runbook: string,
  limit = DEFAULT_HISTORY_LIMIT,
): Promise<DrillHistory> {
  const prefix = drillPrefixOf(runbook);
  const keys: string[] = [];
  for await (const entry of store.list(prefix)) if (entry.key.endsWith('.json')) keys.push(entry.key);
  // Keys start with the drill's start time, so byte order is time order.
  keys.sort().reverse();
  const records: DrillRecord[] = [];
  const unreadable: DrillHistory['unreadable'] = [];
  for (const key of keys.slice(0, limit)) {
    const parsed = DrillRecordSchema.safeParse(await readJson(store, key));
    if (parsed.success) records.push(parsed.data);
    else unreadable.push({ key, reason: 'not a drill record' });
  }
  const lastPass = records.find((record) => record.status === 'passed') ?? (await findPass(store, keys.slice(limit)));
  return { runbook, records, total: keys.length, lastPassedAt: lastPass?.startedAt ?? null, unreadable };
}

async function findPass(store: BlobStore, older: readonly string[]): Promise<DrillRecord | undefined> {
  for (const key of older.slice(0, MAX_PASS_LOOKBACK)) {
    const parsed = DrillRecordSchema.safeParse(await readJson(store, key));
    if (parsed.success && parsed.data.status === 'passed') return parsed.data;
  }
  return undefined;
}

/** Summarises a history as of `now`; `staleDays` is the "no passing drill in N days" threshold. */
export function drillTrend(history: DrillHistory, now: Date, staleDays = DEFAULT_STALE_DAYS): DrillTrend {
  const { records } = history;
  const passed = records.filter((record) => record.status === 'passed').length;
  const newest = records[0];
  const days = history.lastPassedAt === null ? null : (now.getTime() - Date.parse(history.lastPassedAt)) / 86_400_000;
  return {
    drills: records.length,
    passed,
    failed: records.length - passed,
    passRate: records.length === 0 ? null : passed / records.length,
    last: newest ? { at: newest.startedAt, status: newest.status, rtoMs: newest.rtoMs, rpoMs: newest.rpoMs } : null,
    medianRtoMs: median(records.map((record) => record.rtoMs)),
    medianRpoMs: median(records.map((record) => record.rpoMs)),
    lastPassedAt: history.lastPassedAt,
    daysSinceLastPass: days === null ? null : Math.round(days * 10) / 10,
    staleDays,
    alarm: alarmOf(history, days, staleDays),
  };
}

function alarmOf(history: DrillHistory, days: number | null, staleDays: number): string | null {
  if (days !== null && days <= staleDays) return null;
  if (history.total === 0) return `no drill of ${history.runbook} has been recorded`;
  if (days === null) return `no passing drill of ${history.runbook} on record`;
  return `no passing drill of ${history.runbook} in ${staleDays} days (last pass ${humanizeDuration(days * 86_400_000)} ago)`;
}

/** The median of the values that are numbers; null when there are none. */
export function median(values: readonly (number | null)[]): number | null {
  const sorted = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/** A blob parsed as JSON; undefined when it is not JSON. */
export async function readJson(store: BlobStore, key: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(Buffer.from(chunk as Uint8Array));
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
