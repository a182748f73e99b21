/**
 * The Alertmanager receiver through the API against the real dev server: notifications exactly as
 * Alertmanager sends them open one incident per fingerprint, record every alert on its timeline,
 * record resolutions without closing, collapse redeliveries, and refuse what they must.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookAuditEntry } from '../../src/server/webhooks/deliveries.js';
import { amAlert, amNotification } from '../unit/alerts/alertmanager-payload.js';
import { alice, startTestEnv, type TestEnv } from '../support/temporal.js';
import { alertEvents, buildWebhookHarness, runId, type WebhookHarness } from './webhooks-harness.js';

let env: TestEnv;
let hooks: WebhookHarness;

const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  env = await startTestEnv();
  hooks = await buildWebhookHarness(env, { log: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
});
afterAll(async () => {
  await hooks?.close();
  await env?.close();
});

const fingerprint = () => randomBytes(8).toString('hex');

function send(payload: unknown, token: string | null = hooks.tokens.prom) {
  return hooks.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/alertmanager',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    payload: JSON.stringify(payload),
  });
}

interface Answer {
  matched: boolean;
  deliveries: {
    deliveryId: string;
    fingerprint: string;
    incidentId: string | null;
    created: boolean;
    recorded: boolean;
    refused?: { status: number; code: string; message: string };
  }[];
}

/** An alert as Alertmanager sends it, without the `instance` label the route's `host` param reads. */
function withoutInstance(alert: ReturnType<typeof amAlert>) {
  const { instance: _dropped, ...labels } = alert.labels;
  return { ...alert, labels };
}

