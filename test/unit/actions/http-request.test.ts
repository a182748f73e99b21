/** http.request against a real node:http server on 127.0.0.1; names are pointed at it by an injected lookup. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedAddress } from '../../../src/actions/http/destination.js';
import {
  HttpRequestInput,
  httpRequestAction,
  idempotencyKey,
  type HttpRequestOptions,
} from '../../../src/actions/http-request.js';
import { rejection, testContext } from './support.js';

const TOKEN = 's3cr3t-t0ken-value';
const seen: Array<{
  method: string;
  url: string;
  host: string;
  authorization?: string;
  body: string;
  idempotencyKey?: string;
}> = [];
let server: http.Server;
let base: string;
let port: number;

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const key = req.headers['idempotency-key'];
  seen.push({
    method: req.method ?? '',
    url: req.url ?? '',
    host: req.headers.host ?? '',
    body,
    ...auth(req),
    ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
  });
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/json') {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req-42', 'set-cookie': 'sid=abc' });
    res.end(JSON.stringify({ ok: true, method: req.method }));
  } else if (path === '/echo') {
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  } else if (path === '/down') {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end(`upstream down ${'x'.repeat(300)}`);
  } else if (path === '/missing') {
    res.writeHead(404).end('no such key');
  } else if (path === '/slow-down') {
    res.writeHead(429).end('too many');
  } else if (path === '/big') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(Buffer.alloc(1024 * 1024, 'a'));
  } else if (path === '/hang') {
    // Never answers.
  } else if (path === '/secret') {
    const ok = req.headers.authorization === `Bearer ${TOKEN}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'x-request-id': TOKEN });
    res.end(JSON.stringify({ received: req.headers.authorization ?? null, note: `token ${TOKEN} accepted` }));
  } else if (path === '/redirect') {
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
  } else {
    res.writeHead(500).end('unexpected path');
  }
}

function auth(req: http.IncomingMessage): { authorization?: string } {
  return req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization };
}

const names: Record<string, ResolvedAddress[]> = {
  'api.test': [{ address: '127.0.0.1', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'mixed.test': [
    { address: '127.0.0.1', family: 4 },
    { address: '169.254.10.1', family: 4 },
  ],
  'mapped.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
  'loopback.internal': [{ address: '127.0.0.1', family: 4 }],
  'mapped-loopback.internal': [{ address: '::ffff:127.0.0.1', family: 6 }],
};

function options(overrides: Partial<HttpRequestOptions> = {}): HttpRequestOptions {
  return {
    allow: ['http://127.0.0.1:*', 'http://*.test:* via 127.0.0.1'],
    allowLinkLocal: false,
    maxResponseBytes: 64 * 1024,
    defaultTimeoutMs: 5_000,
    lookup: (host) => {
      const found = names[host];
      return found ? Promise.resolve(found) : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    },
    ...overrides,
  };
}

async function call(input: Record<string, unknown>, env: Record<string, string> = {}, opts = options()) {
  const { ctx, lines } = testContext({ env });
  await new Promise((resolve) => setImmediate(resolve)); // the context's secrets settle
  const result = await httpRequestAction(opts).execute(HttpRequestInput.parse(input), ctx);
  return { ...result, lines };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('http.request', () => {
  it('returns status, safe headers, body and parsed JSON', async () => {
    const result = await call({ url: `${base}/json` });
    expect(result.output).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-42' },
      body: '{"ok":true,"method":"GET"}',
      truncated: false,
      json: { ok: true, method: 'GET' },
    });
    expect(result.note).toBe(`GET ${base}/json answered 200`);
  });

  it('sends a JSON body and accepts an expected non-200 status', async () => {
    const result = await call({ method: 'POST', url: `${base}/echo`, json: { key: 'k1' }, expectStatus: [201] });
    expect(result.output).toMatchObject({ status: 201, json: { key: 'k1' } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"key":"k1"}' });
  });

  it('fails a 503 with HTTP_STATUS and the start of the body', async () => {
    const error = await rejection(call({ method: 'POST', url: `${base}/down?token=abc` }));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.message).toBe(`POST ${base}/down answered 503: upstream down ${'x'.repeat(186)}`);
    expect(error.details).toMatchObject({ status: 503 });
  });

  it('fails a 404 with the non-retryable HTTP_REJECTED, and a 429 with HTTP_STATUS', async () => {
    const missing = await rejection(call({ url: `${base}/missing` }));
    expect([missing.code, missing.message]).toEqual(['HTTP_REJECTED', `GET ${base}/missing answered 404: no such key`]);
    const slow = await rejection(call({ url: `${base}/slow-down` }));
    expect(slow.code).toBe('HTTP_STATUS');
  });

  it('refuses a destination outside the allow-list before connecting', async () => {
    const before = seen.length;
    const error = await rejection(call({ url: `http://localhost:${port}/json` }));
    expect([error.code, error.message]).toEqual([
      'NOT_ALLOWED',
      `http://localhost:${port} is not in actions.http.allow`,
    ]);
    const evil = await rejection(call({ url: 'https://evil.example/x' }));
    expect(evil.message).toBe('https://evil.example is not in actions.http.allow');
    expect(seen.length).toBe(before);
  });

  it('refuses the metadata address literally and through a name', async () => {
    const literal = await rejection(call({ url: 'http://169.254.169.254/latest/meta-data/' }));
    expect([literal.code, literal.message]).toEqual([
      'NOT_ALLOWED',
      '169.254.169.254 is a link-local/metadata address; set actions.http.allowLinkLocal to allow it',
    ]);
    const named = await rejection(call({ url: 'http://metadata.test/' }));
    expect(named.message).toBe(
      'metadata.test resolves to 169.254.169.254, a link-local/metadata address; set actions.http.allowLinkLocal to allow it',
    );
    const mixed = await rejection(call({ url: `http://mixed.test:${port}/json` }));
    expect(mixed.message).toContain('mixed.test resolves to 169.254.10.1');
    const mapped = await rejection(call({ url: 'http://mapped.test/' }));
    expect(mapped.message).toContain('mapped.test resolves to ::ffff:169.254.169.254');
  });

  it('connects to the vetted address while sending the original host name', async () => {
    const result = await call({ url: `http://api.test:${port}/json` });
    expect(result.output).toMatchObject({ status: 200 });
    expect(seen.at(-1)).toMatchObject({ url: '/json', host: `api.test:${port}` });
  });

  it('refuses a wildcard-admitted name that resolves to loopback unless the entry permits it via the address', async () => {
    const wildcard = options({ allow: ['http://*.internal:*'] });
    const before = seen.length;
    const plain = await rejection(call({ url: `http://loopback.internal:${port}/json` }, {}, wildcard));
    expect([plain.code, plain.message]).toEqual([
      'NOT_ALLOWED',
      'loopback.internal resolves to 127.0.0.1, a loopback address; to permit it, add "via 127.0.0.1" ' +
        '(or a CIDR holding it) to the entry "http://*.internal:*" in actions.http.allow',
    ]);
    const mapped = await rejection(call({ url: `http://mapped-loopback.internal:${port}/json` }, {}, wildcard));
    expect(mapped.message).toContain('mapped-loopback.internal resolves to ::ffff:127.0.0.1, a loopback address');
    const other = options({ allow: ['http://*.internal:* via 10.0.0.0/8'] });
    const outside = await rejection(call({ url: `http://loopback.internal:${port}/json` }, {}, other));
    expect(outside.message).toContain('resolves to 127.0.0.1, a loopback address');
    expect(seen.length).toBe(before);

    const permitted = options({ allow: ['http://*.internal:* via 10.0.0.0/8,127.0.0.0/8'] });
    const result = await call({ url: `http://loopback.internal:${port}/json` }, {}, permitted);
    expect(result.output).toMatchObject({ status: 200 });
    expect(seen.at(-1)).toMatchObject({ url: '/json', host: `loopback.internal:${port}` });
  });

  it('resolves a name once and connects only to the address it vetted (no DNS rebinding)', async () => {
    let lookups = 0;
    const rebinding = options({
      allow: ['http://*.internal:* via 127.0.0.1'],
      lookup: () => {
        lookups += 1;
        // A rebinding resolver: a permitted answer first, the metadata address on every later lookup.
        const address = lookups === 1 ? '127.0.0.1' : '169.254.169.254';
        return Promise.resolve([{ address, family: 4 as const }]);
      },
    });
    const result = await call({ url: `http://rebind.internal:${port}/json` }, {}, rebinding);
    expect(result.output).toMatchObject({ status: 200 });
    expect(lookups).toBe(1);
  });

  it('stops reading the body at maxResponseBytes and does not parse a truncated body', async () => {
    const result = await call({ url: `${base}/big` }, {}, options({ maxResponseBytes: 1000 }));
    expect(result.output).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: 'a'.repeat(1000),
      truncated: true,
    });
  });

  it('times out a server that never answers', async () => {
    const started = Date.now();
    const error = await rejection(call({ url: `${base}/hang`, timeout: '1s' }));
    expect([error.code, error.message]).toEqual(['TIMEOUT', `GET ${base}/hang did not answer within 1s`]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops when the activity is cancelled', async () => {
    const controller = new AbortController();
    const { ctx } = testContext({ signal: controller.signal });
    const pending = httpRequestAction(options()).execute(HttpRequestInput.parse({ url: `${base}/hang` }), ctx);
    const reason = new Error('cancelled by test');
    setTimeout(() => controller.abort(reason), 100);
    expect(await rejection(pending)).toBe(reason);
  });

  it('sends a secret header as given, and redacts it from the output and logs', async () => {
    const result = await call(
      { url: `${base}/secret`, headers: { Authorization: `Bearer ${TOKEN}` } },
      { API_TOKEN: TOKEN },
    );
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.output).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-request-id': '[redacted]' },
      body: '{"received":"Bearer [redacted]","note":"token [redacted] accepted"}',
      truncated: false,
      json: { received: 'Bearer [redacted]', note: 'token [redacted] accepted' },
    });
    expect(JSON.stringify(result.lines)).not.toContain(TOKEN);
  });

  it('redacts a secret placed in the URL from error messages', async () => {
    const error = await rejection(call({ url: `${base}/missing/${TOKEN}` }, { API_TOKEN: TOKEN }));
    expect(error.message).toBe(`GET ${base}/missing/[redacted] answered 500: unexpected path`);
  });

  it('does not follow redirects', async () => {
    const before = seen.length;
    const error = await rejection(call({ url: `${base}/redirect` }));
    expect([error.code, error.message]).toEqual([
      'HTTP_REJECTED',
      `GET ${base}/redirect answered 302 (redirect to http://169.254.169.254/latest/meta-data/, not followed): `,
    ]);
    const result = await call({ url: `${base}/redirect`, expectStatus: [302] });
    expect(result.output).toMatchObject({
      status: 302,
      headers: { location: 'http://169.254.169.254/latest/meta-data/' },
    });
    expect(seen.slice(before).map((r) => r.url)).toEqual(['/redirect', '/redirect']);
  });

  it('refuses credentials in the URL and non-http schemes', async () => {
    const creds = await rejection(call({ url: `http://user:pw@127.0.0.1:${port}/json` }));
    expect([creds.code, creds.message]).toEqual([
      'NOT_ALLOWED',
      `http://127.0.0.1:${port}: credentials in the URL are not allowed; send them in a header`,
    ]);
    const file = await rejection(call({ url: 'file:///etc/passwd' }));
    expect(file.message).toBe('file:// URLs are not allowed; only http and https are');
  });

  it('refuses header values that cannot be sent, without quoting them', async () => {
    const broken = await rejection(
      call({ url: `${base}/json`, headers: { 'x-key': 'abc\r\nx-evil: 1' } }, { BROKEN: 'abc\r\nx-evil: 1' }),
    );
    expect([broken.code, broken.message]).toEqual([
      'INVALID_INPUT',
      'header x-key has a line break or NUL in its value',
    ]);
    const snowman = await rejection(call({ url: `${base}/json`, headers: { 'x-key': 'caf\u2603' } }));
    expect([snowman.code, snowman.message]).toEqual([
      'INVALID_INPUT',
      `GET ${base}/json cannot be sent: ERR_INVALID_CHAR`,
    ]);
  });

  it('reports a refused connection as TRANSIENT', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(call({ url: `http://127.0.0.1:${closedPort}/x` }));
    expect([error.code, error.message]).toEqual([
      'TRANSIENT',
      `GET http://127.0.0.1:${closedPort}/x failed: ECONNREFUSED`,
    ]);
  });

  it('validates input strictly', () => {
    const result = HttpRequestInput.safeParse({ url: 'x', method: 'GET', json: {}, headers: { Host: 'a' }, extra: 1 });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(paths).toEqual([
      'headers.Host: is set by Firebreak and cannot be given',
      ': Unrecognized key: "extra"',
      'json: a GET or HEAD request cannot have a json body',
    ]);
  });
});

describe('the Idempotency-Key header', () => {
  it('is sent by default, the same on every attempt of a step, and different for another step or incident', async () => {
    const before = seen.length;
    await call({ method: 'POST', url: `${base}/echo`, json: { a: 1 } });
    await call({ method: 'POST', url: `${base}/echo`, json: { a: 1 } });
    const [first, second] = seen.slice(before);
    // testContext is incident inc-1, step step-1: a retry of that step is the same call.
    expect(first?.idempotencyKey).toBe(idempotencyKey('inc-1', 'step-1'));
    expect(second?.idempotencyKey).toBe(first?.idempotencyKey);
    expect(first?.idempotencyKey).toMatch(/^firebreak-[0-9a-f]{40}$/);
    expect(idempotencyKey('inc-1', 'step-2')).not.toBe(first?.idempotencyKey);
    expect(idempotencyKey('inc-2', 'step-1')).not.toBe(first?.idempotencyKey);
    // The ids go in digested, not as they are, and no two pairs of ids run together into one.
    expect(first?.idempotencyKey).not.toContain('inc-1');
    expect(idempotencyKey('a\nb', 'c')).not.toBe(idempotencyKey('a', 'b\nc'));
  });

  it('is left out when the step turns it off, and the step may give its own', async () => {
    const before = seen.length;
    await call({ method: 'POST', url: `${base}/echo`, json: {}, idempotencyKey: false });
    await call({ method: 'POST', url: `${base}/echo`, json: {}, headers: { 'Idempotency-Key': 'mine-1' } });
    const [off, own] = seen.slice(before);
    expect(off?.idempotencyKey).toBeUndefined();
    expect(own?.idempotencyKey).toBe('mine-1');
  });
});
