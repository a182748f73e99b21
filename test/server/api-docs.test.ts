/**
 * The server's front door: `/` and `/api/v1` list where to go (HTML for a browser, JSON links otherwise)
 * and every link answers; `/api/v1/docs` renders the OpenAPI document with Swagger UI whose scripts and
 * styles all come from this server under a CSP that allows nothing else. No token is needed, and only
 * the listed asset files are served.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnv, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let env: TestEnv;
let api: ApiHarness;
beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env);
});
afterAll(async () => {
  await api?.app.close();
  await env?.close();
});

const get = (url: string, accept?: string): Promise<LightMyRequestResponse> =>
  api.app.inject({ method: 'GET', url, ...(accept === undefined ? {} : { headers: { accept } }) });

/** Every href and src in a page, in order. */
const references = (html: string): string[] => [...html.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1] ?? '');

/** A link answers: 200, or 503 for readiness (this harness's worker may not have polled yet). */
async function expectAnswers(url: string): Promise<void> {
  const response = await get(url);
  expect([url, url.endsWith('/readyz') ? [200, 503].includes(response.statusCode) : response.statusCode]).toEqual([
    url,
    url.endsWith('/readyz') ? true : 200,
  ]);
}

describe('the index', () => {
  it('serves an HTML page at / and /api/v1 to a browser, without a token, whose links all answer', async () => {
    for (const url of ['/', '/api/v1']) {
      const response = await get(url, BROWSER);
      expect([url, response.statusCode, response.headers['content-type']]).toEqual([
        url,
        200,
        'text/html; charset=utf-8',
      ]);
      expect(response.headers['content-security-policy']).toMatch(/default-src 'none'/);
      const links = references(response.body);
      expect(links).toEqual(['/api/v1/docs', '/api/v1/openapi.json', '/api/v1/healthz', '/api/v1/readyz']);
      for (const link of links) await expectAnswers(link);
    }
  });

  it('answers JSON links to curl and API clients', async () => {
    for (const accept of [undefined, '*/*', 'application/json']) {
      const response = await get('/api/v1', accept);
      expect([accept, response.statusCode, response.headers['content-type']]).toEqual([
        accept,
        200,
        'application/json; charset=utf-8',
      ]);
      expect(response.json()).toEqual({
        links: {
          reference: '/api/v1/docs',
          openapi: '/api/v1/openapi.json',
          health: '/api/v1/healthz',
          readiness: '/api/v1/readyz',
        },
      });
    }
  });

  it('leaves the audit log alone: reading the index and the reference is not a command', async () => {
    const before = api.audit.entries.length;
    await get('/', BROWSER);
    await get('/api/v1/docs');
    expect(api.audit.entries.length).toBe(before);
  });
});

describe('the API reference', () => {
  it('renders Swagger UI from files this server serves, under a CSP that allows only them', async () => {
    const page = await get('/api/v1/docs', BROWSER);
    expect([page.statusCode, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // Nothing from another origin, and no inline script a CSP with script-src 'self' would block anyway.
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.body).not.toMatch(/<script>/);

    const assets = references(page.body);
    expect(assets).toEqual([
      '/api/v1/docs/swagger-ui.css',
      '/api/v1/docs/favicon-32x32.png',
      '/api/v1/docs/swagger-ui-bundle.js',
      '/api/v1/docs/init.js',
    ]);
    const types: Record<string, string> = {
      css: 'text/css; charset=utf-8',
      png: 'image/png',
      js: 'text/javascript; charset=utf-8',
    };
    for (const asset of assets) {
      const response = await get(asset);
      expect([asset, response.statusCode, response.headers['content-type']]).toEqual([
        asset,
        200,
        types[asset.split('.').pop() ?? ''],
      ]);
      expect(response.rawPayload.length).toBeGreaterThan(0);
    }
    expect((await get('/api/v1/docs/swagger-ui-bundle.js')).body).toContain('SwaggerUIBundle');

    // The script points Swagger UI at this server's document, which answers without a token.
    const init = (await get('/api/v1/docs/init.js')).body;
    expect(init).toContain('url: "/api/v1/openapi.json"');
    expect(init).toContain('validatorUrl: null');
    const document = await get('/api/v1/openapi.json');
    expect([document.statusCode, document.json<{ openapi: string }>().openapi]).toEqual([200, '3.1.0']);
  });

  it('serves no other file from swagger-ui-dist or elsewhere', async () => {
    for (const url of [
      '/api/v1/docs/index.html',
      '/api/v1/docs/swagger-initializer.js',
      '/api/v1/docs/swagger-ui-bundle.js.map',
      '/api/v1/docs/package.json',
      '/api/v1/docs/..%2Fpackage.json',
      '/api/v1/docs/..%2F..%2F..%2Fpackage.json',
      '/api/v1/docs/constructor',
      '/api/v1/docs/__proto__',
    ]) {
      const response = await get(url);
      expect([url, response.statusCode, response.json<{ error: { code: string } }>().error.code]).toEqual([
        url,
        404,
        'NOT_FOUND',
      ]);
    }
  });

  it('is left out of the OpenAPI document, like the other pages', async () => {
    const paths = Object.keys((await get('/api/v1/openapi.json')).json<{ paths: object }>().paths);
    expect(paths.filter((p) => p === '/' || p === '/api/v1' || p.startsWith('/api/v1/docs'))).toEqual([]);
  });
});
