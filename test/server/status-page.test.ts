/**
 * The public status routes over a filesystem blob store: the pages and feed the channel published, served
 * without a token with strict headers; 404 for unknown or malformed incident ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatusPageChannel } from '../../src/channels/statuspage.js';
import { buildApp } from '../../src/server/app.js';
import { createMemoryAuditLog } from '../../src/server/audit.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { sampleMessage } from '../adapters/channels/channel-conformance.js';
import { startTestEnv, testConfig, type TestEnv } from '../support/temporal.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-status-routes-'));
let env: TestEnv;
let app: FastifyInstance;
let publicId: string;
// An incident id of the shape Firebreak generates: the runbook id, the day and a random suffix.
const incidentId = 'ransomware-host-20250314-ab12cd34';

beforeAll(async () => {
  env = await startTestEnv();
  const store = await createFsStore({ dir: scratch });
  app = await buildApp({
    config: testConfig(env.address),
    runbooks: { get: () => undefined, list: () => [] },
    temporal: { client: env.client, namespace: 'default', taskQueue: env.taskQueue },
    incidents: env.incidents,
    audit: createMemoryAuditLog(),
    logger: pino({ level: 'silent' }),
    statusPage: { store },
  });
  const channel = createStatusPageChannel({ store, title: 'Example status', siteUrl: 'https://status.example.com' });
  const receipt = await channel.send(
    sampleMessage({
      incidentId,
      idempotencyKey: `${incidentId}:status:1:statuspage`,
      to: [],
      parts: { md: '## Investigating\n\n<b>not bold</b>' },
    }),
  );
  publicId = /^status\/incidents\/([0-9a-f]{32})\/index\.html$/.exec(receipt.accepted[0] ?? '')?.[1] ?? '';
  expect(publicId).not.toBe('');
});
afterAll(async () => {
  await app?.close();
  await env?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function expectPageHeaders(headers: Record<string, unknown>): void {
  expect(headers['cache-control']).toBe('no-cache');
  expect(headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
  expect(headers['x-content-type-options']).toBe('nosniff');
}

describe('status routes', () => {
  it('serves the index, the incident page and the feed without a token', async () => {
    const index = await app.inject({ method: 'GET', url: '/status' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain(`href="/status/incidents/${publicId}"`);
    expectPageHeaders(index.headers);

    const page = await app.inject({ method: 'GET', url: `/status/incidents/${publicId}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<h1>Investigating</h1>');
    expect(page.body).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    expectPageHeaders(page.headers);

    const feed = await app.inject({ method: 'GET', url: '/status/feed.json' });
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toBe('application/feed+json; charset=utf-8');
    expect(feed.json<{ items: unknown[] }>().items).toHaveLength(1);
    expectPageHeaders(feed.headers);
  });

  it('never shows the incident id, its runbook or the step: the public id and the approved title only', async () => {
    const served = await Promise.all(
      ['/status', `/status/incidents/${publicId}`, '/status/feed.json'].map((url) =>
        app.inject({ method: 'GET', url }),
      ),
    );
    for (const { body } of served) {
      for (const secret of [incidentId, 'ransomware', 'notify-customers']) expect(body).not.toContain(secret);
    }
    expect(served[1]?.body).toContain('<title>Example status: Investigating</title>');
    const feed = served[2]?.json<{ items: { title: string; url: string; _firebreak: unknown }[] }>();
    expect(feed?.items).toMatchObject([
      {
        title: 'Investigating',
        url: `https://status.example.com/incidents/${publicId}`,
        _firebreak: { incident: publicId },
      },
    ]);
    // The incident id is not an address of its page either.
    expect((await app.inject({ method: 'GET', url: `/status/incidents/${incidentId}` })).statusCode).toBe(404);
  });

  it('answers 404 for an unknown or malformed incident id', async () => {
    for (const url of ['/status/incidents/inc-unknown', '/status/incidents/..%2Fsecrets', '/status/incidents/%20x']) {
      const response = await app.inject({ method: 'GET', url });
      expect([url, response.statusCode]).toEqual([url, 404]);
      expect(response.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
      expectPageHeaders(response.headers);
    }
  });

  it('keeps the status routes out of the API document', async () => {
    const doc = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    // The public status page (/status, /status/...), not a route that merely ends in status.
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths.filter((p) => /^(\/api\/v1)?\/status(\/|$)/.test(p))).toEqual([]);
    expect(paths).toContain('/api/v1/postmortems/{id}/status');
  });
});
