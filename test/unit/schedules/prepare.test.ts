/** Checking a schedule before it exists: cron expressions, time zones, ids, and params exactly as a trigger checks them. */
import { createSecretCatalog } from '../../../src/secrets/declared.js';
import { describe, expect, it } from 'vitest';
import { newScheduleId, prepareSchedule, type ScheduleRequest } from '../../../src/schedules/prepare.js';
import { checkCron, checkTiming, scheduleSpec } from '../../../src/schedules/spec.js';
import { planOf, runbook } from '../runbook/helpers.js';

const plan = planOf(runbook(`  - { id: note, title: Note, action: timeline.note, with: { text: hi } }\n`));
const runbooks = new Map([['inline', { plan }]]);
const request = (extra: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  runbook: 'inline',
  cron: '0 2 * * *',
  params: { host: 'db-1' },
  createdBy: 'alice',
  ...extra,
});

describe('cron expressions', () => {
  it.each([
    '0 2 * * *',
    '*/15 * * * *',
    '0 9-17 * * MON-FRI',
    '30 6 1,15 jan,jul sun',
    '0 0 2 * * 2030',
    '0 30 2 * * * *',
    '@daily',
    '@every 90m',
    '0 2 * * * # nightly',
  ])('accepts %s', (cron) => {
    expect(checkCron(cron)).toEqual([]);
  });

  it.each([
    ['', 'expected a cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week)'],
    ['0 2 * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['60 2 * * *', 'minute `60` is out of range (0-59)'],
    ['0 24 * * *', 'hour `24` is out of range (0-23)'],
    ['0 2 0 * *', 'day of month `0` is out of range (1-31)'],
    ['0 2 * 13 *', 'month `13` is out of range (1-12 or JAN-DEC)'],
    ['0 2 * * FUNDAY', 'day of week `FUNDAY` is out of range (0-7 or SUN-SAT)'],
    ['0 2 * * 1/0', 'day of week `1/0` has a step below 1'],
    ['0 2 ? * *', 'day of month `?` is not a value, a range, a list or a step'],
    [
      '@fortnightly',
      'unknown shorthand @fortnightly (expected @yearly, @monthly, @weekly, @daily, @hourly or @every <n>[smhd])',
    ],
    ['TZ=Europe/Berlin 0 2 * * *', 'give the time zone as `timezone`, not inside the expression'],
  ])('refuses %j', (cron, message) => {
    expect(checkCron(cron)).toEqual([message]);
  });

  it('checks the time zone by its IANA name, and puts both into the spec', () => {
    expect(checkTiming('0 2 * * *', 'Europe/Berlin')).toEqual([]);
    expect(checkTiming('0 2 * *', 'Mars/Olympus')).toEqual([
      { path: 'cron', message: 'expected 5 fields (minute hour day-of-month month day-of-week), got 4' },
      { path: 'timezone', message: 'unknown time zone Mars/Olympus (expected an IANA name such as Europe/Berlin)' },
    ]);
    expect(scheduleSpec('0 2 * * *', 'Europe/Berlin')).toEqual({
      cronExpressions: ['0 2 * * *'],
      timezone: 'Europe/Berlin',
    });
    expect(scheduleSpec('0 2 * * *')).toEqual({ cronExpressions: ['0 2 * * *'] });
  });
});

describe('prepareSchedule', () => {
  it('keeps only the params given, converted as a trigger converts them; defaults stay with the runbook', () => {
    const prepared = prepareSchedule(
      runbooks,
      createSecretCatalog(),
      request({ params: { host: 'db-1', count: '5' }, severity: 'sev1' }),
    );
    expect(prepared).toEqual({
      ok: true,
      schedule: {
        scheduleId: expect.stringMatching(/^inline-[0-9a-f]{6}$/) as unknown,
        runbook: 'inline',
        cron: '0 2 * * *',
        params: { host: 'db-1', count: 5 },
        severity: 'sev1',
        createdBy: 'alice',
      },
    });
    const withoutCount = prepareSchedule(runbooks, createSecretCatalog(), request());
    expect(withoutCount.ok && withoutCount.schedule.params).toEqual({ host: 'db-1' });
  });

  it('lists every problem at once: params, severity, cron, time zone and id', () => {
    const prepared = prepareSchedule(
      runbooks,
      createSecretCatalog(),
      request({
        params: { count: 'many', colour: 'red', token: 's3cret' },
        severity: 'sev9',
        cron: '0 25 * * *',
        timezone: 'Nowhere/City',
        scheduleId: '-bad id',
      }),
    );
    expect(prepared.ok).toBe(false);
    expect(!prepared.ok && prepared.status).toBe('invalid');
    expect(!prepared.ok && prepared.problems.map((problem) => problem.path)).toEqual([
      'params.colour',
      'params.host',
      'params.count',
      'params.token',
      'severity',
      'cron',
      'timezone',
      'id',
    ]);
  });

  it('answers not_found for an unknown runbook', () => {
    const prepared = prepareSchedule(runbooks, createSecretCatalog(), request({ runbook: 'nope' }));
    expect(prepared).toEqual({
      ok: false,
      status: 'not_found',
      problems: [{ path: 'runbook', message: 'no runbook nope (loaded: inline)' }],
    });
  });

  it('keeps a given id and note, and makes fresh ids from the runbook id', () => {
    const prepared = prepareSchedule(
      runbooks,
      createSecretCatalog(),
      request({ scheduleId: 'nightly.db_1', note: 'drill', timezone: 'UTC' }),
    );
    expect(prepared.ok && prepared.schedule).toMatchObject({
      scheduleId: 'nightly.db_1',
      note: 'drill',
      timezone: 'UTC',
    });
    expect(newScheduleId('pg-drill')).toMatch(/^pg-drill-[0-9a-f]{6}$/);
    expect(newScheduleId('pg-drill')).not.toBe(newScheduleId('pg-drill'));
  });
});
