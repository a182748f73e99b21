/** `firebreak comms pending|show|approve|reject` against a real local HTTP server: requests sent, output printed. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../../src/domain/state.js';
import type { PendingMessages } from '../../../src/incidents/messages.js';
import { cli, expectedHeaders, startCannedServer, type CannedServer } from './client-support.js';

const FINGERPRINT = `sha256:${'3f'.repeat(32)}`;
const OLD = `sha256:${'9a'.repeat(32)}`;

const pending: PendingMessages = {
  messages: [
    {
      incidentId: 'inc-7',
      title: 'Customer data exposure',
      severity: 'sev1',
      step: 'tell',
      message: 'breach-notice',
      sequence: 1,
      channels: ['email', 'statuspage'],
      fingerprint: FINGERPRINT,
      approvers: ['role:legal', 'role:ciso'],
      votes: [{ voter: 'carol', vote: 'approve', roles: ['legal'], at: '2025-03-01T10:00:00.000Z' }],
    },
  ],
  truncated: false,
  unreadable: [],
};

/** A message sent once, after a fact change voided the first vote. Parts hold trailing spaces and no final newline. */
const record: MessageRecord = {
  step: 'tell',
  message: 'breach-notice',
  sequence: 1,
  status: 'sent',
  from: { id: 'alice', name: 'Alice Adams', email: 'alice@example.com' },
  channels: [
    {
      channel: 'email',
      parts: { subject: 'inc-7: notice about your account data', text: 'Dear customer,\n\n  1,500 records.  \n' },
      fingerprint: `sha256:${'11'.repeat(32)}`,
      recipients: ['customer@example.net'],
    },
    {
      channel: 'statuspage',
      parts: { md: '**Investigating.**' },
      fingerprint: `sha256:${'22'.repeat(32)}`,
      recipients: [],
    },
  ],
  fingerprint: FINGERPRINT,
  facts: ['recordsAffected'],
  approvers: ['role:legal'],
  fourEyes: false,
  votes: [{ voter: 'dave', vote: 'approve', roles: ['legal'], comment: 'checked', at: '2025-03-01T11:00:00.000Z' }],
  voided: [
    {
      fingerprint: OLD,
      votes: [{ voter: 'carol', vote: 'approve', roles: ['legal'], at: '2025-03-01T10:00:00.000Z' }],
      reason: 'recordsAffected was set to 1500 (confirmed) by erin',
      at: '2025-03-01T10:30:00.000Z',
    },
  ],
  sent: [
    {
      sequence: 1,
      fingerprint: FINGERPRINT,
      sentAt: '2025-03-01T11:00:05.000Z',
      approvedBy: ['dave'],
      deliveries: [
        {
          channel: 'email',
          accepted: ['customer@example.net'],
          messageIds: ['<abc@firebreak>'],
          at: '2025-03-01T11:00:05.000Z',
        },
      ],
    },
  ],
};

let server: CannedServer;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  server = await startCannedServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.answer({ status: 200, body: { ok: true, message: 'tell updated' } });
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-9' };
});

function onlyRequest() {
  expect(server.requests).toHaveLength(1);
  return server.requests[0]!;
}

describe('firebreak comms pending', () => {
  it('prints a table: incident, step, message, channels, short fingerprint, approvals of needed', async () => {
    server.answer({ status: 200, body: pending });
    const result = await cli(['comms', 'pending'], env);
    expect(result).toEqual({
      code: 0,
      out: [
        'INCIDENT  STEP  MESSAGE        CHANNELS          FINGERPRINT               VOTES',
        'inc-7     tell  breach-notice  email,statuspage  sha256:3f3f3f3f3f3f3f3f…  1/2',
        '',
      ].join('\n'),
      err: '',
    });
    expect(onlyRequest()).toMatchObject({ method: 'GET', url: '/api/v1/messages/pending' });
    expect(onlyRequest().headers).toMatchObject(expectedHeaders('tok-9', false));
  });

  it('adds the distinct people counted of those needed when the step sets distinct', async () => {
    const [first] = pending.messages;
    const twoPeople = { ...pending, messages: [{ ...first!, distinct: 2, distinctApprovers: ['carol'] }] };
    server.answer({ status: 200, body: twoPeople });
    expect((await cli(['comms', 'pending'], env)).out).toContain(
      'inc-7     tell  breach-notice  email,statuspage  sha256:3f3f3f3f3f3f3f3f…  1/2, 1 of 2 people\n',
    );
    server.answer({ status: 200, body: { message: { ...record, distinct: 2, distinctApprovers: ['dave'] } } });
    expect((await cli(['comms', 'show', 'inc-7', 'tell'], env)).out).toContain(
      '  approvers    role:legal (1/1 approvals, 1 of 2 distinct people)\n',
    );
  });

  it('asks for one incident with --incident, says when nothing waits, and warns about gaps on stderr', async () => {
    server.answer({ status: 200, body: { messages: [], truncated: true, unreadable: ['inc-1', 'inc-2'] } });
    const result = await cli(['comms', 'pending', '--incident', 'inc 7'], env);
    expect(onlyRequest().url).toBe('/api/v1/messages/pending?incident=inc+7');
    expect(result.out).toBe('no messages are awaiting approval\n');
    expect(result.err).toBe(
      'warning: only the newest running incidents were read; use --incident for others\n' +
        'warning: 2 incidents could not be read (is a worker running?): inc-1, inc-2\n',
    );
  });

  it('prints the API answer with --json', async () => {
    server.answer({ status: 200, body: pending });
    expect((await cli(['comms', 'pending', '--json'], env)).out).toBe(`${JSON.stringify(pending, null, 2)}\n`);
  });
});

