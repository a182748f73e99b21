/**
 * drill.freshness: a pass within the window reports it (time, incident, age, pass rate); none within it,
 * or none ever, fails with DRILL_STALE naming the last pass or "never".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillFreshnessAction, DrillFreshnessInput } from '../../../src/actions/backup/drill-freshness.js';
import { drillKey } from '../../../src/backup/drills/drill.js';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { backupDeps, drillRecord, recordingContext } from './support.js';

let scratch: string;
let blobs: BlobStore;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-freshness-'));
  blobs = await createFsStore({ dir: scratch });
  for (const record of [drillRecord('pg', 1, 'passed', 60_000), drillRecord('pg', 2, 'failed', 70_000)]) {
    await blobs.put(drillKey(record.runbook, record.startedAt, record.incidentId), Buffer.from(JSON.stringify(record)));
  }
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the check as of `now`; resolves to its output or rejects with its error. */
function check(runbook: string, within: string, now: string) {
  const action = drillFreshnessAction(backupDeps(blobs, new Date(now)));
  return action.execute({ runbook, within }, recordingContext({ stepId: 'check' }).ctx);
}

describe('drill.freshness', () => {
  it('reports the last pass within the window: time, incident, age and pass rate', async () => {
    const result = await check('pg', '3d', '2024-06-03T02:00:00Z');
    expect(result.output).toEqual({
      runbook: 'pg',
      within: '3d',
      lastPassedAt: '2024-06-01T02:00:00.000Z',
      incidentId: 'drill-1',
      ageMs: 2 * 86_400_000,
      age: '2d',
      drills: 2,
      passed: 1,
      passRate: 0.5,
      total: 2,
    });
    expect(result.note).toBe(
      'Last passing drill of pg: 2024-06-01T02:00:00.000Z (2d ago, incident drill-1), within 3d; ' +
        '1 of 2 recent drills passed (50%).',
    );
  });

  it('fails with DRILL_STALE, not retried, naming the last pass when it is older than the window', async () => {
    const error = await check('pg', '3d', '2024-06-10T12:00:00Z').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.DrillStale);
    expect(NON_RETRYABLE_CODES).toContain(ErrorCode.DrillStale);
    expect((error as FirebreakError).message).toBe(
      'no passing drill of pg within 3d: last pass 2024-06-01T02:00:00.000Z (9d 10h ago, incident drill-1); ' +
        '1 of 2 recent drills passed (50%)',
    );
  });

  it('says "never" when no drill of the runbook was ever recorded', async () => {
    await expect(check('orders-drill', '1w', '2024-06-10T12:00:00Z')).rejects.toThrow(
      'no passing drill of orders-drill within 1w: never passed; no drill has been recorded',
    );
  });

  it('takes the window as a duration', () => {
    expect(DrillFreshnessInput.safeParse({ runbook: 'pg', within: '36h' }).success).toBe(true);
    expect(DrillFreshnessInput.safeParse({ runbook: 'pg', within: '3 days' }).success).toBe(false);
    expect(DrillFreshnessInput.safeParse({ runbook: 'Not An Id', within: '3d' }).success).toBe(false);
  });
});
