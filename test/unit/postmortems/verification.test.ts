/**
 * The verification rule (an incident that completed with no failed or timed-out step passes; a failed
 * drill's incident completes with its record step failed, and fails) and how a settled run changes the item.
 */
import { describe, expect, it } from 'vitest';
import type { StepState } from '../../../src/domain/state.js';
import type { ActionItem } from '../../../src/postmortems/store/index.js';
import { pagesOwner, settle, unsettledRuns, verificationOutcome } from '../../../src/postmortems/verification.js';

const step = (id: string, status: StepState['status'], error?: StepState['error']): StepState => ({
  id,
  title: id.toUpperCase(),
  kind: 'action',
  status,
  ...(error ? { error } : {}),
});

const item = (over: Partial<ActionItem> = {}): ActionItem => ({
  id: 'ai-1',
  postmortemId: 'pm-1',
  title: 'Fix backups',
  owner: 'carol',
  priority: 'p2',
  status: 'done',
  runs: [{ incidentId: 'drill-1', result: 'pending', at: '2030-01-01T00:00:00.000Z' }],
  version: 2,
  createdBy: 'alice',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedBy: 'carol',
  updatedAt: '2030-01-01T00:00:00.000Z',
  ...over,
});

describe('verificationOutcome', () => {
  it('passes a completed incident whose steps succeeded or were skipped', () => {
    const state = {
      incidentId: 'i',
      status: 'completed' as const,
      steps: [step('a', 'succeeded'), step('b', 'skipped')],
    };
    expect(verificationOutcome(state)).toEqual({
      result: 'passed',
      reason: 'the incident completed with no failed step',
    });
  });

  it('fails a completed incident with a failed step (a failed drill), naming the first and the others', () => {
    const state = {
      incidentId: 'i',
      status: 'completed' as const,
      steps: [
        step('verify', 'failed', { code: 'BACKUP_CORRUPT', message: 'segment 0 differs' }),
        step('restore', 'skipped'),
        step('record', 'failed', { code: 'DRILL_FAILED', message: 'the drill failed' }),
        step('alert', 'succeeded'),
      ],
    };
    expect(verificationOutcome(state)).toEqual({
      result: 'failed',
      reason: 'step verify (VERIFY) failed: BACKUP_CORRUPT: segment 0 differs; also failed: record (DRILL_FAILED)',
    });
  });

  it('fails a timed-out step, and an aborted, failed or cancelled incident', () => {
    expect(verificationOutcome({ incidentId: 'i', status: 'completed', steps: [step('wait', 'timed_out')] })).toEqual({
      result: 'failed',
      reason: 'step wait (WAIT) failed: timed out',
    });
    expect(
      verificationOutcome({
        incidentId: 'i',
        status: 'aborted',
        steps: [],
        error: { code: 'ABORTED', message: 'step isolate failed' },
      }),
    ).toEqual({ result: 'failed', reason: 'the incident aborted: ABORTED: step isolate failed' });
    expect(verificationOutcome({ incidentId: 'i', status: 'cancelled', steps: [] }).result).toBe('failed');
  });
});

describe('settling a run', () => {
  const passed = { result: 'passed' as const, reason: 'ok' };
  const failed = { result: 'failed' as const, reason: 'step record (Record) failed: DRILL_FAILED: missed RPO' };
  const at = '2030-01-02T00:00:00.000Z';

  it('lists pending runs with no result yet, once each', () => {
    expect(unsettledRuns(item())).toEqual(['drill-1']);
    const settled = item({ runs: [...item().runs, { incidentId: 'drill-1', result: 'passed', at }] });
    expect(unsettledRuns(settled)).toEqual([]);
  });

  it('verifies a done item whose run passed, and reopens one whose run failed, saying which incident and why', () => {
    expect(settle(item(), 'drill-1', passed, at)).toEqual({
      action: 'verified',
      result: 'passed',
      patch: { status: 'verified' },
      run: { incidentId: 'drill-1', result: 'passed', at },
    });
    expect(settle(item(), 'drill-1', failed, at)).toEqual({
      action: 'reopened',
      result: 'failed',
      patch: {
        status: 'open',
        statusReason: 'verification incident drill-1 failed: step record (Record) failed: DRILL_FAILED: missed RPO',
      },
      run: { incidentId: 'drill-1', result: 'failed', at },
    });
  });

  it('only records the run on an item someone moved meanwhile, and recognises a run already settled', () => {
    expect(settle(item({ status: 'in-progress' }), 'drill-1', passed, at)).toMatchObject({
      action: 'recorded',
      patch: {},
    });
    const settled = item({ runs: [...item().runs, { incidentId: 'drill-1', result: 'failed', at }], status: 'open' });
    expect(settle(settled, 'drill-1', passed, at)).toEqual({ action: 'already', result: 'failed' });
  });

  it('keeps a long reason within the store limit', () => {
    const long = { result: 'failed' as const, reason: 'x'.repeat(5000) };
    const decision = settle(item(), 'drill-1', long, at);
    expect(decision.action === 'reopened' && decision.patch.statusReason?.length).toBe(2000);
  });

  it('pages the owner for a failure unless the item was closed as won’t-do', () => {
    expect(pagesOwner({ status: 'open' }, 'failed')).toBe(true);
    expect(pagesOwner({ status: 'in-progress' }, 'failed')).toBe(true);
    expect(pagesOwner({ status: 'wont-do' }, 'failed')).toBe(false);
    expect(pagesOwner({ status: 'verified' }, 'passed')).toBe(false);
  });
});
