/** `firebreak postmortem draft` against a real local HTTP server: the request it sends and what it prints. */
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
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-123' };
});

const postmortem = {
  id: 'pm-1',
  incidentId: 'inc/7',
  title: 'Suspicious login',
  runbookId: 'suspicious-login',
  severity: 'sev2',
  status: 'draft',
  outcome: 'completed',
  startedAt: '2026-12-07T10:00:00.000Z',
  endedAt: '2026-12-07T11:00:00.000Z',
  people: { facilitators: ['alice', 'erin'], reviewers: [], audience: [] },
  reviewDueAt: '2026-12-12T11:00:00.000Z',
  tags: [],
  createdBy: 'alice',
  createdAt: '2026-12-07T11:00:01.000Z',
};

describe('firebreak postmortem draft', () => {
  it('posts to the incident (id escaped) and says what it drafted', async () => {
    server.answer({ status: 201, body: postmortem });
    const result = await cli(['postmortem', 'draft', 'inc/7'], env);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^Drafted post-mortem pm-1 of incident inc\/7\n {2}Facilitators {2}alice, erin\n {2}Reviewers {5}\(none\)\n {2}Review due {4}2026-12-12/,
    );
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect([request.method, request.url]).toEqual(['POST', '/api/v1/incidents/inc%2F7/postmortem']);
    expect(request.headers).toMatchObject(expectedHeaders('tok-123', true));
    expect(request.body).toEqual({});
  });

  it('says when the incident already had one, and prints created with --json', async () => {
    server.answer({ status: 200, body: { ...postmortem, createdBy: 'system' } });
    expect((await cli(['postmortem', 'draft', 'inc-7'], env)).out).toMatch(
      /^Incident inc-7 already has post-mortem pm-1 \(draft\), drafted by system\n/,
    );
    server.answer({ status: 200, body: postmortem });
    const json = await cli(['postmortem', 'draft', 'inc-7', '--json'], env);
    expect(JSON.parse(json.out)).toEqual({ created: false, postmortem });
  });

  it('reports a refusal with its message and exit code', async () => {
    server.answer({
      status: 409,
      body: { error: { status: 409, code: 'CONFLICT', message: 'incident inc-7 is still running' } },
    });
    const result = await cli(['postmortem', 'draft', 'inc-7'], env);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('incident inc-7 is still running');
  });
});
