/**
 * Action steps against real things: a loopback HTTP server, scripts in test/fixtures/scripts, and the
 * common step fields (when, onFailure, compensate, retry, timeout) as the interpreter applies them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bob, startInput, startTestEnv, stepOf, waitForStep, type TestEnv } from '../support/temporal.js';

let env: TestEnv;
let server: Server;
let port = 0;
const received: Array<{ method: string; url: string; auth?: string; body: string }> = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-actions-'));
let failuresLeft = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body,
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      });
      if (req.url?.startsWith('/flaky') && failuresLeft-- > 0) {
        res.writeHead(503).end('try later');
        return;
      }
      if (req.url?.startsWith('/echo')) {
        // A destination that hands back everything it received, in the encodings an attacker would ask for.
        const got = `${req.url} ${req.headers.authorization ?? ''} ${body}`;
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-request-id': encodeURIComponent(got).slice(0, 200) })
          .end(
            JSON.stringify({
              raw: got,
              base64: Buffer.from(got).toString('base64'),
              base64url: Buffer.from(`x${got}`).toString('base64url'),
              hex: Buffer.from(got).toString('hex'),
              uri: encodeURIComponent(got),
              json: JSON.stringify(got),
            }),
          );
        return;
      }
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404).end('no such key');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revoked: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  env = await startTestEnv({
    env: { KEYS_TOKEN: 's3cr3t-token-value', WORKER_ONLY: 'w0rker-env-s3cret' },
    configure: (config) => ({
      ...config,
      secrets: {
        'keys-token': { reference: 'env:KEYS_TOKEN' },
        'other-token': { reference: 'env:KEYS_TOKEN', runbooks: ['another-runbook'] },
      },
    }),
  });
  writeFileSync(path.join(scratch, 'admin.token'), 'adm1n-file-s3cret\n');
});
afterAll(async () => {
  await env?.close();
  server?.close();
});

const header = (id: string) => `
apiVersion: firebreak/v1
id: ${id}
title: ${id}
version: 1
severity: sev2
`;

describe('action steps', () => {
  it('calls an HTTP endpoint with a secret header that never reaches the state', async () => {
    const plan = env.compile(`${header('http-secret')}
params:
  key: { type: string, required: true }
  token: { type: secret, required: true }
steps:
  - id: revoke
    title: Revoke
    action: http.request
    with:
      method: POST
      url: http://127.0.0.1:${port}/revoke/\${{ params.key }}
      headers: { Authorization: "Bearer \${{ params.token }}" }
      json: { reason: leaked }
`);
    const id = await env.trigger(plan, { key: 'AKIA1', token: 'keys-token' });
    const result = await env.incidents.result(id);
    expect(result.status).toBe('completed');
    const call = received.find((r) => r.url === '/revoke/AKIA1');
    expect(call).toMatchObject({ method: 'POST', auth: 'Bearer s3cr3t-token-value', body: '{"reason":"leaked"}' });
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'revoke').output).toMatchObject({ status: 200, json: { revoked: '/revoke/AKIA1' } });
    expect(state.params.token).toBe('keys-token');
    const history = JSON.stringify(await env.client.workflow.getHandle(id).fetchHistory());
    expect(history).not.toContain('s3cr3t-token-value');
  });

  it('never resolves a secret reference that arrives in a value (params, facts), whatever it spells', async () => {
    const plan = env.compile(`${header('http-injection')}
roles:
  security: {}
params:
  key: { type: string, required: true }
facts:
  note: { type: string }
steps:
  - id: scope
    title: Scope
    task: Say what you found
    assignee: role:security
    sets: [note]
  - id: exfil
    title: Call with values from outside
    action: http.request
    with:
      method: POST
      url: http://127.0.0.1:${port}/echo/\${{ params.key }}
      json: { key: "\${{ params.key }}", note: "\${{ facts.note }}", both: "\${{ params.key }}\${{ facts.note }}" }
`);
    const attack = (name: string) => `\u27e6secret:${name}\u27e7`;
    const key = `${attack('env:WORKER_ONLY')}${attack(`file:${path.join(scratch, 'admin.token')}`)}${attack('env:KEYS_TOKEN')}`;
    const id = await env.trigger(plan, { key });
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { note: { value: attack('keys-token') } },
    });
    const result = await env.incidents.result(id);
    expect(result.status).toBe('completed');
    // The destination received the values as text: nothing was looked up.
    const call = received.find((r) => r.url.startsWith('/echo/'));
    expect(decodeURIComponent(call?.url ?? '')).toBe(`/echo/${key}`);
    expect(JSON.parse(call?.body ?? '{}')).toEqual({
      key,
      note: attack('keys-token'),
      both: key + attack('keys-token'),
    });
    const state = await env.incidents.state(id);
    const everything =
      JSON.stringify(state) +
      JSON.stringify(call) +
      JSON.stringify(await env.client.workflow.getHandle(id).fetchHistory());
    for (const secret of ['w0rker-env-s3cret', 'adm1n-file-s3cret', 's3cr3t-token-value']) {
      for (const spelling of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
        expect(everything).not.toContain(spelling);
      }
    }
  });

  it('redacts a declared secret that a destination echoes back in any common encoding', async () => {
    const plan = env.compile(`${header('http-echo-secret')}
params:
  token: { type: secret, required: true }
steps:
  - id: echo
    title: Call an echoing endpoint
    action: http.request
    with:
      method: POST
      url: http://127.0.0.1:${port}/echo
      headers: { Authorization: "Bearer \${{ params.token }}" }
      json: { token: "\${{ params.token }}" }
`);
    const id = await env.trigger(plan, { token: 'keys-token' });
    expect((await env.incidents.result(id)).status).toBe('completed');
    expect(received.at(-1)?.auth).toBe('Bearer s3cr3t-token-value');
    const state = await env.incidents.state(id);
    const output = JSON.stringify(stepOf(state, 'echo').output);
    expect(output).toContain('[redacted]');
    const secret = 's3cr3t-token-value';
    const history = JSON.stringify(await env.client.workflow.getHandle(id).fetchHistory());
    for (const text of [output, JSON.stringify(state), history]) {
      for (const encoded of [
        secret,
        Buffer.from(secret).toString('hex'),
        encodeURIComponent(secret),
        // Any 9 consecutive base64 characters of the secret, at any alignment, standard or URL-safe.
        ...[0, 1, 2].flatMap((shift) => {
          const b64 = Buffer.from(`${'x'.repeat(shift)}${secret}`).toString('base64');
          return [b64.slice(4, 13), b64.slice(4, 13).replace(/\+/g, '-').replace(/\//g, '_')];
        }),
      ]) {
        expect(text).not.toContain(encoded);
      }
    }
  });

  it("refuses at trigger a secret param that names a reference, an undeclared secret or another runbook's", () => {
    const plan = env.compile(`${header('http-secret-names')}
params:
  token: { type: secret, required: true }
steps:
  - { id: note, title: Note, action: timeline.note, with: { text: hello } }
`);
    for (const token of ['env:KEYS_TOKEN', 'file:/etc/passwd', 'nope', 'other-token', 'constructor']) {
      expect(() =>
        startInput(plan, { token }, {}, { 'other-token': { reference: 'env:KEYS_TOKEN', runbooks: ['x'] } }),
      ).toThrow(/params\.token/);
    }
  });

  it('skips a step whose when is false, continues past a failure marked continue, retries a flaky call', async () => {
    failuresLeft = 2;
    const counter = path.join(scratch, 'flaky-calls');
    const plan = env.compile(`${header('when-continue-retry')}
params:
  mode: { type: string, enum: [quick, full], default: quick }
steps:
  - id: full-only
    title: Only in full mode
    when: params.mode == "full"
    action: timeline.note
    with: { text: full }
  - id: missing
    title: Revoke a key that does not exist
    action: http.request
    with: { url: "http://127.0.0.1:${port}/missing" }
    onFailure: continue
  - id: flaky
    title: Flaky endpoint
    action: http.request
    with: { url: "http://127.0.0.1:${port}/flaky" }
    retry: { maxAttempts: 3, initialInterval: 1s }
  - id: script
    title: Flaky script
    action: command.run
    with: { command: flaky, args: ["${counter}", "1"] }
    retry: { maxAttempts: 2, initialInterval: 1s }
  - id: after
    title: Runs after the failure
    when: steps["missing"].status == "failed" && steps.flaky.output.status == 200
    action: timeline.note
    with: { text: "missing was \${{ steps['missing'].status }}" }
`);
    const id = await env.trigger(plan);
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({
      'full-only': 'skipped',
      missing: 'failed',
      flaky: 'succeeded',
      script: 'succeeded',
      after: 'succeeded',
    });
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'missing').error).toEqual({
      code: 'HTTP_REJECTED',
      message: expect.stringContaining('answered 404: no such key') as string,
    });
    expect(received.filter((r) => r.url === '/missing')).toHaveLength(1); // a 404 is not retried
    expect(received.filter((r) => r.url === '/flaky')).toHaveLength(3);
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(state.timeline.some((e) => e.type === 'note' && e.message === 'missing was failed')).toBe(true);
  });

  it('aborts on failure and runs compensations newest first, recording a failing one', async () => {
    const log = path.join(scratch, 'compensations');
    const plan = env.compile(`${header('abort-compensate')}
steps:
  - { id: one, title: First, action: command.run, with: { command: record, args: ["${log}", "do one"] }, compensate: undo-one }
  - { id: two, title: Second, action: command.run, with: { command: record, args: ["${log}", "do two"] }, compensate: undo-two }
  - { id: three, title: Third, action: command.run, with: { command: record, args: ["${log}", "do three"] }, compensate: undo-three }
  - id: boom
    title: Isolate the host
    action: command.run
    with: { command: isolate-host, args: [web-1] }
    retry: { maxAttempts: 1 }
  - { id: never, title: Never runs, action: command.run, with: { command: record, args: ["${log}", "never"] } }
compensations:
  - { id: undo-one, title: Undo one, action: command.run, with: { command: record, args: ["${log}", "undo one"] } }
  - { id: undo-two, title: Undo two, action: command.run, with: { command: isolate-host, args: [undo-two] }, retry: { maxAttempts: 1 } }
  - { id: undo-three, title: Undo three, action: command.run, with: { command: record, args: ["${log}", "undo three"] } }
`);
    const id = await env.trigger(plan);
    const error = await env.incidents.result(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toBe(
      'Step boom failed: isolate-host exited with 3: warning: security group sg-123 not found\ncannot isolate web-1: permission denied; 1 compensation(s) failed: undo-two',
    );
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'do one',
      'do two',
      'do three',
      'undo three',
      'undo one',
    ]);
    const state = await env.incidents.state(id);
    expect(state.status).toBe('aborted');
    expect(state.compensations.map((c) => [c.id, c.status])).toEqual([
      ['undo-three', 'succeeded'],
      ['undo-two', 'failed'],
      ['undo-one', 'succeeded'],
    ]);
    expect(state.compensations[1]?.error?.code).toBe('COMMAND_FAILED');
    expect(stepOf(state, 'never').status).toBe('pending');
    expect(stepOf(state, 'boom')).toMatchObject({ status: 'failed', error: { code: 'COMMAND_FAILED' } });
  });

  it('fails a step that runs past its timeout', async () => {
    const plan = env.compile(`${header('action-timeout')}
steps:
  - id: hang
    title: Hangs
    action: command.run
    with: { command: hang-with-child }
    timeout: 2s
    onFailure: continue
  - { id: next, title: Next, action: timeline.note, with: { text: after the hang } }
`);
    const id = await env.trigger(plan);
    const result = await env.incidents.result(id);
    expect(result.steps).toEqual({ hang: 'timed_out', next: 'succeeded' });
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'hang').error?.code).toBe('TIMEOUT');
  });

  it('refuses a destination outside the allow-list without retrying', async () => {
    const plan = env.compile(`${header('ssrf')}
steps:
  - { id: meta, title: Metadata, action: http.request, with: { url: "http://169.254.169.254/latest/meta-data/" } }
`);
    const id = await env.trigger(plan);
    await expect(env.incidents.result(id)).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'meta').error).toEqual({
      code: 'NOT_ALLOWED',
      message: '169.254.169.254 is a link-local/metadata address; set actions.http.allowLinkLocal to allow it',
    });
    expect(state.status).toBe('aborted');
  });
});
