/** Updating a schedule: a patch merged into the current values, checked as at creation, and what it changed. */
import { createSecretCatalog } from '../../../src/secrets/declared.js';
import { describe, expect, it } from 'vitest';
import { prepareUpdate, type CurrentSchedule } from '../../../src/schedules/update.js';
import { currentValues } from '../../../src/schedules/values.js';
import { planOf, runbook } from '../runbook/helpers.js';

const plan = planOf(runbook(`  - { id: note, title: Note, action: timeline.note, with: { text: hi } }\n`));
const runbooks = new Map([['inline', { plan }]]);
const now = new Date('2025-03-02T10:00:00.000Z');
const current: CurrentSchedule = {
  scheduleId: 'inline-abc123',
  runbook: 'inline',
  cron: '0 2 * * *',
  timezone: 'Europe/Berlin',
  params: { host: 'db-1', count: 5 },
  severity: 'sev2',
  note: 'nightly',
  createdBy: 'alice',
  createdAt: '2025-03-01T09:00:00.000Z',
};

const secrets = createSecretCatalog({ 'db-token': { reference: 'env:DB_TOKEN' } });

describe('prepareUpdate', () => {
  it('sets and replaces the params given, keeps the others, and lists what changed', () => {
    const prepared = prepareUpdate(
      runbooks,
      secrets,
      current,
      { cron: ' 30 4 * * * ', params: { host: 'db-2' } },
      'bob',
      now,
    );
    expect(prepared).toEqual({
      ok: true,
      update: {
        cron: '30 4 * * *',
        timezone: 'Europe/Berlin',
        params: { host: 'db-2', count: 5 },
        severity: 'sev2',
        updatedBy: 'bob',
        updatedAt: '2025-03-02T10:00:00.000Z',
      },
      changes: { cron: { from: '0 2 * * *', to: '30 4 * * *' }, 'params.host': { from: 'db-1', to: 'db-2' } },
    });
  });

  it('converts new params as a trigger does, unsets params, and clears the time zone and severity with null', () => {
    const prepared = prepareUpdate(
      runbooks,
      secrets,
      current,
      { params: { token: 'db-token' }, unsetParams: ['count'], timezone: null, severity: null, note: 'moved' },
      'bob',
      now,
    );
    expect(prepared.ok && prepared.update).toEqual({
      cron: '0 2 * * *',
      params: { host: 'db-1', token: 'db-token' },
      note: 'moved',
      updatedBy: 'bob',
      updatedAt: '2025-03-02T10:00:00.000Z',
    });
    expect(prepared.ok && prepared.changes).toEqual({
      timezone: { from: 'Europe/Berlin', to: null },
      'params.count': { from: 5, to: null },
      'params.token': { from: null, to: 'db-token' },
      severity: { from: 'sev2', to: null },
      note: { from: 'nightly', to: 'moved' },
    });
    const converted = prepareUpdate(runbooks, secrets, current, { params: { count: '7' } }, 'bob', now);
    expect(converted.ok && converted.update.params).toEqual({ host: 'db-1', count: 7 });
  });

  it('lists every problem of the merged values at once, as at creation', () => {
    const prepared = prepareUpdate(
      runbooks,
      secrets,
      current,
      {
        cron: '0 25 * * *',
        timezone: 'Nowhere/City',
        params: { count: 'many', colour: 'red' },
        unsetParams: ['host', 'shade', 'colour'],
        severity: 'sev9',
      },
      'bob',
      now,
    );
    expect(prepared).toEqual({
      ok: false,
      status: 'invalid',
      problems: [
        { path: 'unsetParams[1]', message: 'unknown param `shade` (declared: host, count, token)' },
        { path: 'unsetParams[2]', message: 'param `colour` is both set (params.colour) and unset' },
        { path: 'params.colour', message: 'unknown param `colour` (declared: host, count, token)' },
        { path: 'params.host', message: 'missing required param `host`' },
        { path: 'params.count', message: 'expected a whole number, got "many"' },
        { path: 'severity', message: 'expected one of sev1, sev2, sev3, sev4, got sev9' },
        { path: 'cron', message: 'hour `25` is out of range (0-23)' },
        {
          path: 'timezone',
          message: 'unknown time zone Nowhere/City (expected an IANA name such as Europe/Berlin)',
        },
      ],
    });
  });

  it('lets a param the runbook no longer declares be unset, and reports it while it stays', () => {
    const stale = { ...current, params: { host: 'db-1', target: 'x' } };
    expect(prepareUpdate(runbooks, secrets, stale, { cron: '@daily' }, 'bob', now)).toMatchObject({
      ok: false,
      problems: [{ path: 'params.target', message: 'unknown param `target` (declared: host, count, token)' }],
    });
    const fixed = prepareUpdate(runbooks, secrets, stale, { unsetParams: ['target'] }, 'bob', now);
    expect(fixed.ok && fixed.changes).toEqual({ 'params.target': { from: 'x', to: null } });
  });

  it('refuses a patch that changes nothing, and answers not_found when the runbook is not loaded', () => {
    expect(prepareUpdate(runbooks, secrets, current, { params: {}, unsetParams: [] }, 'bob', now)).toEqual({
      ok: false,
      status: 'invalid',
      problems: [
        {
          path: '',
          message: 'nothing to change: give at least one of cron, timezone, params, unsetParams, severity, note',
        },
      ],
    });
    expect(prepareUpdate(new Map(), secrets, current, { cron: '@daily' }, 'bob', now)).toEqual({
      ok: false,
      status: 'not_found',
      problems: [{ path: 'runbook', message: 'no runbook inline (loaded: none)' }],
    });
  });

  it('accepts a change to the same values and lists no change', () => {
    const same = prepareUpdate(runbooks, secrets, current, { cron: '0 2 * * *', params: { count: 5 } }, 'bob', now);
    expect(same.ok && same.changes).toEqual({});
  });
});

describe('currentValues', () => {
  const memo = {
    runbook: 'inline',
    cron: '0 2 * * *',
    timezone: 'Europe/Berlin',
    params: { host: 'db-1' },
    severity: 'sev2',
    createdBy: 'alice',
    createdAt: '2025-03-01T09:00:00.000Z',
  };

  it('reads the timing from the memo when the arguments predate updates', () => {
    const args = [{ scheduleId: 's', runbook: 'inline', params: { host: 'db-1' }, severity: 'sev2' }];
    expect(currentValues(memo, args)).toEqual(memo);
  });

  it('prefers the arguments, where an absent time zone or severity was cleared', () => {
    const args = [
      {
        scheduleId: 's',
        runbook: 'inline',
        params: { host: 'db-2' },
        cron: '30 4 * * *',
        updatedBy: 'bob',
        updatedAt: '2025-03-02T10:00:00.000Z',
      },
    ];
    expect(currentValues(memo, args)).toEqual({
      runbook: 'inline',
      cron: '30 4 * * *',
      params: { host: 'db-2' },
      createdBy: 'alice',
      createdAt: '2025-03-01T09:00:00.000Z',
      updatedBy: 'bob',
      updatedAt: '2025-03-02T10:00:00.000Z',
    });
    expect(currentValues(memo, [])).toEqual(memo);
  });
});
