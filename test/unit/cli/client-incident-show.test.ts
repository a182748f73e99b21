/** `firebreak incident show` against a real local HTTP server answering a realistic incident state. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IncidentState } from '../../../src/domain/state.js';
import { cli, expectedHeaders, startCannedServer, type CannedServer } from './client-support.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');

/** A credential-leak incident two hours in: a parallel group running, a task overdue, an approval half voted. */
const incident: IncidentState = {
  incidentId: 'inc-20250301-7f3a',
  runbook: { id: 'credential-leak', title: 'Leaked cloud credential', version: 3, contentHash: 'sha256:ab12' },
  severity: 'sev1',
  status: 'running',
  startedAt: '2025-03-01T10:00:00.000Z',
  triggeredBy: 'alice',
  params: { key_id: 'AKIA123', regions: ['eu-west-1', 'us-east-1'] },
  steps: [
    { id: 'triage', title: 'Triage the alert', kind: 'task', status: 'succeeded', completedBy: 'alice' },
    { id: 'aware', title: 'We are aware', kind: 'decision', status: 'succeeded', completedBy: 'alice' },
    { id: 'contain', title: 'Contain', kind: 'parallel', status: 'running' },
    { id: 'revoke-key', title: 'Revoke the key', kind: 'action', status: 'succeeded', parent: 'contain' },
    {
      id: 'notify-owner',
      title: 'Tell the key owner',
      kind: 'task',
      status: 'waiting',
      parent: 'contain',
      prompt: 'Call the owner of AKIA123 and confirm the key is revoked',
      actors: ['role:responder'],
      dueAt: '2025-03-01T11:55:00.000Z',
      overdueAt: '2025-03-01T11:55:00.000Z',
    },
    {
      id: 'approve-rotation',
      title: 'Approve rotation',
      kind: 'approval',
      status: 'waiting',
      parent: 'contain',
      prompt: 'Rotate the production database credentials in eu-west-1',
      actors: ['role:security-lead', 'role:cto'],
    },
    {
      id: 'snapshot',
      title: 'Snapshot the host',
      kind: 'action',
      status: 'failed',
      parent: 'contain',
      error: { code: 'HTTP_ERROR', message: 'POST https://infra/snapshot answered 503' },
    },
    { id: 'scope', title: 'Decide the scope', kind: 'decision', status: 'pending' },
  ],
  facts: {
    leaked_key_id: {
      name: 'leaked_key_id',
      value: 'AKIA123',
      status: 'confirmed',
      setBy: 'alice',
      setAt: '2025-03-01T10:10:00.000Z',
      step: 'triage',
    },
    exposed_hosts: {
      name: 'exposed_hosts',
      value: ['web-1', 'web-2'],
      status: 'suspected',
      setBy: 'carol',
      setAt: '2025-03-01T10:20:00.000Z',
    },
  },
  decisions: {
    aware: { name: 'aware', by: 'alice', at: '2025-03-01T10:05:00.000Z', step: 'aware' },
  },
  approvals: {
    'approve-rotation': {
      step: 'approve-rotation',
      text: 'Rotate the production database credentials in eu-west-1',
      textHash: 'sha256:cd34',
      approvers: ['role:security-lead', 'role:cto'],
      status: 'pending',
      escalated: false,
      votes: [
        {
          voter: 'bob',
          vote: 'approve',
          roles: ['security-lead'],
          comment: 'go ahead',
          at: '2025-03-01T11:30:00.000Z',
        },
      ],
      requestedAt: '2025-03-01T11:00:00.000Z',
      timeoutAt: '2025-03-01T14:00:00.000Z',
    },
  },
  deadlines: {
    'gdpr-72h': {
      id: 'gdpr-72h',
      title: 'Notify the supervisory authority',
      status: 'running',
      startedAt: '2025-03-01T10:05:00.000Z',
      dueAt: '2025-03-04T10:05:00.000Z',
      remindersSent: [],
    },
    'internal-1h': {
      id: 'internal-1h',
      title: 'Brief the CISO',
      status: 'overdue',
      startedAt: '2025-03-01T10:05:00.000Z',
      dueAt: '2025-03-01T11:05:00.000Z',
      overdueAt: '2025-03-01T11:05:00.000Z',
      remindersSent: ['30m'],
    },
    'sec-8k': { id: 'sec-8k', title: 'File the 8-K', status: 'not_started', remindersSent: [] },
  },
  compensations: [],
  pending: [
    {
      kind: 'task',
      step: 'notify-owner',
      title: 'Tell the key owner',
      prompt: 'Call the owner of AKIA123 and confirm the key is revoked',
      actors: ['role:responder'],
      dueAt: '2025-03-01T11:55:00.000Z',
    },
    {
      kind: 'approval',
      step: 'approve-rotation',
      title: 'Approve rotation',
      prompt: 'Rotate the production database credentials in eu-west-1',
      actors: ['role:security-lead', 'role:cto'],
      dueAt: '2025-03-01T14:00:00.000Z',
    },
  ],
  timeline: [
    {
      seq: 1,
      at: '2025-03-01T10:00:00.000Z',
      type: 'incident.started',
      actor: 'system',
      message: 'Leaked cloud credential (runbook credential-leak v3)',
    },
    {
      seq: 2,
      at: '2025-03-01T10:04:12.345Z',
      type: 'task.completed',
      actor: 'alice',
      source: 'cli',
      step: 'triage',
      message: 'Triage the alert completed: paged\nthe owner',
    },
    {
      seq: 3,
      at: '2025-03-01T10:05:00.000Z',
      type: 'decision.recorded',
      actor: 'alice',
      source: 'api',
      message: 'aware acknowledged',
    },
    {
      seq: 4,
      at: '2025-03-01T11:05:00.000Z',
      type: 'deadline.overdue',
      actor: 'system',
      message: 'Brief the CISO is overdue (was due 2025-03-01T11:05:00.000Z)',
    },
    {
      seq: 5,
      at: '2025-03-01T11:30:00.000Z',
      type: 'approval.approved',
      actor: 'bob',
      source: 'cli',
      message: 'bob approved approve-rotation',
    },
  ],
};

