/**
 * Drill results: the verdict (checks, failed steps, RTO and RPO targets), the append-only record written
 * by drill.record (never overwritten; a retry finds its own record), and DRILL_FAILED for a failed drill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillRecordAction } from '../../../src/actions/backup/drill-record.js';
import type { CheckResult } from '../../../src/backup/checks/index.js';
import { DrillInputSchema, type DrillInput } from '../../../src/backup/drills/drill-input.js';
import { drillKey, evaluateDrill } from '../../../src/backup/drills/drill.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { backupDeps, recordingContext } from './support.js';

const pass = (name: string): CheckResult => ({ name, kind: 'row-counts', status: 'PASS', reason: 'ok', durationMs: 3 });

const BACKUP = {
  id: '20240609T230000000Z-0badc0de',
  source: 'app',
  kind: 'postgres',
  key: 'backups/app/20240609T230000000Z-0badc0de.dump',
  createdAt: '2024-06-09T23:00:00.000Z',
  size: 100 * 1048576,
  sha256: 'ab'.repeat(32),
};

/** The steps of a drill as `${{ steps.<id> }}` gives them to drill.record. */
function input(overrides: Record<string, unknown> = {}): DrillInput {
  return DrillInputSchema.parse({
    runbook: 'pg-nightly-drill',
    startedAt: '2024-06-10T02:00:00Z',
    select: { status: 'succeeded', output: { chosen: BACKUP, durationMs: 120, rejected: [] } },
    verify: { status: 'succeeded', output: { durationMs: 800, verified: true } },
    restore: {
      status: 'succeeded',
      output: {
        restoreMs: 50_000,
        bytes: 100 * 1048576,
        checks: [pass('rows'), pass('canary')],
        timings: { checkMs: 2_000, dropMs: 10 },
      },
    },
    targets: { rto: '5m', rpo: '26h' },
    ...overrides,
  });
}

describe('evaluateDrill', () => {
  const at = new Date('2024-06-10T02:01:00Z');

  it('passes within targets, reading the backup, phases, bytes and checks from the steps', () => {
    const record = evaluateDrill(input(), 'inc-1', at);
    expect(record).toMatchObject({
      version: 1,
      status: 'passed',
      reasons: [],
      backup: BACKUP,
      phases: { select: 120, verify: 800, restore: 50_000, checks: 2_000 },
      rtoMs: 50_000,
      rpoMs: 3 * 3_600_000,
      bytes: 100 * 1048576,
      throughputBytesPerS: Math.round((100 * 1048576 * 1000) / 50_000),
      at: '2024-06-10T02:01:00.000Z',
    });
    expect(record.checks.map((check) => check.name)).toEqual(['rows', 'canary']);
  });

  it('takes explicit values for drills whose steps are not the built-in actions', () => {
    const record = evaluateDrill(
      DrillInputSchema.parse({
        runbook: 'custom',
        startedAt: '2024-06-10T02:00:00Z',
        backup: BACKUP,
        phases: { restore: 1_000 },
        checks: [pass('custom')],
      }),
      'inc-1',
      at,
    );
    expect(record).toMatchObject({ status: 'passed', rtoMs: 1_000, bytes: BACKUP.size, phases: { restore: 1_000 } });
  });

  it('fails when the RPO target is missed, even with every check passing', () => {
    const record = evaluateDrill(input({ targets: { rpo: '2h' } }), 'inc-1', at);
    expect(record.status).toBe('failed');
    expect(record.reasons).toEqual(['RPO 3h missed the target of 2h']);
  });

  it('fails when the RTO target is missed or could not be measured', () => {
    expect(evaluateDrill(input({ targets: { rto: '30s' } }), 'inc-1', at).reasons).toEqual([
      'RTO 50s missed the target of 30s',
    ]);
    const unfinished = evaluateDrill(input({ restore: { status: 'failed' } }), 'inc-1', at);
    expect(unfinished.reasons).toEqual([
      'the restore step failed',
      'nothing was verified: the drill ran no checks',
      'RTO not measured (the restore did not finish); target 5m',
    ]);
    expect(unfinished.phases).toEqual({ select: 120, verify: 800, restore: null, checks: null });
  });

  it('fails when only skipped checks ran, and when no backup was selected', () => {
    const skipped: CheckResult = { ...pass('rows'), status: 'SKIPPED', reason: 'no counts' };
    expect(evaluateDrill(input({ checks: [skipped] }), 'inc-1', at).reasons).toEqual([
      'nothing was verified: all 1 checks were skipped',
    ]);
    const none = evaluateDrill(input({ select: { status: 'failed' } }), 'inc-1', at);
    expect(none).toMatchObject({ backup: null, rpoMs: null, status: 'failed' });
    expect(none.reasons.slice(0, 2)).toEqual(['no backup was selected', 'the select step failed']);
  });
});

describe('drill.record', () => {
  let scratch: string;
  let store: BlobStore;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-'));
    store = await createFsStore({ dir: scratch });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('appends a passing record and notes it; a retry of the step returns the same record', async () => {
    const action = drillRecordAction(backupDeps(store, new Date('2024-06-10T02:05:00Z')));
    const { ctx } = recordingContext({ incidentId: 'drill-2024-06-10', stepId: 'record' });
    const result = await action.execute(input(), ctx);
    const key = drillKey('pg-nightly-drill', '2024-06-10T02:00:00Z', 'drill-2024-06-10');
    expect(key).toBe('drills/pg-nightly-drill/20240610T020000000Z-drill-2024-06-10.json');
    expect(result.output).toMatchObject({ key, record: { status: 'passed', incidentId: 'drill-2024-06-10' } });
    expect(result.note).toContain('Drill passed: backup 20240609T230000000Z-0badc0de, RTO 50s (target 5m)');
    const head = await store.head(key);

    const later = drillRecordAction(backupDeps(store, new Date('2024-06-10T03:00:00Z')));
    const retried = await later.execute(input(), ctx);
    expect((retried.output as { record: { at: string } }).record.at).toBe('2024-06-10T02:05:00.000Z');
    expect((await store.head(key))?.modifiedAt).toEqual(head?.modifiedAt);
  });

  it('writes a failed drill, then fails the step with DRILL_FAILED and the reasons', async () => {
    const action = drillRecordAction(backupDeps(store));
    const { ctx } = recordingContext({ incidentId: 'drill-2024-06-11', stepId: 'record' });
    const failing = input({ startedAt: '2024-06-11T02:00:00Z', targets: { rpo: '1h' } });
    const error: unknown = await action.execute(failing, ctx).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.DrillFailed);
    expect((error as FirebreakError).message).toContain('Drill failed');
    expect((error as FirebreakError).message).toContain('RPO 1d 3h missed the target of 1h');
    const key = drillKey('pg-nightly-drill', '2024-06-11T02:00:00Z', 'drill-2024-06-11');
    expect(await store.head(key)).toBeDefined();
  });

  it('never overwrites a record that belongs to another incident', async () => {
    const key = drillKey('pg-nightly-drill', '2024-06-12T02:00:00Z', 'inc:x');
    await store.put(key, Buffer.from('{"not":"a record"}'));
    const { ctx } = recordingContext({ incidentId: 'inc:x', stepId: 'record' });
    const error: unknown = await drillRecordAction(backupDeps(store))
      .execute(input({ startedAt: '2024-06-12T02:00:00Z' }), ctx)
      .catch((caught: unknown) => caught);
    expect((error as FirebreakError).code).toBe(ErrorCode.Conflict);
    expect(key).toContain('inc_x');
  });
});
