/** Alert payloads normalized for routing, and routes: first match wins, CEL computes the trigger. */
import { describe, expect, it } from 'vitest';
import {
  alertmanagerAlerts,
  alertmanagerDeliveryId,
  AlertmanagerPayloadSchema,
} from '../../../src/alerts/alertmanager.js';
import { checkAlertExpression } from '../../../src/alerts/expressions.js';
import { genericAlerts } from '../../../src/alerts/generic.js';
import { clipLabels, type IncomingAlert } from '../../../src/alerts/incoming.js';
import { createAlertRouter, type AlertRouteSpec } from '../../../src/alerts/routing.js';
import { amAlert, amNotification } from './alertmanager-payload.js';

const notification = amNotification([
  amAlert({ fingerprint: 'aaaa1111bbbb2222', instance: 'web-1:9100' }),
  amAlert({ fingerprint: 'cccc3333dddd4444', instance: 'db-1:9100', severity: 'warning', status: 'resolved' }),
]);

function amAlertsOf(payload: unknown): IncomingAlert[] {
  return alertmanagerAlerts(AlertmanagerPayloadSchema.parse(payload));
}

function generic(body: unknown, id = 'd-1'): IncomingAlert[] {
  const result = genericAlerts(body as never, id);
  if (!result.ok) throw new Error(result.message);
  return result.alerts;
}

describe('Alertmanager notifications', () => {
  it('splits alerts, keeps the zero endsAt out, and exposes the alert, receiver and group to CEL', () => {
    const [firing, resolved] = amAlertsOf(notification);
    expect(firing).toMatchObject({
      receiver: 'alertmanager',
      status: 'firing',
      fingerprint: 'aaaa1111bbbb2222',
      summary: 'Unexpected outbound traffic from web-1:9100',
      labels: { alertname: 'SuspiciousEgress', instance: 'web-1:9100', job: 'node', severity: 'critical' },
      startsAt: '2025-05-01T11:58:30.123456789Z',
    });
    expect(firing?.endsAt).toBeUndefined();
    expect(resolved).toMatchObject({ status: 'resolved', endsAt: '2025-05-01T12:10:00.5Z' });
    expect(firing?.context).toMatchObject({
      fingerprint: 'aaaa1111bbbb2222',
      labels: { instance: 'web-1:9100' },
      receiver: 'firebreak',
      group: { alertname: 'SuspiciousEgress', job: 'node', severity: 'critical' },
      groupKey: '{}/{severity="critical"}:{alertname="SuspiciousEgress"}',
      groupLabels: { alertname: 'SuspiciousEgress' },
    });
  });

  it('routes by groupKey and groupLabels: one dedup key for every alert of an Alertmanager group', () => {
    const perGroup = createAlertRouter([
      {
        receiver: 'alertmanager',
        match: 'alert.groupLabels.?alertname.orValue("") == "SuspiciousEgress"',
        runbook: 'egress',
        dedupKey: 'alert.groupKey',
      },
    ]);
    const [firing, resolved] = amAlertsOf(notification);
    const key = '{}/{severity="critical"}:{alertname="SuspiciousEgress"}';
    expect(perGroup.route(firing!)).toMatchObject({ kind: 'routed', dedupKey: key });
    expect(perGroup.route(resolved!)).toMatchObject({ kind: 'routed', dedupKey: key });
  });

  it('derives stable delivery ids: repeats collapse, a resolution or a new firing is new', () => {
    const alert = AlertmanagerPayloadSchema.parse(notification).alerts[0]!;
    const id = alertmanagerDeliveryId('g', alert);
    expect(id).toMatch(/^am-[0-9a-f]{40}$/);
    expect(alertmanagerDeliveryId('g', { ...alert })).toBe(id);
    expect(alertmanagerDeliveryId('g', { ...alert, status: 'resolved' })).not.toBe(id);
    expect(alertmanagerDeliveryId('g', { ...alert, startsAt: '2025-05-02T00:00:00Z' })).not.toBe(id);
    expect(alertmanagerDeliveryId('other', alert)).not.toBe(id);
  });

  it('accepts null label maps (Go nil maps) and unknown fields; refuses another version', () => {
    const payload = { ...notification, groupLabels: null, newField: 1 };
    expect(AlertmanagerPayloadSchema.safeParse(payload).success).toBe(true);
    expect(AlertmanagerPayloadSchema.safeParse({ ...notification, version: '3' }).success).toBe(false);
    expect(AlertmanagerPayloadSchema.safeParse({ ...notification, alerts: [] }).success).toBe(false);
  });
});

