/** The activity edge: validation, error mapping to ApplicationFailure, redaction, timeout and cancellation. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createActivities, type RunActionInput, type RunActionResult } from '../../../activities/index.js';
import { builtinActions, createActionRegistry } from '../../../src/actions/registry.js';
import type { ActionDefinition } from '../../../src/actions/types.js';
import type { SecretSlot } from '../../../src/domain/secret-slots.js';
import { createDeclaredSecretResolver, createSecretCatalog } from '../../../src/secrets/declared.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';

const TOKEN = 'activity-t0ken-xyz';
const logLines: string[] = [];
let server: http.Server;
let base: string;

const waitForAbort: ActionDefinition = {
  name: 'test.wait',
  description: 'Waits until its signal aborts.',
  input: z.strictObject({}),
  execute: (_input, ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
    }),
};

const explode: ActionDefinition = {
  name: 'test.explode',
  description: 'Throws an unexpected error that quotes a secret.',
  input: z.strictObject({ secret: z.string() }),
  secretInputs: [['secret']],
  execute: (input) => Promise.reject(new Error(`library failed with ${(input as { secret: string }).secret}`)),
};

function activities() {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const actions = createActionRegistry([
    ...builtinActions({
      http: { allow: ['http://127.0.0.1:*'], allowLinkLocal: false, maxResponseBytes: 4096, defaultTimeoutMs: 5_000 },
      command: { scriptsDir: '/nonexistent', maxOutputBytes: 4096, defaultTimeoutMs: 5_000 },
    }),
    waitForAbort,
    explode,
  ]);
  const resolver = createSecretResolver({ env: { API_TOKEN: TOKEN, MISSING: '' }, baseDir: '/nonexistent' });
  const catalog = createSecretCatalog({
    'api-token': { reference: 'env:API_TOKEN' },
    missing: { reference: 'env:MISSING' },
    'other-runbook': { reference: 'env:API_TOKEN', runbooks: ['other'] },
  });
  const declaredSecrets = createDeclaredSecretResolver(catalog, resolver);
  return createActivities({ actions, declaredSecrets, logger, heartbeatIntervalMs: 20 });
}

/** A slot putting `before`, the named secret and `after` at `path`, as the workflow would send it. */
function slot(path: SecretSlot['path'], secret: string, before = '', after = ''): SecretSlot {
  return { path, parts: [{ text: before }, { secret, param: 'token' }, { text: after }] };
}

function input(action: string, withInput: RunActionInput['with'], extra: Partial<RunActionInput> = {}): RunActionInput {
  return { incidentId: 'inc-7', runbook: 'credential-leak', stepId: 'revoke', action, with: withInput, ...extra };
}