const EXPECTED = `Incident inc-20250301-7f3a  Leaked cloud credential
  runbook       credential-leak v3
  severity      sev1
  status        running
  started       2025-03-01 10:00:00Z (2h ago)
  triggered by  alice
  params        key_id=AKIA123, regions=["eu-west-1","us-east-1"]

Steps
  triage              task      succeeded  Triage the alert    by alice
  aware               decision  succeeded  We are aware        by alice
  contain             parallel  running    Contain
    revoke-key        action    succeeded  Revoke the key
    notify-owner      task      waiting    Tell the key owner  overdue by 5m
    approve-rotation  approval  waiting    Approve rotation
    snapshot          action    failed     Snapshot the host   HTTP_ERROR: POST https://infra/snapshot answered 503
  scope               decision  pending    Decide the scope

Waiting for people
  notify-owner      task      role:responder                overdue by 5m  Tell the key owner
    Call the owner of AKIA123 and confirm the key is revoked
  approve-rotation  approval  role:security-lead, role:cto  due in 2h      Approve rotation
    Rotate the production database credentials in eu-west-1

Approvals
  approve-rotation  pending  1 of 2 approvals  approvers role:security-lead, role:cto  times out in 2h
    text: Rotate the production database credentials in eu-west-1
    hash: sha256:cd34
    bob  approve  as security-lead  2025-03-01 11:30:00Z  go ahead

Decisions
  aware  acknowledged  by alice  2025-03-01 10:05:00Z

Facts
  leaked_key_id  AKIA123            confirmed  by alice  2025-03-01 10:10:00Z  (step triage)
  exposed_hosts  ["web-1","web-2"]  suspected  by carol  2025-03-01 10:20:00Z

Deadlines
  gdpr-72h     running      due 2025-03-04 10:05:00Z  in 2d 22h               Notify the supervisory authority
  internal-1h  overdue      due 2025-03-01 11:05:00Z  overdue by 55m          Brief the CISO
  sec-8k       not_started                            starts at its decision  File the 8-K

Timeline
  2025-03-01 10:00:00Z  system     incident.started   Leaked cloud credential (runbook credential-leak v3)
  2025-03-01 10:04:12Z  alice/cli  task.completed     Triage the alert completed: paged the owner
  2025-03-01 10:05:00Z  alice/api  decision.recorded  aware acknowledged
  2025-03-01 11:05:00Z  system     deadline.overdue   Brief the CISO is overdue (was due 2025-03-01T11:05:00.000Z)
  2025-03-01 11:30:00Z  bob/cli    approval.approved  bob approved approve-rotation
`;