describe('generic bodies', () => {
  it('takes one object as one alert, with conventional fields', () => {
    expect(
      generic({ fingerprint: 'f1', status: 'RESOLVED', title: 'Disk', labels: { host: 'a', n: 3, x: {} } }),
    ).toEqual([
      {
        receiver: 'generic',
        deliveryId: 'd-1',
        status: 'resolved',
        fingerprint: 'f1',
        summary: 'Disk',
        labels: { host: 'a', n: '3' },
        context: { fingerprint: 'f1', status: 'RESOLVED', title: 'Disk', labels: { host: 'a', n: 3, x: {} } },
      },
    ]);
  });

  it('takes a list as several alerts with indexed delivery ids, and refuses an empty list', () => {
    expect(generic([{ a: 1 }, 'text']).map((alert) => [alert.deliveryId, alert.status, alert.context])).toEqual([
      ['d-1#0', 'firing', { a: 1 }],
      ['d-1#1', 'firing', 'text'],
    ]);
    expect(genericAlerts([], 'd')).toMatchObject({ ok: false });
  });
});

describe('clipLabels', () => {
  it('keeps the first 32 labels, drops long names, cuts long values, and counts what it dropped', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`l${i}`, 'v']));
    expect(Object.keys(clipLabels(many).labels)).toHaveLength(32);
    expect(clipLabels(many).dropped).toBe(8);
    const clipped = clipLabels({ ['n'.repeat(101)]: 'x', long: 'y'.repeat(600), ok: 'z' });
    expect(clipped).toEqual({ labels: { long: `${'y'.repeat(497)}...`, ok: 'z' }, dropped: 1 });
  });

  it('keeps the labels the routes read before the others, in the alert order', () => {
    // Alertmanager sends labels sorted by name: a00..a39 come before instance and severity.
    const names = [...Array.from({ length: 40 }, (_, i) => `a${String(i).padStart(2, '0')}`), 'instance', 'severity'];
    const labels = Object.fromEntries(names.map((name) => [name, 'v']));
    const { labels: kept, dropped } = clipLabels(labels, new Set(['severity', 'instance', 'absent']));
    expect(Object.keys(kept)).toEqual([...names.slice(0, 30), 'instance', 'severity']);
    expect(dropped).toBe(10);
  });

  it('finds the label names route expressions read', () => {
    const router = createAlertRouter([
      {
        receiver: 'alertmanager',
        match: 'alert.labels.severity == "critical" && has(alert.labels.team) && "zone" in alert.labels',
        runbook: 'r',
        params: { host: 'alert.labels["instance"].split(":")[0]', env: 'alert.?labels.?env.orValue("prod")' },
        dedupKey: 'alert.labels.cluster + alert.annotations.summary + alert.group.job',
        severity: 'alert.?labels[?"sev-level"].orValue("sev2")',
      },
    ]);
    expect([...router.labelsRead].sort()).toEqual(
      ['cluster', 'env', 'instance', 'severity', 'sev-level', 'team', 'zone'].sort(),
    );
  });
});

describe('alert routes', () => {
  const routes: AlertRouteSpec[] = [
    { receiver: 'generic', runbook: 'generic-one' },
    {
      receiver: 'alertmanager',
      match: 'alert.labels.severity == "critical" && alert.status == "firing"',
      runbook: 'host-compromise',
      params: { host: 'alert.labels.instance.split(":")[0]', group: 'alert.group.job' },
      severity: 'sev1',
    },
    {
      receiver: 'alertmanager',
      match: 'alert.labels.team == "db"',
      runbook: 'db',
      dedupKey: '"db:" + alert.labels.instance',
      severity: 'alert.labels.severity == "critical" ? "sev2" : "sev4"',
    },
    { receiver: 'alertmanager', runbook: 'fallback', severity: 'alert.labels.severity' },
  ];
  const router = createAlertRouter(routes);

  it('routes by receiver and the first matching route, computing params and the default dedup key', () => {
    const [firing] = amAlertsOf(notification);
    expect(router.route(firing!)).toEqual({
      kind: 'routed',
      route: 1,
      runbook: 'host-compromise',
      params: { host: 'web-1', group: 'node' },
      dedupKey: 'aaaa1111bbbb2222',
      severity: 'sev1',
    });
  });

  it('treats a match that cannot be evaluated (missing label) as no match, and notes it', () => {
    const [warning] = amAlertsOf(
      amNotification([amAlert({ fingerprint: 'ee', instance: 'db-1', severity: 'warning' })]),
    );
    // Route 1 does not match (warning), route 2 fails (no team label), route 3 gives `warning`: invalid.
    expect(router.route(warning!)).toEqual({
      kind: 'invalid',
      route: 3,
      runbook: 'fallback',
      message: 'routes[3]: `severity` must give one of sev1, sev2, sev3, sev4, got "warning"',
    });
  });

  it('routes a resolved alert by its dedup key alone: no params or severity are computed for it', () => {
    const [, resolved] = amAlertsOf(notification);
    // Route 3's severity would give `warning` (invalid) for a firing alert; a resolved one needs none.
    expect(router.route(resolved!)).toEqual({
      kind: 'routed',
      route: 3,
      runbook: 'fallback',
      params: {},
      dedupKey: 'cccc3333dddd4444',
    });
    const strict = createAlertRouter([
      { receiver: 'alertmanager', runbook: 'host', params: { host: 'alert.labels.missing' }, severity: 'sev1' },
    ]);
    expect(strict.route(resolved!)).toMatchObject({ kind: 'routed', params: {}, dedupKey: 'cccc3333dddd4444' });
  });

  it('uses dedupKey and a computed severity', () => {
    const alert = amAlertsOf(
      amNotification([amAlert({ fingerprint: 'ff', instance: 'db-2', labels: { team: 'db' } })]),
    )[0]!;
    expect(createAlertRouter(routes.slice(2)).route(alert)).toMatchObject({ dedupKey: 'db:db-2', severity: 'sev2' });
  });

  it('answers unmatched with the failed matches noted', () => {
    const only = createAlertRouter([{ receiver: 'alertmanager', match: 'alert.labels.team == "db"', runbook: 'db' }]);
    const [firing] = amAlertsOf(notification);
    expect(only.route(firing!)).toEqual({
      kind: 'unmatched',
      notes: ['routes[0].match: `alert.labels.team == "db"`: No such key: team'],
    });
  });

  it('requires a dedup key for generic alerts without a fingerprint', () => {
    expect(router.route(generic({ fingerprint: 'g-1' })[0]!)).toMatchObject({ kind: 'routed', dedupKey: 'g-1' });
    expect(router.route(generic({ title: 'x' })[0]!)).toMatchObject({
      kind: 'invalid',
      message: 'routes[0]: the alert has no `fingerprint` field and the route sets no `dedupKey`',
    });
  });

  it('reports an expression failing at delivery time as invalid, naming it', () => {
    const failing = createAlertRouter([{ receiver: 'generic', runbook: 'x', params: { n: 'alert.count + 1' } }]);
    expect(failing.route(generic({ fingerprint: 'f', count: 2 })[0]!)).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('`alert.count + 1`') as unknown,
    });
  });
});