describe('POST /api/v1/webhooks/alertmanager', () => {
  it('opens one incident per fingerprint, records firing and resolved alerts, and collapses redeliveries', async () => {
    const [a, b] = [fingerprint(), fingerprint()];
    const first = amNotification([
      amAlert({ fingerprint: a, instance: `web-1-${runId}:9100` }),
      amAlert({ fingerprint: b, instance: `web-2-${runId}:9100` }),
    ]);
    const opened = await send(first);
    expect(opened.statusCode).toBe(200);
    const answer = opened.json<Answer>();
    expect(answer.deliveries).toMatchObject([
      { fingerprint: a, created: true, recorded: true },
      { fingerprint: b, created: true, recorded: true },
    ]);
    const [incidentA, incidentB] = answer.deliveries.map((report) => report.incidentId as string);
    expect(incidentA).not.toBe(incidentB);

    // The next notification of the group: a resolved, b still firing (unchanged, so the same delivery).
    const second = amNotification([
      amAlert({ fingerprint: a, instance: `web-1-${runId}:9100`, status: 'resolved' }),
      amAlert({ fingerprint: b, instance: `web-2-${runId}:9100` }),
    ]);
    const next = await send(second);
    expect(next.statusCode).toBe(200);
    expect(next.json<Answer>().deliveries).toMatchObject([
      { fingerprint: a, incidentId: incidentA, created: false, recorded: true },
      { fingerprint: b, incidentId: incidentB, created: false, recorded: true },
    ]);
    // The first notification again (Alertmanager retries after a timeout): nothing new is recorded.
    expect((await send(first)).statusCode).toBe(200);

    const stateA = await env.incidents.state(incidentA!);
    expect(stateA.status).toBe('running');
    expect(stateA.params).toEqual({ host: `web-1-${runId}` });
    expect(stateA.triggeredBy).toBe('prom');
    expect(alertEvents(stateA).map((event) => [event.type, event.actor, event.source])).toEqual([
      ['alert.firing', 'prom', 'webhook'],
      ['alert.resolved', 'prom', 'webhook'],
    ]);
    expect(alertEvents(stateA)[1]?.data).toMatchObject({ fingerprint: a, endsAt: '2025-05-01T12:10:00.5Z' });
    const stateB = await env.incidents.state(incidentB!);
    expect(stateB.alerts).toBe(1);
    expect(alertEvents(stateB)).toHaveLength(1);
  });

  it('opens the next incident for a repeat after the incident closed, before and after an API restart', async () => {
    const repeat = amNotification([amAlert({ fingerprint: fingerprint(), instance: `repeat-${runId}:9100` })]);
    const close = async (incidentId: string) => {
      await env.incidents.cancel(incidentId, { actor: alice, reason: 'handled' });
      await env.incidents.handle(incidentId).result();
    };
    const first = (await send(repeat)).json<Answer>().deliveries[0]!;
    expect(first).toMatchObject({ created: true, recorded: true });
    await close(first.incidentId!);

    // Alertmanager's repeat_interval: the same notification, word for word.
    const again = await send(repeat);
    expect(again.statusCode).toBe(200);
    const second = again.json<Answer>().deliveries[0]!;
    expect(second).toMatchObject({ created: true, recorded: true });
    expect(second.incidentId).not.toBe(first.incidentId);
    expect(alertEvents(await env.incidents.state(second.incidentId!))).toHaveLength(1);
    expect(alertEvents(await env.incidents.state(first.incidentId!))).toHaveLength(1);

    // A restarted API (a new app over the same Temporal) gives the same answers: joins the open one...
    const restarted = await buildWebhookHarness(env);
    try {
      const through = (payload: unknown) =>
        restarted.app.inject({
          method: 'POST',
          url: '/api/v1/webhooks/alertmanager',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${restarted.tokens.prom}` },
          payload: JSON.stringify(payload),
        });
      const joined = (await through(repeat)).json<Answer>().deliveries[0]!;
      expect(joined).toMatchObject({ incidentId: second.incidentId, created: false, recorded: true });
      expect((await env.incidents.state(second.incidentId!)).alerts).toBe(1);
      // ...and, once that one closed too, opens the next.
      await close(second.incidentId!);
      const third = (await through(repeat)).json<Answer>().deliveries[0]!;
      expect(third).toMatchObject({ created: true, recorded: true });
      expect([first.incidentId, second.incidentId]).not.toContain(third.incidentId);
    } finally {
      await restarted.close();
    }
  });

  it('takes the rest of a group when one alert cannot be mapped, and resolutions need no params', async () => {
    const [a, bad] = [fingerprint(), fingerprint()];
    const opened = await send(amNotification([amAlert({ fingerprint: a, instance: `ok-${runId}:9100` })]));
    const incidentA = opened.json<Answer>().deliveries[0]!.incidentId!;

    // a resolves in the same notification as a new alert the route cannot map (no `instance` label).
    const group = amNotification([
      amAlert({ fingerprint: a, instance: `ok-${runId}:9100`, status: 'resolved' }),
      withoutInstance(amAlert({ fingerprint: bad, instance: 'unused' })),
    ]);
    const auditedBefore = hooks.audit.entries.length;
    const response = await send(group);
    expect(response.statusCode).toBe(200);
    const [resolvedReport, badReport] = response.json<Answer>().deliveries;
    expect(resolvedReport).toMatchObject({ fingerprint: a, incidentId: incidentA, recorded: true });
    expect(resolvedReport).not.toHaveProperty('refused');
    expect(badReport).toMatchObject({
      fingerprint: bad,
      incidentId: null,
      recorded: false,
      refused: { status: 422, code: 'INVALID_INPUT', message: expect.stringContaining('routes[0]') as unknown },
    });
    expect(badReport!.refused!.message).toContain('instance');
    // The refusal is visible: in the audit log and in a log line.
    const audited = hooks.audit.entries.slice(auditedBefore) as WebhookAuditEntry[];
    expect(audited.find((entry) => entry.delivery?.fingerprint === bad)).toMatchObject({
      status: 422,
      outcome: 'refused',
      code: 'INVALID_INPUT',
      delivery: { matched: true, recorded: false, note: badReport!.refused!.message },
    });
    expect(logLines.find((line) => line.fingerprint === bad)).toMatchObject({
      level: 40,
      deliveryId: badReport!.deliveryId,
      status: 422,
      msg: `alert refused: ${badReport!.refused!.message}`,
    });
    // Nothing was opened for it; the resolution is on a's timeline.
    expect(await env.incidents.openIncidentFor(bad)).toBeNull();
    const stateA = await env.incidents.state(incidentA);
    expect(alertEvents(stateA).map((event) => event.type)).toEqual(['alert.firing', 'alert.resolved']);

    // Later, the unmappable alert resolves too: taken (no incident is open for it), not refused.
    const later = await send(
      amNotification([withoutInstance(amAlert({ fingerprint: bad, instance: 'unused', status: 'resolved' }))]),
    );
    expect(later.statusCode).toBe(202);
    expect(later.json<Answer>().deliveries[0]).toMatchObject({ fingerprint: bad, recorded: false });
    // A notification of only that firing alert is refused: nothing in it could be taken.
    const alone = await send(amNotification([withoutInstance(amAlert({ fingerprint: bad, instance: 'unused' }))]));
    expect(alone.statusCode).toBe(422);
    expect(await env.incidents.openIncidentFor(bad)).toBeNull();
  });

  it('keys one incident per Alertmanager group with dedupKey alert.groupKey', async () => {
    const group = (key: string, ...fingerprints: string[]) => ({
      ...amNotification(
        fingerprints.map((fp) => amAlert({ fingerprint: fp, instance: `${fp}:9100`, severity: 'page' })),
      ),
      groupLabels: { alertname: 'GroupedEgress' },
      groupKey: `{}/{severity="page"}:{alertname="GroupedEgress",run="${key}"}`,
    });
    const [key1, key2] = [`${runId}-${fingerprint()}`, `${runId}-${fingerprint()}`];
    const first = (await send(group(key1, fingerprint(), fingerprint()))).json<Answer>().deliveries;
    expect(first.map((report) => report.recorded)).toEqual([true, true]);
    const incidentId = first[0]!.incidentId!;
    expect(first[1]!.incidentId).toBe(incidentId);
    expect(first.filter((report) => report.created)).toHaveLength(1);
    // A later alert of the same group joins it; another group opens its own.
    const later = (await send(group(key1, fingerprint()))).json<Answer>().deliveries[0]!;
    expect(later).toMatchObject({ incidentId, created: false, recorded: true });
    const other = (await send(group(key2, fingerprint()))).json<Answer>().deliveries[0]!;
    expect(other).toMatchObject({ created: true, recorded: true });
    expect(other.incidentId).not.toBe(incidentId);
    const state = await env.incidents.state(incidentId);
    expect(state.alerts).toBe(3);
    expect(state.params).toEqual({ host: 'group-GroupedEgress' });
  });

  it('keeps the labels routes read when an alert has more than 32, and marks the truncation', async () => {
    const fp = fingerprint();
    const alert = amAlert({ fingerprint: fp, instance: `many-${runId}:9100` });
    // Alertmanager sends labels sorted by name: a00..a39 come before instance and severity.
    const extra = Array.from({ length: 40 }, (_, i) => [`a${String(i).padStart(2, '0')}`, 'x'] as const);
    const labels = Object.fromEntries(
      [...extra, ...Object.entries(alert.labels)].sort(([a], [b]) => a.localeCompare(b)),
    );
    const response = await send(amNotification([{ ...alert, labels }]));
    expect(response.statusCode).toBe(200);
    const { incidentId } = response.json<Answer>().deliveries[0]!;
    const [event] = alertEvents(await env.incidents.state(incidentId!));
    const data = event?.data as { labels: Record<string, string>; truncated?: boolean; labelsDropped?: number };
    expect(Object.keys(data.labels)).toHaveLength(32);
    expect(data.labels).toMatchObject({ instance: `many-${runId}:9100`, severity: 'critical' });
    expect(data).toMatchObject({ truncated: true, labelsDropped: 44 - 32 });
    // An alert within the limits is not marked.
    const plain = (
      await send(amNotification([amAlert({ fingerprint: fingerprint(), instance: 'few:1' })]))
    ).json<Answer>();
    const [few] = alertEvents(await env.incidents.state(plain.deliveries[0]!.incidentId!));
    expect(few?.data).not.toHaveProperty('truncated');
    expect(few?.data).not.toHaveProperty('labelsDropped');
  });

  it('audits a resolved alert with no open incident, and answers 202', async () => {
    const response = await send(
      amNotification([amAlert({ fingerprint: fingerprint(), instance: 'gone:9100', status: 'resolved' })]),
    );
    expect(response.statusCode).toBe(202);
    const [report] = response.json<Answer>().deliveries;
    expect(report).toMatchObject({ incidentId: null, recorded: false });
    const entry = hooks.audit.entries.find(
      (item) => (item as WebhookAuditEntry).delivery?.deliveryId === report?.deliveryId,
    ) as WebhookAuditEntry | undefined;
    expect(entry).toMatchObject({
      user: 'prom',
      source: 'webhook',
      status: 202,
      delivery: { note: 'no open incident' },
    });
  });

  it('answers 202 with matched false for an alert no route takes, and audits it', async () => {
    const response = await send(
      amNotification([amAlert({ fingerprint: fingerprint(), instance: 'x:1', severity: 'info' })]),
    );
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ matched: false, deliveries: [{ matched: false, recorded: false }] });
    const last = hooks.audit.entries.at(-2) as WebhookAuditEntry;
    expect(last).toMatchObject({ source: 'webhook', delivery: { matched: false, receiver: 'alertmanager' } });
    expect(hooks.audit.entries.at(-1)).toMatchObject({
      source: 'webhook',
      status: 202,
      path: '/api/v1/webhooks/alertmanager',
    });
  });

  it('needs a bearer token of a user allowed to trigger the runbook', async () => {
    const payload = amNotification([amAlert({ fingerprint: fingerprint(), instance: 'y:1' })]);
    expect((await send(payload, null)).statusCode).toBe(401);
    expect((await send(payload, 'not-a-token')).statusCode).toBe(401);
    const refused = await send(payload, hooks.tokens.viewer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { status: 403, code: 'FORBIDDEN' } });
  });

  it('validates the payload and caps its size', async () => {
    const invalid = await send({ ...amNotification([amAlert({ fingerprint: 'f', instance: 'z' })]), version: '3' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: { code: 'INVALID_INPUT', issues: [{ path: 'version' }] } });
    const many = Array.from({ length: 400 }, (_, i) => amAlert({ fingerprint: `f${i}`, instance: `host-${i}` }));
    const oversize = await send(amNotification(many));
    expect(oversize.statusCode).toBe(413);
    expect(oversize.json()).toMatchObject({
      error: { status: 413, message: expect.stringContaining('65536') as unknown },
    });
  });
});
