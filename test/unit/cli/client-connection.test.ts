/** Where the API commands connect, which token they send, and the client's runbook listing. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/cli/api/client.js';
import { cli, expectedHeaders, startCannedServer, type CannedServer } from './client-support.js';

let server: CannedServer;
let env: NodeJS.ProcessEnv;
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-cli-'));

beforeAll(async () => {
  server = await startCannedServer();
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
  server.answer({ status: 200, body: { incidents: [] } });
  env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: 'tok-123' };
});

function onlyRequest() {
  expect(server.requests).toHaveLength(1);
  return server.requests[0]!;
}

describe('where the CLI connects and which token it sends', () => {
  it('--url overrides FIREBREAK_URL, and a trailing slash is ignored', async () => {
    const result = await cli(['incident', 'list', '--url', `${server.url}/`], {
      ...env,
      FIREBREAK_URL: 'http://127.0.0.1:1',
    });
    expect(result).toEqual({ code: 0, out: 'no incidents\n', err: '' });
    expect(onlyRequest().url).toBe('/api/v1/incidents');
  });

  it('refuses a URL that is not http(s) (exit 2)', async () => {
    expect(await cli(['incident', 'list', '--url', 'ftp://x'], env)).toEqual({
      code: 2,
      out: '',
      err: 'error: invalid Firebreak URL `ftp://x`: only http and https are supported\n',
    });
    expect((await cli(['incident', 'list', '--url', 'not a url'], env)).err).toBe(
      'error: invalid Firebreak URL `not a url`: expected something like http://127.0.0.1:8080\n',
    );
  });

  it('--token-file wins over FIREBREAK_TOKEN; the file is read relative to the working directory', async () => {
    writeFileSync(path.join(scratch, 'my.token'), 'from-file\n', { mode: 0o600 });
    expect((await cli(['incident', 'list', '--token-file', 'my.token'], env, scratch)).code).toBe(0);
    expect(onlyRequest().headers.authorization).toBe('Bearer from-file');
  });

  it('falls back to .firebreak/admin.token, or $FIREBREAK_DATA_DIR/admin.token', async () => {
    const cwd = mkdtempSync(path.join(scratch, 'cwd-'));
    mkdirSync(path.join(cwd, '.firebreak'));
    writeFileSync(path.join(cwd, '.firebreak/admin.token'), 'dev-token\n');
    mkdirSync(path.join(cwd, 'data'));
    writeFileSync(path.join(cwd, 'data/admin.token'), 'data-dir-token');
    const noToken = { FIREBREAK_URL: server.url };
    expect((await cli(['incident', 'list'], noToken, cwd)).code).toBe(0);
    expect((await cli(['incident', 'list'], { ...noToken, FIREBREAK_DATA_DIR: 'data' }, cwd)).code).toBe(0);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer dev-token',
      'Bearer data-dir-token',
    ]);
  });

  it('says how to get a token when there is none, without sending anything (exit 3)', async () => {
    const cwd = mkdtempSync(path.join(scratch, 'empty-'));
    expect(await cli(['incident', 'list'], { FIREBREAK_URL: server.url }, cwd)).toEqual({
      code: 3,
      out: '',
      err:
        'error: no token: set FIREBREAK_TOKEN, or run npx firebreak dev which writes .firebreak/admin.token ' +
        '(looked for .firebreak/admin.token)\n',
    });
    expect(await cli(['incident', 'list', '--token-file', 'missing.token'], env, cwd)).toEqual({
      code: 3,
      out: '',
      err: 'error: cannot read a token from missing.token\n',
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('ApiClient.listRunbooks', () => {
  it('gets /runbooks and returns what the server lists', async () => {
    const runbooks = [
      {
        id: 'credential-leak',
        title: 'Leaked credential',
        version: 3,
        severity: 'sev1',
        params: { key_id: { type: 'string', required: true } },
      },
    ];
    server.answer({ status: 200, body: { runbooks } });
    const client = new ApiClient({ baseUrl: server.url, token: 'tok-123' });
    expect(await client.listRunbooks()).toEqual({ runbooks });
    expect(onlyRequest()).toMatchObject({
      method: 'GET',
      url: '/api/v1/runbooks',
      headers: expectedHeaders('tok-123', false),
    });
  });
});
