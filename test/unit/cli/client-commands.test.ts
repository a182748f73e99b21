/** The API commands against a real local HTTP server: the exact requests they send and what they print. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, expectedHeaders, startCannedServer, type CannedServer } from './client-support.js';

const OK = { status: 200, body: { ok: true, message: 'updated' } };
let server: CannedServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startCannedServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.answer(OK);
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-123' };
});

function onlyRequest() {
  expect(server.requests).toHaveLength(1);
  return server.requests[0]!;
}

describe('firebreak trigger', () => {
  it('posts the runbook, params as text, severity and dedup key, and says it started', async () => {
    server.answer({ status: 201, body: { incidentId: 'inc-7', created: true } });
    const result = await cli(
      [
        'trigger',
        'credential-leak',
        '--param',
        'count=5',
        '--param',
        'note=a=b',
        '--severity',
        'sev1',
        '--dedup-key',
        'k1',
      ],
      env,
    );
    expect(result).toEqual({ code: 0, out: 'Started incident inc-7\n', err: '' });
    const request = onlyRequest();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v1/incidents');
    expect(request.headers).toMatchObject(expectedHeaders('tok-123', true));
    expect(request.body).toEqual({
      runbook: 'credential-leak',
      params: { count: '5', note: 'a=b' },
      severity: 'sev1',
      dedupKey: 'k1',
    });
  });

  it('sends only the runbook when nothing else is given', async () => {
    server.answer({ status: 201, body: { incidentId: 'inc-8', created: true } });
    expect((await cli(['trigger', 'restore-backup'], env)).code).toBe(0);
    expect(onlyRequest().body).toEqual({ runbook: 'restore-backup' });
  });

  it('names the open incident when the dedup key matched one', async () => {
    server.answer({ status: 200, body: { incidentId: 'inc-7', created: false } });
    expect(await cli(['trigger', 'credential-leak', '--dedup-key', 'k1'], env)).toEqual({
      code: 0,
      out: 'Incident inc-7 is already open for dedup key k1\n',
      err: '',
    });
  });

  it('prints the API answer with --json', async () => {
    server.answer({ status: 201, body: { incidentId: 'inc-7', created: true } });
    const result = await cli(['trigger', 'credential-leak', '--json'], env);
    expect(result.out).toBe(`${JSON.stringify({ incidentId: 'inc-7', created: true }, null, 2)}\n`);
  });

  it('refuses a --param without a name or =, or given twice, before sending anything (exit 2)', async () => {
    expect(await cli(['trigger', 'x', '--param', 'count'], env)).toEqual({
      code: 2,
      out: '',
      err: 'error: --param `count` must look like name=value\n',
    });
    expect((await cli(['trigger', 'x', '--param', '=5'], env)).code).toBe(2);
    expect((await cli(['trigger', 'x', '--param', 'a=1', '--param', 'a=2'], env)).err).toBe(
      'error: --param `a` is given twice\n',
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('firebreak incident list', () => {
  const incidents = [
    {
      incidentId: 'inc-2',
      runbook: 'credential-leak',
      severity: 'sev1',
      status: 'running',
      startedAt: '2025-03-01T10:00:00.000Z',
    },
    {
      incidentId: 'inc-1',
      runbook: 'restore-backup',
      severity: 'sev3',
      status: 'completed',
      startedAt: '2025-02-28T08:30:00.000Z',
      closedAt: '2025-02-28T09:45:10.000Z',
    },
  ];

  it('sends the filters as a query and prints an aligned table', async () => {
    server.answer({ status: 200, body: { incidents } });
    const result = await cli(
      [
        'incident',
        'list',
        '--status',
        'running',
        '--runbook',
        'credential-leak',
        '--severity',
        'sev1',
        '--limit',
        '20',
      ],
      env,
    );
    expect(onlyRequest()).toMatchObject({
      method: 'GET',
      url: '/api/v1/incidents?status=running&runbook=credential-leak&severity=sev1&limit=20',
      body: undefined,
      headers: expectedHeaders('tok-123', false),
    });
    expect(result).toEqual({
      code: 0,
      err: '',
      out: [
        'ID     RUNBOOK          SEVERITY  STATUS     STARTED               CLOSED',
        'inc-2  credential-leak  sev1      running    2025-03-01 10:00:00Z',
        'inc-1  restore-backup   sev3      completed  2025-02-28 08:30:00Z  2025-02-28 09:45:10Z',
        '',
      ].join('\n'),
    });
  });

  it('says when there are none, and prints the API answer with --json', async () => {
    server.answer({ status: 200, body: { incidents: [] } });
    expect((await cli(['incident', 'list'], env)).out).toBe('no incidents\n');
    expect(server.requests[0]!.url).toBe('/api/v1/incidents');
    expect((await cli(['incident', 'list', '--status', 'failed'], env)).out).toBe('no incidents match\n');
    server.answer({ status: 200, body: { incidents } });
    expect(JSON.parse((await cli(['incident', 'list', '--json'], env)).out)).toEqual({ incidents });
  });

  it('sends --kind as given and --all as kind=all, with a KIND column only in a list of every kind', async () => {
    server.answer({ status: 200, body: { incidents: [] } });
    expect((await cli(['incident', 'list', '--kind', 'job'], env)).out).toBe('no jobs\n');
    expect(server.requests[0]!.url).toBe('/api/v1/incidents?kind=job');
    server.answer({
      status: 200,
      body: {
        incidents: [
          { ...incidents[0], kind: 'incident' },
          { ...incidents[1], kind: 'job' },
        ],
      },
    });
    const all = await cli(['incident', 'list', '--all'], env);
    expect(server.requests[1]!.url).toBe('/api/v1/incidents?kind=all');
    expect(all.out.split('\n').slice(0, 3)).toEqual([
      'ID     RUNBOOK          KIND      SEVERITY  STATUS     STARTED               CLOSED',
      'inc-2  credential-leak  incident  sev1      running    2025-03-01 10:00:00Z',
      'inc-1  restore-backup   job       sev3      completed  2025-02-28 08:30:00Z  2025-02-28 09:45:10Z',
    ]);
  });

  it('warns when the server searched only the newest matches for incidents you may read', async () => {
    server.answer({ status: 200, body: { incidents: [], truncated: true } });
    expect(await cli(['incident', 'list'], env)).toEqual({
      code: 0,
      out: 'no incidents\n',
      err: 'warning: only the newest matching incidents were searched for ones you may read; narrow with --runbook or --status\n',
    });
  });
});

describe('commands on an incident', () => {
  it('incident cancel posts the reason', async () => {
    expect(await cli(['incident', 'cancel', 'inc-1', '--reason', 'false alarm'], env)).toEqual({
      code: 0,
      out: 'Cancel requested for incident inc-1\n',
      err: '',
    });
    expect(onlyRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/incidents/inc-1/cancel',
      body: { reason: 'false alarm' },
      headers: expectedHeaders('tok-123', true),
    });
  });

  it('task complete reads fact values as JSON when they are JSON and marks --suspected ones', async () => {
    const result = await cli(
      [
        'task',
        'complete',
        'inc-1',
        'scope',
        '--fact',
        'hosts=["web-1","web-2"]',
        '--fact',
        'count=5',
        '--fact',
        'exfiltrated=true',
        '--fact',
        'entry=10.0.0.7',
        '--fact',
        'quoted="5"',
        '--suspected',
        'exfiltrated',
        '--note',
        'checked the logs',
      ],
      env,
    );
    expect(result).toEqual({ code: 0, out: 'Completed task scope on incident inc-1\n', err: '' });
    expect(onlyRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/incidents/inc-1/tasks/scope/complete',
      body: {
        facts: {
          hosts: { value: ['web-1', 'web-2'] },
          count: { value: 5 },
          exfiltrated: { value: true, confirmed: false },
          entry: { value: '10.0.0.7' },
          quoted: { value: '5' },
        },
        note: 'checked the logs',
      },
    });
  });

  it('task complete refuses --suspected for a fact it was not given (exit 2)', async () => {
    expect(await cli(['task', 'complete', 'inc-1', 'scope', '--suspected', 'x'], env)).toEqual({
      code: 2,
      out: '',
      err: 'error: --suspected x: no --fact x=<value> is given\n',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('task complete without facts sends an empty body', async () => {
    expect((await cli(['task', 'complete', 'inc-1', 'triage'], env)).code).toBe(0);
    expect(onlyRequest().body).toEqual({});
  });

  it('fact set posts name, value and confirmed: false for --suspected', async () => {
    expect(await cli(['fact', 'set', 'inc-1', 'records=12000', '--suspected'], env)).toEqual({
      code: 0,
      out: 'Set fact records = 12000 (suspected) on incident inc-1\n',
      err: '',
    });
    expect(onlyRequest()).toMatchObject({
      url: '/api/v1/incidents/inc-1/facts',
      body: { name: 'records', value: 12000, confirmed: false },
    });
    server.requests.length = 0;
    expect((await cli(['fact', 'set', 'inc-1', 'host=db-1'], env)).out).toBe(
      'Set fact host = "db-1" (confirmed) on incident inc-1\n',
    );
    expect(onlyRequest().body).toEqual({ name: 'host', value: 'db-1' });
  });

  it('decide posts the decision and its option', async () => {
    expect((await cli(['decide', 'inc-1', 'scope', '--option', 'contained'], env)).out).toBe(
      'Recorded decision scope = contained on incident inc-1\n',
    );
    expect(onlyRequest()).toMatchObject({
      url: '/api/v1/incidents/inc-1/decisions',
      body: { decision: 'scope', option: 'contained' },
    });
  });

  it('approve votes approve on the text hash given, or reject with --reject and a comment', async () => {
    expect((await cli(['approve', 'inc-1', 'rotate', '--text-hash', 'sha256:ab'], env)).out).toBe(
      'Voted to approve rotate on incident inc-1\n',
    );
    expect(
      (await cli(['approve', 'inc-1', 'rotate', '--reject', '--comment', 'too early', '--text-hash', 'sha256:cd'], env))
        .out,
    ).toBe('Voted to reject rotate on incident inc-1\n');
    expect(server.requests.map((request) => [request.url, request.body])).toEqual([
      ['/api/v1/incidents/inc-1/approvals/rotate', { vote: 'approve', textHash: 'sha256:ab' }],
      ['/api/v1/incidents/inc-1/approvals/rotate', { vote: 'reject', comment: 'too early', textHash: 'sha256:cd' }],
    ]);
  });

  it('prints the API answer with --json', async () => {
    expect((await cli(['decide', 'inc-1', 'aware', '--json'], env)).out).toBe(
      `${JSON.stringify({ ok: true, message: 'updated' }, null, 2)}\n`,
    );
  });

  it('escapes ids in the path', async () => {
    await cli(['approve', 'inc/1 a', 'step?x', '--reject'], env);
    expect(onlyRequest().url).toBe('/api/v1/incidents/inc%2F1%20a/approvals/step%3Fx');
  });
});