let server: CannedServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startCannedServer();
  server.answer({ status: 200, body: { incident } });
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-123' };
});
afterAll(() => server.close());
// Only Date is faked: the HTTP server and fetch keep their real timers.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
  server.requests.length = 0;
});

describe('firebreak incident show', () => {
  it('gets the incident and renders it for people, with times relative to now', async () => {
    const result = await cli(['incident', 'show', 'inc-20250301-7f3a'], env);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      url: '/api/v1/incidents/inc-20250301-7f3a',
      headers: expectedHeaders('tok-123', false),
    });
    expect(result).toEqual({ code: 0, err: '', out: EXPECTED });
  });

  it('shows how a finished incident ended: duration, error, alerts, approvals decided, compensations', async () => {
    const aborted: IncidentState = {
      ...incident,
      status: 'aborted',
      endedAt: '2025-03-01T13:02:30.000Z',
      alerts: 2,
      error: { code: 'ABORTED', message: 'approval approve-rotation was rejected' },
      steps: [{ id: 'triage', title: 'Triage the alert', kind: 'task', status: 'succeeded', completedBy: 'alice' }],
      pending: [],
      approvals: {
        'approve-rotation': {
          ...incident.approvals['approve-rotation']!,
          status: 'rejected',
          escalated: true,
          distinct: 2,
          distinctApprovers: [],
          votes: [{ voter: 'dave', vote: 'reject', roles: [], at: '2025-03-01T12:30:00.000Z' }],
          decidedAt: '2025-03-01T12:30:00.000Z',
        },
      },
      decisions: {},
      facts: {},
      deadlines: {
        'gdpr-72h': { ...incident.deadlines['gdpr-72h']!, status: 'met', metAt: '2025-03-01T12:45:00.000Z' },
      },
      compensations: [
        {
          id: 'restore-key',
          forStep: 'revoke-key',
          status: 'failed',
          at: '2025-03-01T13:02:00.000Z',
          error: { code: 'HTTP_ERROR', message: 'answered 500' },
        },
      ],
      postmortem: {
        step: 'review',
        requiredAt: '2025-03-01T12:50:00.000Z',
        facilitators: ['alice', 'erin'],
        reviewers: [],
        audience: ['dave'],
        roles: { facilitator: 'commander', reviewers: ['security'], audience: ['ciso'] },
        dueMs: 5 * 86_400_000,
        containedBy: 'contain',
        tags: ['credentials', 'aws'],
      },
      timeline: [],
    };
    server.answer({ status: 200, body: { incident: aborted } });
    const result = await cli(['incident', 'show', 'inc-20250301-7f3a'], env);
    server.answer({ status: 200, body: { incident } });
    expect(result).toEqual({
      code: 0,
      err: '',
      out: [
        'Incident inc-20250301-7f3a  Leaked cloud credential',
        '  runbook       credential-leak v3',
        '  severity      sev1',
        '  status        aborted',
        '  started       2025-03-01 10:00:00Z (2h ago)',
        '  ended         2025-03-01 13:02:30Z (after 3h 2m)',
        '  triggered by  alice',
        '  params        key_id=AKIA123, regions=["eu-west-1","us-east-1"]',
        '  alerts        2',
        '  error         ABORTED: approval approve-rotation was rejected',
        '',
        'Steps',
        '  triage  task  succeeded  Triage the alert  by alice',
        '',
        'Approvals',
        '  approve-rotation  rejected  0 of 2 approvals  0 of 2 distinct people  approvers role:security-lead, role:cto (escalated)  decided 2025-03-01 12:30:00Z',
        '    text: Rotate the production database credentials in eu-west-1',
        '    hash: sha256:cd34',
        '    dave  reject    2025-03-01 12:30:00Z',
        '',
        'Deadlines',
        '  gdpr-72h  met  due 2025-03-04 10:05:00Z  met 2025-03-01 12:45:00Z  Notify the supervisory authority',
        '',
        'Compensations',
        '  restore-key  for revoke-key  failed  2025-03-01 13:02:00Z  HTTP_ERROR: answered 500',
        '',
        'Post-mortem (step review)',
        '  facilitator   role:commander: alice, erin',
        '  reviewers     role:security: nobody on the roster',
        '  audience      role:ciso: dave',
        '  due           2025-03-06 13:02:30Z (5d after the incident closes)',
        '  contained by  step contain',
        '  tags          credentials, aws',
        '',
      ].join('\n'),
    });
  });

  it('prints text from alerts with its control, bidi and zero-width characters escaped, in text and JSON', async () => {
    // An alert summary that would display as "…approved by security" reversed, clear the screen, and hide text.
    const summary = 'alertmanager: disk \u202efdp.exe\u202c full\u001b[2J\r\u200bok\u2066x\u2069 \u0085(firing)';
    const hostile: IncidentState = {
      ...incident,
      timeline: [
        {
          seq: 9,
          at: '2025-03-01T11:40:00.000Z',
          type: 'alert.firing',
          actor: 'prom',
          source: 'webhook',
          message: summary,
        },
      ],
    };
    server.answer({ status: 200, body: { incident: hostile } });
    const text = await cli(['incident', 'show', 'inc-20250301-7f3a'], env);
    const json = await cli(['incident', 'show', 'inc-20250301-7f3a', '--json'], env);
    server.answer({ status: 200, body: { incident } });
    const unsafe = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
    expect(text.out).not.toMatch(unsafe);
    expect(text.out).toContain(
      '  2025-03-01 11:40:00Z  prom/webhook  alert.firing  alertmanager: disk \\u202efdp.exe\\u202c full\\u001b[2J\\u000d\\u200bok\\u2066x\\u2069 \\u0085(firing)\n',
    );
    expect(json.out).not.toMatch(unsafe);
    // The JSON still parses to the text as sent.
    expect((JSON.parse(json.out) as { incident: IncidentState }).incident.timeline[0]?.message).toBe(summary);
  });

  it('escapes control characters in a server error message too', async () => {
    server.answer({
      status: 404,
      body: { error: { status: 404, code: 'NOT_FOUND', message: 'no incident \u202eevil\u001b]0;title\u0007' } },
    });
    const result = await cli(['incident', 'show', 'inc-x'], env);
    server.answer({ status: 200, body: { incident } });
    expect(result.err).toBe('error: not found: no incident \\u202eevil\\u001b]0;title\\u0007\n');
  });

  it('prints the API answer with --json', async () => {
    const result = await cli(['incident', 'show', 'inc-20250301-7f3a', '--json'], env);
    expect(result).toEqual({ code: 0, err: '', out: `${JSON.stringify({ incident }, null, 2)}\n` });
  });

  it('approve without --text-hash shows the text and the command to paste (npx firebreak), and votes nothing', async () => {
    server.requests.length = 0;
    const result = await cli(['approve', 'inc-20250301-7f3a', 'approve-rotation'], env);
    expect(result).toEqual({
      code: 2,
      out: 'approve-rotation asks you to approve:\n  Rotate the production database credentials in eu-west-1\n  hash: sha256:cd34\n',
      err: 'error: nothing voted: an approval names the text it approves (npx firebreak approve inc-20250301-7f3a approve-rotation --text-hash <hash>)\n',
    });
    expect(server.requests.map((request) => request.method)).toEqual(['GET']);
  });
});
