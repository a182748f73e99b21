/**
 * The schedule routes in process over the real dev server: create (with every problem listed), list,
 * show, pause, resume, trigger, delete and update, who may do what, and the audit line of every write.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedRunbook } from '../../src/runbook/catalog.js';
import type { ErrorBody } from '../../src/server/app.js';
import type { ScheduleDetail } from '../../src/schedules/schema.js';
import { eventually } from '../support/poll.js';
import { startTestEnv, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

const RUNBOOK = `apiVersion: firebreak/v1
id: sched-api
title: Restore drill
version: 1
severity: sev3
params:
  database: { type: string, required: true }
  rows: { type: integer, default: 10 }
roles:
  commander: {}
steps:
  - { id: soak, title: Soak, wait: 2s }
`;

const BACKUP_RUNBOOK = `apiVersion: firebreak/v1
id: sched-backup
title: Nightly backup
version: 1
severity: sev4
params:
  source: { type: string, required: true }
roles:
  commander: {}
steps:
  - { id: backup, title: Back up, action: backup.postgres, with: { source: "\${{ params.source }}" } }
`;

const runbooks = new Map<string, LoadedRunbook>();
let env: TestEnv;
let api: ApiHarness;
const created: string[] = [];

beforeAll(async () => {
  env = await startTestEnv({
    runbooks: () => Promise.resolve({ runbooks, issues: [], files: [], declaredIds: new Map() }),
  });
  const plan = env.compile(RUNBOOK);
  const backup = env.compile(BACKUP_RUNBOOK);
  runbooks.set(plan.runbookId, { file: 'sched-api.yaml', plan });
  api = await buildHarness(env, {
    plans: [plan, backup],
    access: { trigger: { 'sched-api': ['commander'], 'sched-backup': ['commander'] }, read: ['auditor'] },
    backups: {
      postgres: { orders: { url: 'env:ORDERS_DB_URL' } },
      directories: {},
      restore: {},
    },
  });
});
afterAll(async () => {
  await Promise.all(created.map((id) => api.call('alice', { method: 'DELETE', url: `/api/v1/schedules/${id}` })));
  await api?.app.close();
  await env?.close();
});

const create = (as: 'alice' | 'bob' | 'mallory' | null, payload: Record<string, unknown>) =>
  api.call(as, { method: 'POST', url: '/api/v1/schedules', payload });

function errorOf(response: LightMyRequestResponse) {
  return response.json<ErrorBody>().error;
}

async function createValid(extra: Record<string, unknown> = {}): Promise<ScheduleDetail> {
  const response = await create('alice', {
    runbook: 'sched-api',
    cron: '0 2 * * *',
    params: { database: 'orders' },
    // These tests create the same schedule many times over; the refusal of a duplicate has its own test.
    allowDuplicate: true,
    ...extra,
  });
  expect(response.statusCode).toBe(201);
  const { schedule } = response.json<{ schedule: ScheduleDetail }>();
  created.push(schedule.scheduleId);
  return schedule;
}

describe('POST /schedules', () => {
  it('creates a schedule with the params given, and audits it with its id', async () => {
    const schedule = await createValid({ timezone: 'Europe/Berlin', note: 'nightly', severity: 'sev4' });
    expect(schedule).toMatchObject({
      scheduleId: expect.stringMatching(/^sched-api-[0-9a-f]{6}$/) as unknown,
      runbook: 'sched-api',
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      params: { database: 'orders' },
      severity: 'sev4',
      note: 'nightly',
      paused: false,
      createdBy: 'alice',
      overlap: 'SKIP',
      recentRuns: [],
    });
    expect(schedule.nextRuns.length).toBeGreaterThan(0);
    expect(api.audit.entries.at(-1)).toMatchObject({
      user: 'alice',
      method: 'POST',
      path: '/api/v1/schedules',
      status: 201,
      scheduleId: schedule.scheduleId,
      outcome: 'ok',
    });
  });

  it('lists every problem of the body, params, cron and time zone in one 400', async () => {
    const response = await create('alice', {
      runbook: 'sched-api',
      cron: '0 25 * *',
      params: { rows: 'many', colour: 'red' },
      severity: 'sev9',
      timezone: 'Nowhere/City',
      every: 'day',
    });
    expect(response.statusCode).toBe(400);
    expect(
      errorOf(response)
        .issues?.map((issue) => issue.path)
        .sort(),
    ).toEqual(['cron', 'every', 'params.colour', 'params.database', 'params.rows', 'severity', 'timezone']);
    const params = await create('alice', { runbook: 'sched-api', cron: '0 2 * * *', params: { rows: '5' } });
    expect(params.statusCode).toBe(400);
    expect(errorOf(params).issues).toEqual([{ path: 'params.database', message: 'missing required param `database`' }]);
    expect(api.audit.entries.at(-1)).toMatchObject({ status: 400, outcome: 'refused', code: 'INVALID_INPUT' });
  });

  it('answers 401 without a token, 403 to whoever may not trigger the runbook, 404 for an unknown runbook', async () => {
    const anonymous = await create(null, { runbook: 'sched-api', cron: '0 2 * * *' });
    expect(anonymous.statusCode).toBe(401);
    expect(api.audit.entries.at(-1)).toMatchObject({ user: null, status: 401, code: 'UNAUTHENTICATED' });
    const bob = await create('bob', { runbook: 'sched-api', cron: 'not a cron' });
    expect(bob.statusCode).toBe(403);
    expect(errorOf(bob).message).toBe('bob may not schedule sched-api');
    const unknown = await create('alice', { runbook: 'no-such-runbook', cron: '0 2 * * *' });
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).message).toBe('no runbook no-such-runbook');
  });

  it('refuses an id already in use with 409', async () => {
    const schedule = await createValid();
    const again = await create('alice', {
      runbook: 'sched-api',
      cron: '@daily',
      params: { database: 'x' },
      id: schedule.scheduleId,
    });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).message).toBe(`a schedule with id ${schedule.scheduleId} already exists`);
  });
});

describe('POST /schedules: what would only fail at run time, or run twice', () => {
  const ids = async (runbook: string) => {
    const response = await api.call('alice', { method: 'GET', url: '/api/v1/schedules' });
    const all = response.json<{ schedules: { scheduleId: string; runbook: string }[] }>().schedules;
    return all.filter((item) => item.runbook === runbook).map((item) => item.scheduleId);
  };

  it('refuses a backup source that is not configured under backups, at creation and at update', async () => {
    const before = await ids('sched-backup');
    const refused = await create('alice', {
      runbook: 'sched-backup',
      cron: '0 1 * * *',
      params: { source: 'billing' },
    });
    expect(refused.statusCode).toBe(400);
    expect(errorOf(refused).issues).toEqual([
      {
        path: 'params.source',
        message:
          'backup source `billing` is not configured: step backup (backup.postgres) needs it under backups.postgres ' +
          'in the config the server runs with (configured: orders)',
      },
    ]);
    expect(api.audit.entries.at(-1)).toMatchObject({ status: 400, outcome: 'refused', code: 'INVALID_INPUT' });
    // An inherited name is no source either.
    const inherited = await create('alice', {
      runbook: 'sched-backup',
      cron: '0 1 * * *',
      params: { source: 'constructor' },
    });
    expect(inherited.statusCode).toBe(400);
    expect(await ids('sched-backup')).toEqual(before);

    const made = await create('alice', { runbook: 'sched-backup', cron: '0 1 * * *', params: { source: 'orders' } });
    expect(made.statusCode).toBe(201);
    const { schedule } = made.json<{ schedule: ScheduleDetail }>();
    created.push(schedule.scheduleId);
    const url = `/api/v1/schedules/${schedule.scheduleId}`;
    const patch = await api.call('alice', { method: 'PATCH', url, payload: { params: { source: 'billing' } } });
    expect(patch.statusCode).toBe(400);
    expect(errorOf(patch).issues?.[0]?.message).toContain('backup source `billing` is not configured');
    const after = await api.call('alice', { method: 'GET', url });
    expect(after.json<{ schedule: ScheduleDetail }>().schedule.params).toEqual({ source: 'orders' });
  });

  it('refuses the same schedule twice with 409 naming the first, unless allowDuplicate', async () => {
    const body = { runbook: 'sched-api', cron: '15 3 * * *', timezone: 'Europe/Berlin', params: { database: 'dup' } };
    const first = await create('alice', body);
    expect(first.statusCode).toBe(201);
    const firstId = first.json<{ schedule: ScheduleDetail }>().schedule.scheduleId;
    created.push(firstId);
    await eventually(async () => ((await ids('sched-api')).includes(firstId) ? true : undefined));
    const before = await ids('sched-api');

    // The same runs whatever the note, severity or id.
    const again = await create('alice', { ...body, note: 'again', severity: 'sev2', id: `dup-${Date.now()}` });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).message).toBe(
      `schedule ${firstId} already runs sched-api at "15 3 * * *" (Europe/Berlin) with the same params; ` +
        `change it (PATCH /schedules/${firstId}), or set allowDuplicate to create another`,
    );
    expect(api.audit.entries.at(-1)).toMatchObject({ status: 409, outcome: 'refused', code: 'CONFLICT' });
    expect(await ids('sched-api')).toEqual(before);

    // Another time zone, or other params, is another schedule; allowDuplicate makes a second on purpose.
    const berlinless = await create('alice', { ...body, timezone: 'UTC' });
    expect(berlinless.statusCode).toBe(201);
    created.push(berlinless.json<{ schedule: ScheduleDetail }>().schedule.scheduleId);
    const twice = await create('alice', { ...body, allowDuplicate: true });
    expect(twice.statusCode).toBe(201);
    created.push(twice.json<{ schedule: ScheduleDetail }>().schedule.scheduleId);
  });
});

describe('reading schedules', () => {
  const listedBy = async (as: 'alice' | 'bob' | 'mallory' | 'dana') => {
    const response = await api.call(as, { method: 'GET', url: '/api/v1/schedules' });
    return response.json<{ schedules: { scheduleId: string }[] }>().schedules.map((item) => item.scheduleId);
  };

  it("lists and shows them to the runbook's people and readers; 404 for an unknown id, 400 for a malformed one", async () => {
    const schedule = await createValid({ id: `sched-api-listed-${Date.now()}` });
    const listed = await eventually(async () => {
      const response = await api.call('alice', { method: 'GET', url: '/api/v1/schedules' });
      const found = response.json<{ schedules: { scheduleId: string }[] }>().schedules;
      return found.find((item) => item.scheduleId === schedule.scheduleId);
    });
    expect(listed).toMatchObject({ runbook: 'sched-api', cron: '0 2 * * *', params: { database: 'orders' } });
    expect(await listedBy('dana')).toContain(schedule.scheduleId);
    for (const as of ['alice', 'dana'] as const) {
      const shown = await api.call(as, { method: 'GET', url: `/api/v1/schedules/${schedule.scheduleId}` });
      expect(shown.json<{ schedule: ScheduleDetail }>().schedule.scheduleId).toBe(schedule.scheduleId);
    }
    const missing = await api.call('alice', { method: 'GET', url: '/api/v1/schedules/no-such-schedule' });
    expect([missing.statusCode, errorOf(missing).message]).toEqual([404, 'no schedule no-such-schedule']);
    const malformed = await api.call('alice', { method: 'GET', url: '/api/v1/schedules/-x' });
    expect([malformed.statusCode, errorOf(malformed).issues?.[0]?.path]).toEqual([400, 'path.id']);
    expect((await api.call(null, { method: 'GET', url: '/api/v1/schedules' })).statusCode).toBe(401);
  });

  it("hides them from whoever holds none of the runbook's roles: not listed, and the 404 of an unknown id", async () => {
    const schedule = await createValid({ id: `sched-api-hidden-${Date.now()}` });
    await eventually(async () => ((await listedBy('alice')).includes(schedule.scheduleId) ? true : undefined));
    for (const as of ['bob', 'mallory'] as const) {
      expect(await listedBy(as)).not.toContain(schedule.scheduleId);
      const hidden = await api.call(as, { method: 'GET', url: `/api/v1/schedules/${schedule.scheduleId}` });
      expect([hidden.statusCode, errorOf(hidden).message]).toEqual([404, `no schedule ${schedule.scheduleId}`]);
    }
  });
});

describe('acting on a schedule', () => {
  it('triggers a run that starts an incident, refuses a second while it runs, pauses, resumes and deletes', async () => {
    const schedule = await createValid();
    const url = `/api/v1/schedules/${schedule.scheduleId}`;
    const triggered = await api.call('alice', { method: 'POST', url: `${url}/trigger` });
    expect([triggered.statusCode, triggered.json()]).toEqual([
      202,
      { ok: true, message: `schedule ${schedule.scheduleId} triggered; its run starts now` },
    ]);
    const running = await eventually(async () => {
      const response = await api.call('alice', { method: 'GET', url });
      const run = response.json<{ schedule: ScheduleDetail }>().schedule.recentRuns[0];
      return run?.incidentStatus === 'running' ? run : undefined;
    });
    const overlapping = await api.call('alice', { method: 'POST', url: `${url}/trigger`, payload: {} });
    expect(overlapping.statusCode).toBe(409);
    expect(errorOf(overlapping).message).toContain(`(incident ${running.incidentId})`);
    const state = await env.incidents.state(running.incidentId!);
    expect(state).toMatchObject({ runbook: { id: 'sched-api' }, params: { database: 'orders', rows: 10 } });

    const paused = await api.call('alice', { method: 'POST', url: `${url}/pause` });
    expect(paused.json()).toEqual({ ok: true, message: `schedule ${schedule.scheduleId} paused` });
    const shown = await api.call('alice', { method: 'GET', url });
    expect(shown.json<{ schedule: ScheduleDetail }>().schedule).toMatchObject({
      paused: true,
      note: 'paused by alice',
    });
    const resumed = await api.call('alice', { method: 'POST', url: `${url}/resume`, payload: { note: 'back on' } });
    expect(resumed.statusCode).toBe(200);
    expect(
      (await api.call('alice', { method: 'GET', url })).json<{ schedule: ScheduleDetail }>().schedule,
    ).toMatchObject({
      paused: false,
      note: 'back on',
    });

    const deleted = await api.call('alice', { method: 'DELETE', url });
    expect([deleted.statusCode, deleted.json()]).toEqual([
      200,
      { ok: true, message: `schedule ${schedule.scheduleId} deleted` },
    ]);
    expect(api.audit.entries.at(-1)).toMatchObject({
      user: 'alice',
      method: 'DELETE',
      path: url,
      status: 200,
      scheduleId: schedule.scheduleId,
      outcome: 'ok',
    });
    expect((await api.call('alice', { method: 'GET', url })).statusCode).toBe(404);
  });

  it('answers 403 to whoever may not trigger its runbook, 404 for an unknown schedule, 400 for a bad body', async () => {
    const schedule = await createValid();
    const url = `/api/v1/schedules/${schedule.scheduleId}`;
    for (const action of ['pause', 'resume', 'trigger']) {
      const refused = await api.call('mallory', { method: 'POST', url: `${url}/${action}` });
      expect([action, refused.statusCode]).toEqual([action, 403]);
    }
    const deleteRefused = await api.call('bob', { method: 'DELETE', url });
    expect([deleteRefused.statusCode, errorOf(deleteRefused).message]).toEqual([
      403,
      'bob may not act on schedules of sched-api',
    ]);
    expect(api.audit.entries.at(-1)).toMatchObject({ user: 'bob', method: 'DELETE', status: 403, code: 'FORBIDDEN' });
    for (const [method, path] of [
      ['POST', '/pause'],
      ['POST', '/trigger'],
      ['DELETE', ''],
    ] as const) {
      const missing = await api.call('alice', { method, url: `/api/v1/schedules/no-such-schedule${path}` });
      expect([method, path, missing.statusCode]).toEqual([method, path, 404]);
    }
    const badNote = await api.call('alice', { method: 'POST', url: `${url}/pause`, payload: { note: '', why: 1 } });
    expect(errorOf(badNote).issues?.map((issue) => issue.path)).toEqual(['note', 'why']);
  });
});

describe('PATCH /schedules/{id}', () => {
  const patch = (as: 'alice' | 'bob' | 'mallory' | null, scheduleId: string, payload?: Record<string, unknown>) =>
    api.call(as, { method: 'PATCH', url: `/api/v1/schedules/${scheduleId}`, ...(payload ? { payload } : {}) });
  const show = async (scheduleId: string) =>
    (await api.call('alice', { method: 'GET', url: `/api/v1/schedules/${scheduleId}` })).json<{
      schedule: ScheduleDetail;
    }>().schedule;

  it('changes the cron and params in place, keeps the runs, audits what changed; the next run uses them', async () => {
    const schedule = await createValid({ timezone: 'Europe/Berlin', note: 'nightly' });
    const id = schedule.scheduleId;
    const url = `/api/v1/schedules/${id}`;
    await api.call('alice', { method: 'POST', url: `${url}/trigger` });
    const first = await eventually(async () => {
      const run = (await show(id)).recentRuns[0];
      return run?.incidentStatus === 'completed' ? run : undefined;
    }, 30_000);

    const response = await patch('alice', id, {
      cron: '30 4 * * *',
      timezone: null,
      params: { database: 'users', rows: '7' },
    });
    expect(response.statusCode).toBe(200);
    const changes = {
      cron: { from: '0 2 * * *', to: '30 4 * * *' },
      timezone: { from: 'Europe/Berlin', to: null },
      'params.database': { from: 'orders', to: 'users' },
      'params.rows': { from: null, to: 7 },
    };
    const body = response.json<{ schedule: ScheduleDetail; changes: unknown }>();
    expect(body.changes).toEqual(changes);
    expect(body.schedule).toMatchObject({
      cron: '30 4 * * *',
      params: { database: 'users', rows: 7 },
      note: 'nightly',
      createdBy: 'alice',
      createdAt: schedule.createdAt,
      updatedBy: 'alice',
      runsTaken: 1,
      recentRuns: [first],
    });
    expect(body.schedule).not.toHaveProperty('timezone');
    for (const time of body.schedule.nextRuns) expect(time).toMatch(/T04:30:00\.000Z$/);
    expect(api.audit.entries.at(-1)).toEqual({
      at: expect.any(String) as unknown,
      user: 'alice',
      source: 'api',
      method: 'PATCH',
      path: url,
      status: 200,
      scheduleId: id,
      outcome: 'ok',
      changes,
    });
    expect(await show(id)).toMatchObject({ cron: '30 4 * * *', params: { database: 'users', rows: 7 } });

    await api.call('alice', { method: 'POST', url: `${url}/trigger` });
    const second = await eventually(async () => {
      const run = (await show(id)).recentRuns[1];
      return run?.incidentId === undefined ? undefined : run;
    }, 30_000);
    expect((await env.incidents.state(second.incidentId!)).params).toEqual({ database: 'users', rows: 7 });

    const unset = await patch('alice', id, { unsetParams: ['rows'], note: 'back to the default rows' });
    expect(unset.json<{ changes: unknown }>().changes).toEqual({
      'params.rows': { from: 7, to: null },
      note: { from: 'nightly', to: 'back to the default rows' },
    });
    expect(await show(id)).toMatchObject({ params: { database: 'users' }, note: 'back to the default rows' });
    expect((await show(id)).params).toEqual({ database: 'users' });
  });

  it('lists every problem of the body and the merged values in one 400, and changes nothing', async () => {
    const schedule = await createValid();
    const id = schedule.scheduleId;
    const response = await patch('alice', id, {
      cron: '0 25 * * *',
      params: { colour: 'red', rows: 'many' },
      unsetParams: ['database', 'shade'],
      severity: 'sev9',
      timezone: 'Nowhere/City',
      every: 'day',
    });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).issues).toEqual(
      expect.arrayContaining([
        { path: 'every', message: 'unknown field `every`' },
        { path: 'unsetParams[1]', message: 'unknown param `shade` (declared: database, rows)' },
        { path: 'params.colour', message: 'unknown param `colour` (declared: database, rows)' },
        { path: 'params.database', message: 'missing required param `database`' },
        { path: 'params.rows', message: 'expected a whole number, got "many"' },
        { path: 'cron', message: 'hour `25` is out of range (0-23)' },
      ]),
    );
    expect(
      errorOf(response)
        .issues?.map((issue) => issue.path)
        .sort(),
    ).toEqual([
      'cron',
      'every',
      'params.colour',
      'params.database',
      'params.rows',
      'severity',
      'timezone',
      'unsetParams[1]',
    ]);
    expect(api.audit.entries.at(-1)).toMatchObject({ method: 'PATCH', status: 400, code: 'INVALID_INPUT' });
    expect(api.audit.entries.at(-1)).not.toHaveProperty('changes');

    const nothing = 'nothing to change: give at least one of cron, timezone, params, unsetParams, severity, note';
    for (const payload of [undefined, {}, { params: {}, unsetParams: [] }]) {
      const empty = await patch('alice', id, payload);
      expect([empty.statusCode, errorOf(empty).issues]).toEqual([400, [{ path: '', message: nothing }]]);
    }
    const typo = await patch('alice', id, { crn: '@daily' });
    expect(errorOf(typo).issues).toEqual([
      { path: 'crn', message: 'unknown field `crn`' },
      { path: '', message: nothing },
    ]);
    const unchanged = await show(id);
    expect(unchanged).toMatchObject({ cron: '0 2 * * *', params: { database: 'orders' } });
    expect(unchanged).not.toHaveProperty('updatedBy');
  });

  it('answers 403 to whoever may not trigger its runbook (before any body check), 404 and 400 for the path', async () => {
    const schedule = await createValid();
    const id = schedule.scheduleId;
    for (const as of ['mallory', 'bob'] as const) {
      const refused = await patch(as, id, { cron: '@daily', params: { database: 'stolen' } });
      expect([refused.statusCode, errorOf(refused).message]).toEqual([
        403,
        `${as} may not act on schedules of sched-api`,
      ]);
      expect(api.audit.entries.at(-1)).toMatchObject({
        user: as,
        method: 'PATCH',
        status: 403,
        scheduleId: id,
        outcome: 'refused',
        code: 'FORBIDDEN',
      });
    }
    expect((await patch('bob', id, { every: 'day' })).statusCode).toBe(403);
    const unchanged = await show(id);
    expect(unchanged).toMatchObject({ cron: '0 2 * * *', params: { database: 'orders' } });
    expect(unchanged).not.toHaveProperty('updatedBy');

    const missing = await patch('alice', 'no-such-schedule', { cron: '@daily' });
    expect([missing.statusCode, errorOf(missing).code, errorOf(missing).message]).toEqual([
      404,
      'NOT_FOUND',
      'no schedule no-such-schedule',
    ]);
    const malformed = await patch('alice', '-x', { cron: '@daily' });
    expect([malformed.statusCode, errorOf(malformed).issues?.[0]?.path]).toEqual([400, 'path.id']);
    expect((await patch(null, id, { cron: '@daily' })).statusCode).toBe(401);
  });
});
