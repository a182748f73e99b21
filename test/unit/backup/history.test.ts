/**
 * Drill history: newest first with a limit, unreadable records reported, the last pass found beyond the
 * limit, and the trend (pass rate, RTO/RPO last vs median, "no passing drill in N days").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillKey, type DrillRecord } from '../../../src/backup/drills/drill.js';
import { drillTrend, median, readDrillHistory, type DrillHistory } from '../../../src/backup/drills/history.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { drillRecord } from './support.js';

async function store(records: readonly DrillRecord[], dir: string): Promise<BlobStore> {
  const blobs = await createFsStore({ dir });
  for (const record of records) {
    await blobs.put(drillKey(record.runbook, record.startedAt, record.incidentId), Buffer.from(JSON.stringify(record)));
  }
  return blobs;
}

describe('readDrillHistory', () => {
  let scratch: string;
  let blobs: BlobStore;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-history-'));
    const records = [
      drillRecord('pg', 1, 'passed', 60_000),
      drillRecord('pg', 2, 'failed', 70_000),
      drillRecord('pg', 3, 'failed', 80_000),
      drillRecord('pg', 4, 'failed', null),
      drillRecord('other', 5, 'passed', 1),
    ];
    blobs = await store(records, scratch);
    await blobs.put('drills/pg/20240601T000000000Z-broken.json', Buffer.from('{'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('reads the newest first, at most the limit, and finds the last pass beyond it', async () => {
    const history = await readDrillHistory(blobs, 'pg', 2);
    expect(history.records.map((record) => record.incidentId)).toEqual(['drill-4', 'drill-3']);
    expect(history.total).toBe(5);
    expect(history.lastPassedAt).toBe('2024-06-01T02:00:00.000Z');
  });

  it('reports a record that does not parse', async () => {
    const history = await readDrillHistory(blobs, 'pg', 10);
    expect(history.records).toHaveLength(4);
    expect(history.unreadable).toEqual([
      { key: 'drills/pg/20240601T000000000Z-broken.json', reason: 'not a drill record' },
    ]);
  });
});

describe('drillTrend', () => {
  const history = (records: DrillRecord[], lastPassedAt: string | null): DrillHistory => ({
    runbook: 'pg',
    records,
    total: records.length,
    lastPassedAt,
    unreadable: [],
  });

  it('summarises pass rate and RTO/RPO of the last drill against the medians', () => {
    const records = [
      drillRecord('pg', 9, 'passed', 90_000),
      drillRecord('pg', 8, 'failed', null),
      drillRecord('pg', 7, 'passed', 30_000),
    ];
    const trend = drillTrend(history(records, records[0]?.startedAt ?? null), new Date('2024-06-10T02:00:00Z'));
    expect(trend).toMatchObject({
      drills: 3,
      passed: 2,
      failed: 1,
      last: { status: 'passed', rtoMs: 90_000, rpoMs: 9 * 60_000 },
      medianRtoMs: 60_000,
      medianRpoMs: 8 * 60_000,
      daysSinceLastPass: 1,
      alarm: null,
    });
    expect(trend.passRate).toBeCloseTo(2 / 3);
  });

  it('raises the alarm when no drill passed in N days, or none ever did', () => {
    const failing = [drillRecord('pg', 9, 'failed', 1)];
    const now = new Date('2024-06-10T02:00:00Z');
    expect(drillTrend(history(failing, '2024-06-01T02:00:00.000Z'), now, 7).alarm).toBe(
      'no passing drill of pg in 7 days (last pass 9d ago)',
    );
    expect(drillTrend(history(failing, '2024-06-01T02:00:00.000Z'), now, 10).alarm).toBeNull();
    expect(drillTrend(history(failing, null), now).alarm).toBe('no passing drill of pg on record');
    expect(drillTrend(history([], null), now)).toMatchObject({
      passRate: null,
      last: null,
      alarm: 'no drill of pg has been recorded',
    });
  });

  it('median ignores missing values', () => {
    expect(median([3, null, 1, 2])).toBe(2);
    expect(median([4, 1])).toBe(2.5);
    expect(median([null])).toBeNull();
  });
});
