/**
 * The generic receiver through the API against the real dev server: HMAC over the raw body, the clock
 * window, rotation, replayed deliveries recorded once, a storm of one alert opening one incident, and
 * the refusals (missing headers, oversize, unmatched, unparseable).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDelivery } from '../../src/alerts/signature.js';
import type { WebhookAuditEntry } from '../../src/server/webhooks/deliveries.js';
import { alice, startTestEnv, type TestEnv } from '../support/temporal.js';
import { alertEvents, buildWebhookHarness, runId, signedHeaders, type WebhookHarness } from './webhooks-harness.js';

let env: TestEnv;
let hooks: WebhookHarness;

beforeAll(async () => {
  env = await startTestEnv();
  hooks = await buildWebhookHarness(env);
});
afterAll(async () => {
  await hooks?.close();
  await env?.close();
});

function send(body: string, headers: Record<string, string>) {
  return hooks.app.inject({ method: 'POST', url: '/api/v1/webhooks/generic', headers, payload: body });
}

function alertBody(fingerprint: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ kind: 'host', host: `db-${runId}`, fingerprint, title: 'Ransom note found', ...extra });
}

interface Answer {
  matched: boolean;
  deliveries: { deliveryId: string; incidentId: string | null; created: boolean; recorded: boolean }[];
}

describe('POST /api/v1/webhooks/generic', () => {
  it('records a storm of 20 concurrent deliveries of one alert on one incident', async () => {
    const fingerprint = `storm-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, event) => {
        // Each delivery is its own event; the same body and timestamp twice would be a replay.
        const body = alertBody(fingerprint, { event });
        return send(body, signedHeaders(hooks.secrets.current, body));
      }),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(200));
    const reports = responses.map((response) => response.json<Answer>().deliveries[0]!);
    const incidents = new Set(reports.map((report) => report.incidentId));
    expect(incidents.size).toBe(1);
    expect(reports.filter((report) => report.created)).toHaveLength(1);
    expect(reports.every((report) => report.recorded)).toBe(true);
    const state = await env.incidents.state([...incidents][0]!);
    expect(state.alerts).toBe(20);
    expect(alertEvents(state)).toHaveLength(20);
    expect(alertEvents(state)[0]).toMatchObject({ actor: 'webhook:generic', source: 'webhook', type: 'alert.firing' });
    expect(await env.incidents.openIncidentFor(fingerprint)).toBe(state.incidentId);
  });

  it('meets in one incident when two API processes take a storm of the same alert', async () => {
    const second = await buildWebhookHarness(env);
    try {
      const fingerprint = `two-${randomUUID()}`;
      const through = (harness: WebhookHarness, event: number) => {
        const body = alertBody(fingerprint, { event });
        return harness.app.inject({
          method: 'POST',
          url: '/api/v1/webhooks/generic',
          headers: signedHeaders(harness.secrets.current, body),
          payload: body,
        });
      };
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => through(i % 2 === 0 ? hooks : second, i)),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(200));
      const ids = new Set(responses.map((response) => response.json<Answer>().deliveries[0]!.incidentId));
      expect(ids.size).toBe(1);
      expect((await env.incidents.state([...ids][0]!)).alerts).toBe(20);
    } finally {
      await second.close();
    }
  });

  it('opens a new incident once the one holding the key has closed', async () => {
    const body = alertBody(`reopen-${randomUUID()}`);
    const first = (await send(body, signedHeaders(hooks.secrets.current, body))).json<Answer>().deliveries[0]!;
    await env.incidents.cancel(first.incidentId!, { actor: alice, reason: 'false positive' });
    await env.incidents.handle(first.incidentId!).result();
    // The alert fires again: a new delivery, with its own timestamp.
    const later = Math.floor(Date.now() / 1000) + 1;
    const again = await send(body, signedHeaders(hooks.secrets.current, body, { timestamp: later }));
    expect(again.statusCode).toBe(200);
    const report = again.json<Answer>().deliveries[0]!;
    expect(report).toMatchObject({ created: true, recorded: true });
    expect(report.incidentId).not.toBe(first.incidentId);
    expect((await env.incidents.state(report.incidentId!)).alerts).toBe(1);
  });

  it('records a redelivery once, and accepts the rotated (previous) secret', async () => {
    const body = alertBody(`replay-${randomUUID()}`);
    const headers = signedHeaders(hooks.secrets.current, body, { deliveryId: `d-${randomUUID()}` });
    const first = await send(body, headers);
    expect(first.statusCode).toBe(200);
    const { incidentId } = first.json<Answer>().deliveries[0]!;
    // The sender's retry of the same delivery gets the first answer.
    const replay = await send(body, headers);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(first.json());
    // The same delivery re-signed with the previous secret and a new timestamp is still the same delivery.
    const resigned = signedHeaders(hooks.secrets.previous, body, {
      deliveryId: headers['x-firebreak-delivery'],
      timestamp: Math.floor(Date.now() / 1000) + 5,
    });
    const again = await send(body, resigned);
    expect(again.statusCode).toBe(200);
    expect(again.json<Answer>().deliveries[0]).toMatchObject({ incidentId, created: false, recorded: true });
    const other = await send(
      body,
      signedHeaders(hooks.secrets.previous, body, { timestamp: Math.floor(Date.now() / 1000) + 6 }),
    );
    expect(other.statusCode).toBe(200);
    expect((await env.incidents.state(incidentId!)).alerts).toBe(2);
  });

  it('takes a list as several alerts, with a resolution recorded without closing', async () => {
    const fingerprint = `list-${randomUUID()}`;
    const body = JSON.stringify([
      { kind: 'host', host: 'h1', fingerprint, status: 'firing' },
      { kind: 'host', host: 'h1', fingerprint, status: 'resolved', summary: 'Back to normal' },
    ]);
    const response = await send(body, signedHeaders(hooks.secrets.current, body, { deliveryId: 'list-1' }));
    expect(response.statusCode).toBe(200);
    const reports = response.json<Answer>().deliveries;
    expect(reports.map((report) => report.deliveryId)).toEqual(['list-1#0', 'list-1#1']);
    const state = await env.incidents.state(reports[0]!.incidentId!);
    expect(state.status).toBe('running');
    expect(
      alertEvents(state)
        .map((event) => event.type)
        .sort(),
    ).toEqual(['alert.firing', 'alert.resolved']);
  });

  it('refuses forged, stale and incomplete deliveries with a coarse reason', async () => {
    const body = alertBody('never');
    const forged = await send(body, signedHeaders('not-the-secret', body));
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toEqual({
      error: { status: 401, code: 'UNAUTHENTICATED', message: 'delivery refused: signature' },
    });
    const stale = signedHeaders(hooks.secrets.current, body, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect((await send(body, stale)).json()).toMatchObject({ error: { message: 'delivery refused: timestamp' } });
    const tampered = signedHeaders(hooks.secrets.current, body);
    expect((await send(alertBody('other'), tampered)).json()).toMatchObject({
      error: { message: 'delivery refused: signature' },
    });
    for (const name of ['x-firebreak-timestamp', 'x-firebreak-signature', 'x-firebreak-delivery']) {
      const headers = signedHeaders(hooks.secrets.current, body);
      delete headers[name];
      const response = await send(body, headers);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: { message: 'delivery refused: missing header' } });
    }
    // A bearer token is no substitute for the signature.
    const bearer = await send(body, {
      'content-type': 'application/json',
      authorization: `Bearer ${hooks.tokens.prom}`,
    });
    expect(bearer.statusCode).toBe(401);
    expect(JSON.stringify(hooks.audit.entries)).not.toContain(hooks.secrets.current);
  });

  it('refuses an oversize body before anything else, and unparseable JSON after the signature', async () => {
    const big = JSON.stringify({ kind: 'host', host: 'h', fingerprint: 'big', pad: 'x'.repeat(70_000) });
    const oversize = await send(big, signedHeaders(hooks.secrets.current, big));
    expect(oversize.statusCode).toBe(413);
    expect(oversize.json()).toMatchObject({ error: { status: 413, code: 'PAYLOAD_TOO_LARGE' } });
    const broken = '{"kind": "host",';
    const unparsable = await send(broken, signedHeaders(hooks.secrets.current, broken));
    expect(unparsable.statusCode).toBe(400);
    expect(unparsable.json()).toMatchObject({ error: { message: 'the request body is not valid JSON' } });
  });

  it('answers 202 matched false for an unmatched alert, and 422 when a route cannot make a trigger', async () => {
    const unmatched = JSON.stringify({ kind: 'disk', fingerprint: 'u' });
    const response = await send(unmatched, signedHeaders(hooks.secrets.current, unmatched, { deliveryId: 'u-1' }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ matched: false, deliveries: [{ deliveryId: 'u-1', matched: false }] });
    const audited = hooks.audit.entries.find((entry) => (entry as WebhookAuditEntry).delivery?.deliveryId === 'u-1');
    expect(audited).toMatchObject({ user: 'webhook:generic', source: 'webhook', status: 202, outcome: 'ok' });

    const noKey = JSON.stringify({ kind: 'host', host: 'h' });
    const invalid = await send(noKey, signedHeaders(hooks.secrets.current, noKey));
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json()).toMatchObject({
      error: { message: 'routes[1]: the alert has no `fingerprint` field and the route sets no `dedupKey`' },
    });
    const noHost = JSON.stringify({ kind: 'host', fingerprint: 'nh' });
    const failing = await send(noHost, signedHeaders(hooks.secrets.current, noHost));
    expect(failing.statusCode).toBe(422);
    expect(failing.json()).toMatchObject({ error: { message: expect.stringContaining('alert.host') as unknown } });
  });

  it('refuses with 422 an alert whose match goes over the evaluation budget, and opens no incident', async () => {
    const fingerprint = `fanout-${randomUUID()}`;
    const heavy = JSON.stringify({
      kind: 'fanout',
      fingerprint,
      items: Array.from({ length: 3000 }, (_, i) => `i${i}`),
    });
    const refused = await send(heavy, signedHeaders(hooks.secrets.current, heavy, { deliveryId: `${fingerprint}-1` }));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      error: { message: expect.stringMatching(/^routes\[2\]\.match: `alert.*`: over budget: /) as unknown },
    });
    const audited = hooks.audit.entries.find(
      (entry) => (entry as WebhookAuditEntry).delivery?.deliveryId === `${fingerprint}-1`,
    ) as WebhookAuditEntry | undefined;
    expect(audited).toMatchObject({ status: 422, outcome: 'refused', delivery: { recorded: false, incidentId: null } });
    expect(audited?.delivery.note).toMatch(/over budget/);
    // Not passed on to the broader route 3: no incident holds the alert's key.
    expect(await env.incidents.openIncidentFor(fingerprint)).toBeNull();

    // The same alert with a short list is decided (route 2 is false) and taken by route 3.
    const light = JSON.stringify({ kind: 'fanout', fingerprint, items: ['a', 'b'] });
    const taken = await send(light, signedHeaders(hooks.secrets.current, light));
    expect(taken.statusCode).toBe(200);
    const incidentId = await env.incidents.openIncidentFor(fingerprint);
    expect(incidentId).not.toBeNull();
    expect((await env.incidents.state(incidentId!)).params).toMatchObject({ host: 'fanout-broad' });
  });

  it('verifies the exact bytes: the same JSON with other whitespace is a different body', async () => {
    const body = alertBody(`bytes-${randomUUID()}`);
    const headers = signedHeaders(hooks.secrets.current, body);
    const spaced = body.replace(':', ': ');
    expect((await send(spaced, headers)).statusCode).toBe(401);
    expect(headers['x-firebreak-signature']).toBe(
      signDelivery(hooks.secrets.current, headers['x-firebreak-timestamp']!, headers['x-firebreak-delivery']!, body),
    );
  });

  it('limits an address that keeps failing the signature, and still takes its correctly signed deliveries', async () => {
    const limited = await buildWebhookHarness(env, { maxFailures: 3 });
    try {
      const body = alertBody(`fp-limit-${runId}`);
      const post = (headers: Record<string, string>) =>
        limited.app.inject({ method: 'POST', url: '/api/v1/webhooks/generic', headers, payload: body });
      for (let i = 0; i < 3; i++) expect((await post(signedHeaders('guess', body))).statusCode).toBe(401);
      const blocked = await post(signedHeaders('guess', body));
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toMatchObject({ error: { status: 429, code: 'RATE_LIMITED' } });
      expect((await post(signedHeaders(limited.secrets.current, body))).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