/** Runs `runAction` in a mock activity context (the mock's own typing loses the result type). */
function runIn(
  env: MockActivityEnvironment,
  runAction: ReturnType<typeof activities>['runAction'],
  args: RunActionInput,
) {
  return env.run<[RunActionInput], RunActionResult, typeof runAction>(runAction, args);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

const facts = (failure: ApplicationFailure) => ({
  type: failure.type,
  nonRetryable: failure.nonRetryable,
  message: failure.message,
});

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const status = Number(new URL(req.url ?? '/', 'http://x').pathname.slice(1)) || 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status, auth: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('runAction activity', () => {
  it('runs an action and returns its output with secrets redacted', async () => {
    const env = new MockActivityEnvironment();
    const { runAction } = activities();
    const headers = { Authorization: 'Bearer [secret:token]' };
    const secrets = [slot(['headers', 'Authorization'], 'api-token', 'Bearer ')];
    const result = await runIn(env, runAction, input('http.request', { url: `${base}/200`, headers }, { secrets }));
    expect(result.output).toMatchObject({ status: 200, json: { status: 200, auth: 'Bearer [redacted]' } });
    expect(result.note).toBe(`GET ${base}/200 answered 200`);
    expect(logLines.join('')).not.toContain(TOKEN);
    expect(logLines.join('')).toContain('"stepId":"revoke"');
  });

  it('records timeline.note output and note', async () => {
    const result = await runIn(
      new MockActivityEnvironment(),
      activities().runAction,
      input('timeline.note', { text: 'Containment started' }),
    );
    expect(result).toEqual({ output: { text: 'Containment started' }, note: 'Containment started' });
  });

  it('maps a 503 to retryable HTTP_STATUS and a 404 to non-retryable HTTP_REJECTED', async () => {
    const { runAction } = activities();
    const down = await failureOf(
      new MockActivityEnvironment().run(runAction, input('http.request', { url: `${base}/503` })),
    );
    expect(facts(down)).toEqual({
      type: 'HTTP_STATUS',
      nonRetryable: false,
      message: `GET ${base}/503 answered 503: {"status":503,"auth":null}`,
    });
    expect(down.details).toEqual([expect.objectContaining({ status: 503 })]);
    const missing = await failureOf(
      new MockActivityEnvironment().run(runAction, input('http.request', { url: `${base}/404` })),
    );
    expect([missing.type, missing.nonRetryable]).toEqual(['HTTP_REJECTED', true]);
  });

  it('maps refusals and missing secrets to non-retryable failures', async () => {
    const { runAction } = activities();
    const refused = await failureOf(
      new MockActivityEnvironment().run(runAction, input('http.request', { url: 'http://169.254.169.254/' })),
    );
    expect([refused.type, refused.nonRetryable]).toEqual(['NOT_ALLOWED', true]);
    const secret = await failureOf(
      new MockActivityEnvironment().run(
        runAction,
        input(
          'http.request',
          { url: `${base}/200`, headers: { 'x-key': '[secret:token]' } },
          { secrets: [slot(['headers', 'x-key'], 'missing')] },
        ),
      ),
    );
    expect(facts(secret)).toEqual({
      type: 'SECRET_UNAVAILABLE',
      nonRetryable: true,
      message: 'secret env:MISSING is unavailable: environment variable MISSING is not set',
    });
  });

  it('resolves only declared secrets, for their runbooks, at the places the action takes them', async () => {
    const { runAction } = activities();
    const run = (secrets: SecretSlot[], headers: Record<string, string> = { 'x-key': '[secret:token]' }) =>
      failureOf(
        new MockActivityEnvironment().run(
          runAction,
          input('http.request', { url: `${base}/200`, headers }, { secrets }),
        ),
      );
    const undeclared = await run([slot(['headers', 'x-key'], 'env:HOME')]);
    expect([undeclared.type, undeclared.message]).toEqual([
      'SECRET_UNAVAILABLE',
      'secret refused: expected the name of a secret declared under `secrets` in firebreak.yaml (available: api-token, missing), never a reference or a value',
    ]);
    const otherRunbook = await run([slot(['headers', 'x-key'], 'other-runbook')]);
    expect(otherRunbook.message).toBe(
      'secret refused: secret `other-runbook` is not declared for runbook `credential-leak` (available: api-token, missing)',
    );
    const wrongPlace = await run([slot(['method'], 'api-token')]);
    // An incident started before `secrets:` existed holds a reference: only a declared one resolves.
    const legacy = await runIn(
      new MockActivityEnvironment(),
      runAction,
      input(
        'http.request',
        { url: `${base}/200`, headers: { authorization: '[secret:token]' } },
        {
          secrets: [slot(['headers', 'authorization'], 'env:API_TOKEN')],
        },
      ),
    );
    expect(legacy.output).toMatchObject({ json: { auth: '[redacted]' } });
    expect([wrongPlace.type, wrongPlace.message]).toEqual([
      'INVALID_INPUT',
      'http.request takes no secret at with.method',
    ]);
    const noText = await run([slot(['headers', 'constructor'], 'api-token')]);
    expect([noText.type, noText.message]).toEqual([
      'INVALID_INPUT',
      'no text at with.headers.constructor to put a secret in',
    ]);
  });

  it('refuses an unknown action and invalid input as non-retryable INVALID_INPUT', async () => {
    const { runAction } = activities();
    const unknown = await failureOf(new MockActivityEnvironment().run(runAction, input('http.get', {})));
    expect(facts(unknown)).toEqual({
      type: 'INVALID_INPUT',
      nonRetryable: true,
      message: 'unknown action "http.get" (known: command.run, http.request, test.explode, test.wait, timeline.note)',
    });
    const invalid = await failureOf(
      new MockActivityEnvironment().run(
        runAction,
        input('http.request', { method: 'FETCH', timeout: 'soon', extra: 1 }),
      ),
    );
    expect(facts(invalid)).toEqual({
      type: 'INVALID_INPUT',
      nonRetryable: true,
      message:
        'http.request: with.method: Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"|"DELETE"|"HEAD"; ' +
        'with.url: Invalid input: expected string, received undefined; ' +
        'with.timeout: must be a duration like 30s, 15m or 2h; with: Unrecognized key: "extra"',
    });
  });

  it('maps an unexpected error to retryable TRANSIENT, secrets redacted', async () => {
    const failure = await failureOf(
      new MockActivityEnvironment().run(
        activities().runAction,
        input('test.explode', { secret: '[secret:token]' }, { secrets: [slot(['secret'], 'api-token')] }),
      ),
    );
    expect(facts(failure)).toEqual({
      type: 'TRANSIENT',
      nonRetryable: false,
      message: 'library failed with [redacted]',
    });
  });

  it('stops the action at the step timeout with TIMEOUT', async () => {
    const failure = await failureOf(
      new MockActivityEnvironment().run(activities().runAction, input('test.wait', {}, { timeoutMs: 2_000 })),
    );
    expect(facts(failure)).toEqual({
      type: 'TIMEOUT',
      nonRetryable: false,
      message: 'step revoke ran past its 2s timeout',
    });
  });

  it('heartbeats while running and passes cancellation through as CancelledFailure', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => {
      beats += 1;
    });
    const pending = env.run(activities().runAction, input('test.wait', {}));
    // Cancel only once it has heartbeated (every 20 ms here), as a running activity would have.
    await vi.waitFor(() => expect(beats).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 10 });
    env.cancel('CANCELLED');
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(beats).toBeGreaterThanOrEqual(2);
  });
});
