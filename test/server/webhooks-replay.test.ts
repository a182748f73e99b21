/**
 * Replays of captured generic deliveries (issue 10, finding 3), through the API against the real dev
 * server: the v2 signature binds the delivery id, the content (timestamp and body) is taken once within its
 * window whatever the id, a replay opens no incident after responders cancelled the first one, v1
 * signatures only with the migration flag, and a restart within the window forgets nothing answered.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDeliveryV1 } from '../../src/alerts/signature.js';
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

interface Answer {
  deliveries: { incidentId: string | null; created: boolean; recorded: boolean }[];
}

function send(harness: WebhookHarness, body: string, headers: Record<string, string>) {
  return harness.app.inject({ method: 'POST', url: '/api/v1/webhooks/generic', headers, payload: body });
}

function alertBody(fingerprint: string): string {
  return JSON.stringify({ kind: 'host', host: `web-${runId}`, fingerprint, title: 'Ransom note found' });
}

/** The per-delivery audit entries of an alert (one per delivery taken). */
function deliveriesAudited(harness: WebhookHarness, fingerprint: string): number {
  return harness.audit.entries.filter((entry) => (entry as WebhookAuditEntry).delivery?.fingerprint === fingerprint)
    .length;
}

function v1Headers(secret: string, body: string, deliveryId: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-firebreak-timestamp': String(timestamp),
    'x-firebreak-signature': signDeliveryV1(secret, timestamp, body),
    'x-firebreak-delivery': deliveryId,
  };
}

async function cancel(incidentId: string): Promise<void> {
  await env.incidents.cancel(incidentId, { actor: alice, reason: 'false positive' });
  await env.incidents.handle(incidentId).result();
}

describe('replayed generic deliveries', () => {
  it('adds nothing for a captured delivery replayed under a new or the same id, before and after a cancel', async () => {
    const fingerprint = `captured-${randomUUID()}`;
    const body = alertBody(fingerprint);
    const headers = signedHeaders(hooks.secrets.current, body, { deliveryId: `cap-${randomUUID()}` });
    const first = await send(hooks, body, headers);
    expect(first.statusCode).toBe(200);
    const { incidentId } = first.json<Answer>().deliveries[0]!;
    const renamed = { ...headers, 'x-firebreak-delivery': `cap-${randomUUID()}` };

    // Under a new id the signature no longer matches: the id is signed.
    const underNewId = await send(hooks, body, renamed);
    expect(underNewId.statusCode).toBe(401);
    expect(underNewId.json()).toMatchObject({ error: { message: 'delivery refused: signature' } });
    // Under the same id it is the first delivery again: its answer, nothing recorded.
    expect((await send(hooks, body, headers)).json()).toEqual(first.json());
    const state = await env.incidents.state(incidentId!);
    expect(alertEvents(state)).toHaveLength(1);
    expect(state.alerts).toBe(1);

    await cancel(incidentId!);
    const timeline = (await env.incidents.state(incidentId!)).timeline;
    const afterCancel = await send(hooks, body, headers);
    expect(afterCancel.statusCode).toBe(200);
    expect(afterCancel.json()).toEqual(first.json());
    expect((await send(hooks, body, renamed)).statusCode).toBe(401);
    // No incident was opened for the key, and the cancelled one is as it was.
    expect(await env.incidents.openIncidentFor(fingerprint)).toBeNull();
    expect((await env.incidents.state(incidentId!)).timeline).toEqual(timeline);
    expect(deliveriesAudited(hooks, fingerprint)).toBe(1);
  });

  it('refuses a v1 signature by default, and takes it only with acceptV1Signatures, replays still refused', async () => {
    const fingerprint = `v1-${randomUUID()}`;
    const body = alertBody(fingerprint);
    const deliveryId = `v1-${randomUUID()}`;
    const refused = await send(hooks, body, v1Headers(hooks.secrets.current, body, deliveryId));
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: { message: 'delivery refused: signature version' } });
    expect(await env.incidents.openIncidentFor(fingerprint)).toBeNull();
    expect(deliveriesAudited(hooks, fingerprint)).toBe(0);

    const migrating = await buildWebhookHarness(env, { acceptV1Signatures: true });
    try {
      const headers = v1Headers(migrating.secrets.current, body, deliveryId);
      const first = await send(migrating, body, headers);
      expect(first.statusCode).toBe(200);
      const { incidentId } = first.json<Answer>().deliveries[0]!;
      // v1 leaves the id unsigned: a replay under a new id passes the signature, and is refused as a replay.
      const renamed = { ...headers, 'x-firebreak-delivery': `v1-${randomUUID()}` };
      const replay = await send(migrating, body, renamed);
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toMatchObject({ error: { status: 409, code: 'CONFLICT' } });
      expect(migrating.audit.entries.at(-1)).toMatchObject({ status: 409, outcome: 'refused' });
      expect((await env.incidents.state(incidentId!)).alerts).toBe(1);

      await cancel(incidentId!);
      expect((await send(migrating, body, renamed)).statusCode).toBe(409);
      expect((await send(migrating, body, headers)).json()).toEqual(first.json());
      expect(await env.incidents.openIncidentFor(fingerprint)).toBeNull();
      expect((await env.incidents.state(incidentId!)).alerts).toBe(1);
      expect(deliveriesAudited(migrating, fingerprint)).toBe(1);
    } finally {
      await migrating.close();
    }
  });

  it('still refuses a replay after an API restart within the window', async () => {
    const deliveriesFile = path.join(mkdtempSync(path.join(tmpdir(), 'firebreak-replay-')), 'webhook-deliveries.jsonl');
    const fingerprint = `restart-${randomUUID()}`;
    const body = alertBody(fingerprint);
    const before = await buildWebhookHarness(env, { deliveriesFile });
    const headers = signedHeaders(before.secrets.current, body, { deliveryId: `r-${randomUUID()}` });
    let first: unknown;
    try {
      const response = await send(before, body, headers);
      expect(response.statusCode).toBe(200);
      first = response.json();
      await cancel(response.json<Answer>().deliveries[0]!.incidentId!);
    } finally {
      await before.close();
    }
    // The harness makes new secrets: sign the same content with the restarted API's secret, same id.
    const after = await buildWebhookHarness(env, { deliveriesFile });
    try {
      const again = signedHeaders(after.secrets.current, body, {
        deliveryId: headers['x-firebreak-delivery'],
        timestamp: Number(headers['x-firebreak-timestamp']),
      });
      const replay = await send(after, body, again);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual(first);
      expect(await env.incidents.openIncidentFor(fingerprint)).toBeNull();
      expect(deliveriesAudited(after, fingerprint)).toBe(0);
    } finally {
      await after.close();
    }
  });
});