describe('alert expression cost (issue 10, finding 4)', () => {
  const items = Array.from({ length: 2000 }, (_, i) => `i${i}`);
  const fanout = 'alert.items.exists(a, alert.items.exists(b, a + b == "none"))';

  it('refuses a match over budget as invalid instead of passing the alert to a later route', () => {
    const router = createAlertRouter([
      { receiver: 'generic', match: fanout, runbook: 'precise' },
      { receiver: 'generic', runbook: 'broad' },
    ]);
    expect(router.route(generic({ fingerprint: 'f', items })[0]!)).toEqual({
      kind: 'invalid',
      route: 0,
      runbook: 'precise',
      message: expect.stringMatching(
        /^routes\[0\]\.match: `alert\.items.*`: over budget: evaluating takes more than 1000000 steps/,
      ) as unknown,
    });
    expect(router.route(generic({ fingerprint: 'f', items: ['a'] })[0]!)).toMatchObject({
      kind: 'routed',
      runbook: 'broad',
    });
  });

  it('refuses params over budget as invalid', () => {
    const router = createAlertRouter([{ receiver: 'generic', runbook: 'x', params: { n: `${fanout} ? "a" : "b"` } }]);
    expect(router.route(generic({ fingerprint: 'f', items })[0]!)).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('over budget') as unknown,
    });
  });

  it('checks the static limits and RE2 syntax when the config loads', () => {
    expect(
      checkAlertExpression(`alert.items.all(a, alert.items.all(b, alert.items.all(c, a != b + c)))`, 'bool'),
    ).toEqual({
      ok: false,
      message:
        'invalid expression `alert.items.all(a, alert.items.all(b, alert.items.all(c, a != b + c)))`: comprehensions (all, exists, exists_one, map, filter) nest 3 deep, over the limit of 2',
    });
    expect(checkAlertExpression('alert.host.matches("(?<=x)y")', 'bool')).toMatchObject({
      ok: false,
      message: expect.stringContaining('RE2 syntax') as unknown,
    });
    expect(checkAlertExpression('matches(alert.host, "^web-[0-9]+$")', 'bool')).toEqual({ ok: true });
  });
});

describe('checkAlertExpression', () => {
  it('checks syntax, names and result types', () => {
    expect(checkAlertExpression('alert.labels.a == "b"', 'bool')).toEqual({ ok: true });
    expect(checkAlertExpression('alert.?labels.?a.orValue("x")', 'string')).toEqual({ ok: true });
    expect(checkAlertExpression('"a" + "b"', 'bool')).toEqual({
      ok: false,
      message: '`"a" + "b"` must be true or false, but it is of type string',
    });
    expect(checkAlertExpression('labels.a', 'any')).toEqual({
      ok: false,
      message: 'in `labels.a`: unknown name `labels`: alert expressions can use `alert`',
    });
    expect(checkAlertExpression('alert.a ==', 'any')).toMatchObject({ ok: false });
    expect(checkAlertExpression(' ', 'any')).toEqual({ ok: false, message: 'empty expression' });
  });
});
