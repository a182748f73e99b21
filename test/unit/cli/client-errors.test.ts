/** How the API commands report each failure: one line worded for a person, and an exit code per class. */
import { createServer } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/cli/api/client.js';
import { CliError } from '../../../src/cli/context.js';
import { cli, startCannedServer, type CannedResponse, type CannedServer } from './client-support.js';

let server: CannedServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startCannedServer();
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-123' };
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

function refusal(status: number, code: string, message: string, extra: object = {}): CannedResponse {
  return { status, body: { error: { status, code, message, ...extra } } };
}

async function failWith(response: CannedResponse, args = ['approve', 'inc-1', 'rotate']) {
  server.answer(response);
  const result = await cli(args, env);
  expect(result.out).toBe('');
  return { code: result.code, err: result.err };
}

describe('API errors', () => {
  it('400 lists every issue on its own line (exit 2)', async () => {
    const issues = [
      { path: 'params.count', message: 'expected a whole number, got "five"' },
      { path: '', message: 'unknown field `x`' },
    ];
    expect(
      await failWith(refusal(400, 'INVALID_INPUT', 'invalid request: 2 problems (see issues)', { issues }), [
        'trigger',
        'credential-leak',
        '--param',
        'count=five',
      ]),
    ).toEqual({
      code: 2,
      err: 'error: invalid request:\n  params.count: expected a whole number, got "five"\n  (body): unknown field `x`\n',
    });
  });

  it('400 without issues gives the message once', async () => {
    expect(
      await failWith(refusal(400, 'INVALID_INPUT', 'invalid request: the request body is not valid JSON')),
    ).toEqual({ code: 2, err: 'error: invalid request: the request body is not valid JSON\n' });
    expect(await failWith(refusal(400, 'INVALID_INPUT', 'Decision scope needs one of: a, b'))).toEqual({
      code: 2,
      err: 'error: invalid request: Decision scope needs one of: a, b\n',
    });
  });

  it('401 says the token was missing or not accepted and how to get one (exit 3)', async () => {
    expect(await failWith(refusal(401, 'UNAUTHENTICATED', 'missing or unknown bearer token'))).toEqual({
      code: 3,
      err:
        'error: not signed in: the token was missing or not accepted ' +
        '(set FIREBREAK_TOKEN, or run npx firebreak dev which writes .firebreak/admin.token)\n',
    });
  });

  it('403, 404 and 409 carry the server message (exits 3, 4, 5)', async () => {
    expect(await failWith(refusal(403, 'FORBIDDEN', 'carol does not hold role:legal for rotate'))).toEqual({
      code: 3,
      err: 'error: not allowed: carol does not hold role:legal for rotate\n',
    });
    expect(await failWith(refusal(404, 'NOT_FOUND', 'no incident inc-1'))).toEqual({
      code: 4,
      err: 'error: not found: no incident inc-1\n',
    });
    expect(await failWith(refusal(409, 'CONFLICT', 'alice already voted on rotate'))).toEqual({
      code: 5,
      err: 'error: refused: alice already voted on rotate\n',
    });
  });

  it('413 is an invalid request (exit 2)', async () => {
    expect(
      await failWith(refusal(413, 'PAYLOAD_TOO_LARGE', 'the request body is over the limit of 1048576 bytes')),
    ).toEqual({ code: 2, err: 'error: request too large: the request body is over the limit of 1048576 bytes\n' });
  });

  it('429 says when to retry, from Retry-After when given (exit 7)', async () => {
    const limited = refusal(429, 'RATE_LIMITED', 'too many failed attempts');
    expect(await failWith({ ...limited, headers: { 'retry-after': '90' } })).toEqual({
      code: 7,
      err: 'error: too many requests: too many failed attempts; retry in 1m 30s\n',
    });
    expect(await failWith(limited)).toEqual({
      code: 7,
      err: 'error: too many requests: too many failed attempts; retry in a moment\n',
    });
  });

  it('5xx, a flat error body and a body that is not JSON (exit 1)', async () => {
    expect(await failWith(refusal(500, 'INTERNAL', 'internal error; see the server log'))).toEqual({
      code: 1,
      err: 'error: Firebreak failed (HTTP 500): internal error; see the server log\n',
    });
    expect(await failWith({ status: 404, body: { statusCode: 404, message: 'Route not found' } })).toEqual({
      code: 4,
      err: 'error: not found: Route not found\n',
    });
    expect(await failWith({ status: 502, raw: '<html>Bad Gateway</html>' })).toEqual({
      code: 1,
      err: 'error: Firebreak failed (HTTP 502): HTTP 502\n',
    });
  });

  it('keeps a multi-line server message on one line', async () => {
    expect(await failWith(refusal(409, 'CONFLICT', 'step rotate is not waiting\n  (it succeeded)'))).toEqual({
      code: 5,
      err: 'error: refused: step rotate is not waiting (it succeeded)\n',
    });
  });

  it('an answer of the wrong shape is reported, not rendered (exit 1)', async () => {
    expect(
      await failWith({ status: 200, body: { incident: { incidentId: 'inc-1' } } }, ['incident', 'show', 'inc-1']),
    ).toEqual({
      code: 1,
      err:
        `error: unexpected answer from Firebreak at ${server.url} to GET /incidents/inc-1 (at incident.runbook); ` +
        'are the CLI and server the same version?\n',
    });
  });
});

describe('no answer', () => {
  it('says what to start when nothing listens (exit 6)', async () => {
    const gone = await startCannedServer();
    await gone.close();
    expect(await cli(['incident', 'list'], { ...env, FIREBREAK_URL: gone.url })).toEqual({
      code: 6,
      out: '',
      err: `error: cannot reach Firebreak at ${gone.url}: is \`npx firebreak dev\` or \`npx firebreak server\` running?\n`,
    });
  });

  it('gives up after the timeout (exit 6)', async () => {
    const stalled = await startStalledServer();
    const client = new ApiClient({ baseUrl: stalled.url, token: 't', timeoutMs: 200 });
    const error = await client.listIncidents().catch((caught: unknown) => caught);
    await stalled.close();
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({
      exitCode: 6,
      message: `no answer from Firebreak at ${stalled.url} within 200ms: is it overloaded or stuck?`,
    });
  });
});

/** A server that accepts connections and never answers. */
async function startStalledServer(): Promise<{ url: string; close(): Promise<void> }> {
  const stalled = createServer(() => undefined);
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const address = stalled.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        stalled.closeAllConnections();
        stalled.close(() => resolve());
      }),
  };
}
