/** `firebreak schedule ...` against a real local HTTP server: the exact requests, the output and the exit codes. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, expectedHeaders, startCannedServer, type CannedServer } from './client-support.js';

let server: CannedServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startCannedServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.answer({ status: 200, body: { ok: true, message: 'done' } });
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-123' };
});

function onlyRequest() {
  expect(server.requests).toHaveLength(1);
  return server.requests[0]!;
}

const run = (extra: Record<string, unknown> = {}) => ({
  workflowId: 'pg-drill-a1b2c3-2025-03-01T02:00:00Z',
  scheduledAt: '2025-03-01T02:00:00.000Z',
  startedAt: '2025-03-01T02:00:01.000Z',
  status: 'completed',
  incidentId: 'pg-drill-20250301-0badf00d',
  incidentStatus: 'completed',
  version: 3,
  ...extra,
});

const detail = {
  scheduleId: 'pg-drill-a1b2c3',
  runbook: 'pg-drill',
  cron: '0 2 * * *',
  timezone: 'Europe/Berlin',
  params: { database: 'orders', rows: 5 },
  paused: false,
  note: 'nightly drill',
  createdBy: 'alice',
  createdAt: '2025-02-01T09:00:00.000Z',
  nextRun: '2025-03-03T01:00:00.000Z',
  lastRun: run({ startedAt: '2025-03-02T01:00:02.000Z', status: 'failed', error: 'no runbook pg-drill any more' }),
  nextRuns: ['2025-03-03T01:00:00.000Z', '2025-03-04T01:00:00.000Z'],
  recentRuns: [
    run(),
    run({ startedAt: '2025-03-02T01:00:02.000Z', status: 'failed', error: 'no runbook pg-drill any more' }),
  ],
  overlap: 'SKIP',
  catchupWindowMs: 60_000,
  runsTaken: 2,
  skippedOverlap: 1,
  missedCatchupWindow: 0,
};

describe('firebreak schedule create', () => {
  it('posts the runbook, cron, params as text and the options, and says when it runs next', async () => {
    server.answer({ status: 201, body: { schedule: detail } });
    const result = await cli(
      [
        'schedule',
        'create',
        'pg-drill',
        '--cron',
        '0 2 * * *',
        '--param',
        'database=orders',
        '--param',
        'rows=5',
        '--severity',
        'sev3',
        '--timezone',
        'Europe/Berlin',
        '--id',
        'pg-drill-a1b2c3',
        '--note',
        'nightly drill',
      ],
      env,
    );
    expect(result).toEqual({
      code: 0,
      out: 'Created schedule pg-drill-a1b2c3 for pg-drill; next run 2025-03-03 01:00:00Z\n',
      err: '',
    });
    expect(onlyRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/schedules',
      headers: expectedHeaders('tok-123', true),
      body: {
        runbook: 'pg-drill',
        cron: '0 2 * * *',
        params: { database: 'orders', rows: '5' },
        severity: 'sev3',
        timezone: 'Europe/Berlin',
        id: 'pg-drill-a1b2c3',
        note: 'nightly drill',
      },
    });
  });

  it('lists every problem the server found and exits 2; needs --cron', async () => {
    server.answer({
      status: 400,
      body: {
        error: {
          status: 400,
          code: 'INVALID_INPUT',
          message: 'invalid request: 2 problems (see issues)',
          issues: [
            { path: 'params.database', message: 'missing required param `database`' },
            { path: 'cron', message: 'hour `25` is out of range (0-23)' },
          ],
        },
      },
    });
    expect(await cli(['schedule', 'create', 'pg-drill', '--cron', '0 25 * * *'], env)).toEqual({
      code: 2,
      out: '',
      err: 'error: invalid request:\n  params.database: missing required param `database`\n  cron: hour `25` is out of range (0-23)\n',
    });
    server.requests.length = 0;
    const missing = await cli(['schedule', 'create', 'pg-drill'], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("required option '--cron <expression>' not specified");
    expect(server.requests).toHaveLength(0);
  });
});

describe('firebreak schedule update', () => {
  it('patches only what the options change, params as text, and prints the changes and the schedule', async () => {
    const updated: Record<string, unknown> = {
      ...detail,
      cron: '30 4 * * *',
      params: { database: 'users' },
      updatedBy: 'alice',
      updatedAt: '2025-03-02T10:00:00.000Z',
    };
    delete updated.timezone;
    const changes = {
      cron: { from: '0 2 * * *', to: '30 4 * * *' },
      timezone: { from: 'Europe/Berlin', to: null },
      'params.database': { from: 'orders', to: 'users' },
      'params.rows': { from: 5, to: null },
    };
    server.answer({ status: 200, body: { schedule: updated, changes } });
    const result = await cli(
      [
        'schedule',
        'update',
        'pg-drill-a1b2c3',
        '--cron',
        '30 4 * * *',
        '--no-timezone',
        '--param',
        'database=users',
        '--unset-param',
        'rows',
        '--no-severity',
      ],
      env,
    );
    expect(onlyRequest()).toMatchObject({
      method: 'PATCH',
      url: '/api/v1/schedules/pg-drill-a1b2c3',
      headers: expectedHeaders('tok-123', true),
      body: {
        cron: '30 4 * * *',
        timezone: null,
        params: { database: 'users' },
        unsetParams: ['rows'],
        severity: null,
      },
    });
    expect(Object.keys(server.requests[0]!.body as object).sort()).toEqual([
      'cron',
      'params',
      'severity',
      'timezone',
      'unsetParams',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      [
        'Updated schedule pg-drill-a1b2c3:',
        '  cron             0 2 * * *      ->  30 4 * * *',
        '  timezone         Europe/Berlin  ->  (none)',
        '  params.database  orders         ->  users',
        '  params.rows      5              ->  (none)',
        '',
        'Schedule pg-drill-a1b2c3',
      ].join('\n'),
    );
    expect(result.out).toContain('  cron        30 4 * * * (UTC)\n');
    expect(result.out).toContain('  updated by  alice at 2025-03-02 10:00:00Z\n');

    server.requests.length = 0;
    const note = await cli(
      ['schedule', 'update', 'sid', '--timezone', 'UTC', '--severity', 'sev2', '--note', 'n'],
      env,
    );
    expect(note.code).toBe(0);
    expect(onlyRequest().body).toEqual({ timezone: 'UTC', severity: 'sev2', note: 'n' });
  });

  it("refuses an update that changes nothing without asking the server, and lists the server's problems", async () => {
    expect(await cli(['schedule', 'update', 'sid'], env)).toEqual({
      code: 2,
      out: '',
      err:
        'error: nothing to change: give at least one of --cron, --timezone, --no-timezone, --param, --unset-param, ' +
        '--severity, --no-severity, --note\n',
    });
    expect((await cli(['schedule', 'update', 'sid', '--param', 'oops'], env)).err).toBe(
      'error: --param `oops` must look like name=value\n',
    );
    expect(server.requests).toHaveLength(0);
    server.answer({
      status: 400,
      body: {
        error: {
          status: 400,
          code: 'INVALID_INPUT',
          message: 'invalid request: 2 problems (see issues)',
          issues: [
            { path: 'cron', message: 'hour `25` is out of range (0-23)' },
            { path: 'params.colour', message: 'unknown param `colour` (declared: database, rows)' },
          ],
        },
      },
    });
    expect(await cli(['schedule', 'update', 'sid', '--cron', '0 25 * * *', '--param', 'colour=red'], env)).toEqual({
      code: 2,
      out: '',
      err: 'error: invalid request:\n  cron: hour `25` is out of range (0-23)\n  params.colour: unknown param `colour` (declared: database, rows)\n',
    });
  });
});

describe('firebreak schedule list and show', () => {
  it('prints one row per schedule with its timing, params, state, next run and last result', async () => {
    const paused = { ...detail, scheduleId: 'files-drill-0f0f0f', runbook: 'files-drill', params: {}, paused: true };
    delete (paused as Partial<typeof detail>).timezone;
    delete (paused as Partial<typeof detail>).lastRun;
    server.answer({ status: 200, body: { schedules: [detail, paused] } });
    const result = await cli(['schedule', 'list'], env);
    expect(onlyRequest()).toMatchObject({ method: 'GET', url: '/api/v1/schedules', body: undefined });
    expect(result.out).toBe(
      [
        'ID                  RUNBOOK      CRON                       PARAMS                  STATE   NEXT RUN              LAST RUN',
        'pg-drill-a1b2c3     pg-drill     0 2 * * * (Europe/Berlin)  database=orders rows=5  active  2025-03-03 01:00:00Z  no incident: no runbook pg-drill any more',
        'files-drill-0f0f0f  files-drill  0 2 * * * (UTC)            -                       paused  -                     -',
        '',
      ].join('\n'),
    );
    server.answer({ status: 200, body: { schedules: [] } });
    expect((await cli(['schedule', 'list'], env)).out).toBe('no schedules\n');
  });

  it('shows a schedule with its runs, newest first, and the incident each started', async () => {
    server.answer({ status: 200, body: { schedule: detail } });
    const result = await cli(['schedule', 'show', 'pg-drill-a1b2c3'], env);
    expect(onlyRequest()).toMatchObject({ method: 'GET', url: '/api/v1/schedules/pg-drill-a1b2c3' });
    expect(result.code).toBe(0);
    expect(result.out).toContain('Schedule pg-drill-a1b2c3\n');
    expect(result.out).toContain('  cron        0 2 * * * (Europe/Berlin)\n');
    expect(result.out).toContain('  params      database=orders rows=5\n');
    expect(result.out).toContain('  runs        2 taken, 1 skipped (overlap), 0 missed (catch-up window)\n');
    expect(result.out).toContain('\nNext runs:\n  2025-03-03 01:00:00Z');
    expect(result.out).toContain(
      [
        'Recent runs (newest first):',
        '  STARTED               INCIDENT                    RUNBOOK  RESULT',
        '  2025-03-02 01:00:02Z  pg-drill-20250301-0badf00d  v3       no incident: no runbook pg-drill any more',
        '  2025-03-01 02:00:01Z  pg-drill-20250301-0badf00d  v3       completed',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await cli(['schedule', 'show', 'pg-drill-a1b2c3', '--json'], env)).out)).toEqual({
      schedule: detail,
    });
  });

  it('exits 4 for an unknown schedule', async () => {
    server.answer({
      status: 404,
      body: { error: { status: 404, code: 'NOT_FOUND', message: 'no schedule nope' } },
    });
    expect(await cli(['schedule', 'show', 'nope'], env)).toEqual({
      code: 4,
      out: '',
      err: 'error: not found: no schedule nope\n',
    });
  });
});

describe('commands on a schedule', () => {
  it.each([
    [
      ['pause', 'sid', '--note', 'migration'],
      'POST',
      '/api/v1/schedules/sid/pause',
      { note: 'migration' },
      'Schedule sid paused\n',
    ],
    [['resume', 'sid'], 'POST', '/api/v1/schedules/sid/resume', {}, 'Schedule sid resumed\n'],
    [
      ['trigger', 'sid'],
      'POST',
      '/api/v1/schedules/sid/trigger',
      {},
      'Schedule sid triggered; see its run with: npx firebreak schedule show sid\n',
    ],
    [['delete', 'sid'], 'DELETE', '/api/v1/schedules/sid', undefined, 'Schedule sid deleted\n'],
  ])('schedule %j sends %s %s', async (args, method, url, body, out) => {
    expect(await cli(['schedule', ...args], env)).toEqual({ code: 0, out, err: '' });
    expect(onlyRequest()).toMatchObject({ method, url, body, headers: expectedHeaders('tok-123', body !== undefined) });
  });

  it('exits 5 when a trigger is refused because the previous run is still going', async () => {
    server.answer({
      status: 409,
      body: { error: { status: 409, code: 'CONFLICT', message: 'schedule sid is still running its previous run' } },
    });
    expect(await cli(['schedule', 'trigger', 'sid'], env)).toEqual({
      code: 5,
      out: '',
      err: 'error: refused: schedule sid is still running its previous run\n',
    });
  });
});
