/**
 * Alertmanager webhook notifications as Alertmanager (0.27) encodes them: the template data first, then
 * version, groupKey and truncatedAlerts; firing alerts carry the zero endsAt. Shared by the unit and API tests.
 */

/** Options for one alert in a notification. */
export interface AlertOptions {
  fingerprint: string;
  instance: string;
  status?: 'firing' | 'resolved';
  alertname?: string;
  severity?: string;
  startsAt?: string;
  endsAt?: string;
  /** Extra labels. */
  labels?: Record<string, string>;
}

/** One alert, as Alertmanager's template data has it. */
export function amAlert(options: AlertOptions) {
  const status = options.status ?? 'firing';
  return {
    status,
    labels: {
      alertname: options.alertname ?? 'SuspiciousEgress',
      instance: options.instance,
      job: 'node',
      severity: options.severity ?? 'critical',
      ...options.labels,
    } as Record<string, string>,
    annotations: {
      summary: `Unexpected outbound traffic from ${options.instance}`,
      runbook_url: 'https://wiki.example.com/runbooks/egress',
    },
    startsAt: options.startsAt ?? '2025-05-01T11:58:30.123456789Z',
    endsAt: options.endsAt ?? (status === 'resolved' ? '2025-05-01T12:10:00.5Z' : '0001-01-01T00:00:00Z'),
    generatorURL: 'http://prometheus:9090/graph?g0.expr=rate%28egress_bytes%5B5m%5D%29+%3E+1e8&g0.tab=1',
    fingerprint: options.fingerprint,
  };
}

/** A whole notification for a group of alerts. */
export function amNotification(alerts: ReturnType<typeof amAlert>[], receiver = 'firebreak') {
  const firing = alerts.some((alert) => alert.status === 'firing');
  return {
    receiver,
    status: firing ? 'firing' : 'resolved',
    alerts,
    groupLabels: { alertname: 'SuspiciousEgress' },
    commonLabels: { alertname: 'SuspiciousEgress', job: 'node', severity: 'critical' },
    commonAnnotations: { runbook_url: 'https://wiki.example.com/runbooks/egress' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="SuspiciousEgress"}',
    truncatedAlerts: 0,
  };
}