describe('firebreak comms show', () => {
  it('prints the header, every part verbatim under its header, votes, voided votes and deliveries', async () => {
    server.answer({ status: 200, body: { message: record } });
    const result = await cli(['comms', 'show', 'inc-7', 'tell'], env);
    expect(onlyRequest().url).toBe('/api/v1/incidents/inc-7/messages/tell');
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      [
        'Message breach-notice of step tell, incident inc-7',
        '  status       sent',
        '  from         Alice Adams <alice@example.com> (alice)',
        '  approvers    role:legal (1/1 approvals)',
        `  fingerprint  ${FINGERPRINT}`,
        '  facts        recordsAffected',
      ].join('\n'),
    );
    expect(result.out).toContain(
      [
        '--- email: subject ---',
        'inc-7: notice about your account data',
        '--- email: text ---',
        'Dear customer,',
        '',
        '  1,500 records.  ',
        '--- end of email; to: customer@example.net ---',
        '',
        '--- statuspage: md ---',
        '**Investigating.**',
        '--- end of statuspage; to: (none: published) ---',
      ].join('\n'),
    );
    expect(result.out).toMatch(/Votes\n {2}dave +approve +as legal +.+ +checked\n/);
    expect(result.out).toContain(
      'Voided votes\n  sha256:9a9a9a9a9a9a9a9a…  voided 2025-03-01 10:30:00Z: recordsAffected was set to 1500 (confirmed) by erin\n    carol  approve  as legal  2025-03-01 10:00:00Z\n',
    );
    expect(result.out).toMatch(/Sent\n {2}#1 +2025-03-01 11:00:05Z +sha256:3f3f3f3f3f3f3f3f… +approved by dave\n/);
    expect(result.out).toMatch(/ {4}email +accepted customer@example.net +ids <abc@firebreak>\n/);
  });

  it('prints one channel with --channel, and refuses a channel the message does not have (exit 2)', async () => {
    server.answer({ status: 200, body: { message: record } });
    const one = await cli(['comms', 'show', 'inc-7', 'tell', '--channel', 'statuspage'], env);
    expect(one.out).toContain('--- statuspage: md ---');
    expect(one.out).not.toContain('--- email');
    const json = await cli(['comms', 'show', 'inc-7', 'tell', '--channel', 'email', '--json'], env);
    expect(JSON.parse(json.out)).toEqual(record.channels[0]);
    expect(await cli(['comms', 'show', 'inc-7', 'tell', '--channel', 'chat'], env)).toEqual({
      code: 2,
      out: '',
      err: 'error: the message has no channel `chat` (channels: email, statuspage)\n',
    });
  });

  it('says why a step has no message (exit 4)', async () => {
    const message = 'step scope is a task step, not a notify step: it has no message';
    server.answer({ status: 404, body: { error: { status: 404, code: 'NOT_FOUND', message } } });
    expect(await cli(['comms', 'show', 'inc-7', 'scope'], env)).toEqual({
      code: 4,
      out: '',
      err: `error: not found: ${message}\n`,
    });
  });
});

describe('firebreak comms approve and reject', () => {
  it('approves by fingerprint, with a comment', async () => {
    const result = await cli(
      ['comms', 'approve', 'inc-7', 'tell', '--fingerprint', FINGERPRINT, '--comment', 'read it all'],
      env,
    );
    expect(result).toEqual({
      code: 0,
      out: 'Approved message sha256:3f3f3f3f3f3f3f3f… of step tell on incident inc-7\n',
      err: '',
    });
    const request = onlyRequest();
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/incidents/inc-7/messages/tell/votes' });
    expect(request.headers).toMatchObject(expectedHeaders('tok-9', true));
    expect(request.body).toEqual({ vote: 'approve', fingerprint: FINGERPRINT, comment: 'read it all' });
  });

  it('will not approve without --fingerprint, and sends nothing', async () => {
    const result = await cli(['comms', 'approve', 'inc-7', 'tell'], env);
    expect(result.code).toBe(1);
    expect(result.err).toContain("required option '--fingerprint <sha256>' not specified");
    expect(server.requests).toHaveLength(0);
  });

  it('rejects with or without a fingerprint', async () => {
    expect((await cli(['comms', 'reject', 'inc-7', 'tell', '--comment', 'wrong figure'], env)).out).toBe(
      'Rejected message of step tell on incident inc-7\n',
    );
    expect(onlyRequest().body).toEqual({ vote: 'reject', comment: 'wrong figure' });
    server.requests.length = 0;
    await cli(['comms', 'reject', 'inc-7', 'tell', '--fingerprint', OLD], env);
    expect(onlyRequest().body).toEqual({ vote: 'reject', fingerprint: OLD });
  });

  it('exits 5 when the run refuses a stale fingerprint, and 3 when the voter may not vote', async () => {
    const stale = 'the message changed since: its fingerprint is now sha256:…';
    server.answer({ status: 409, body: { error: { status: 409, code: 'CONFLICT', message: stale } } });
    expect(await cli(['comms', 'approve', 'inc-7', 'tell', '--fingerprint', OLD], env)).toEqual({
      code: 5,
      out: '',
      err: `error: refused: ${stale}\n`,
    });
    server.answer({
      status: 403,
      body: { error: { status: 403, code: 'FORBIDDEN', message: 'mallory holds no role in this incident' } },
    });
    expect((await cli(['comms', 'approve', 'inc-7', 'tell', '--fingerprint', OLD], env)).code).toBe(3);
  });
});
