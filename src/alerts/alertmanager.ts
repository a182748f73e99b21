/**
 * Prometheus Alertmanager's webhook payload (version 4), exactly as Alertmanager's webhook notifier
 * sends it, and its alerts normalized for routing. Alertmanager sends no delivery id, so each alert
 * notification gets a stable one derived from what identifies it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { JsonObject } from '../domain/plan.js';
import { clip, type IncomingAlert } from './incoming.js';

// Go encodes an empty (nil) label map as null; treat it as empty.
const KV = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});

/** One alert inside a notification. */
export const AlertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: KV,
  annotations: KV,
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1).max(256),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

/** The whole notification; unknown fields are kept out, not refused, so newer Alertmanagers still work. */
export const AlertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: KV,
  commonLabels: KV,
  commonAnnotations: KV,
  externalURL: z.string().default(''),
  alerts: z.array(AlertmanagerAlertSchema).min(1),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;

/** Alertmanager's "no end time": firing alerts carry it, since their end is not known yet. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * The delivery id of one alert notification. Alertmanager's repeat notifications of an unchanged alert
 * (same group, fingerprint, status and times) get the same id, so they collapse into one timeline entry;
 * a resolution, or the alert firing again later, is a new one.
 */
export function alertmanagerDeliveryId(groupKey: string, alert: AlertmanagerAlert): string {
  const identity = [groupKey, alert.fingerprint, alert.status, alert.startsAt, alert.endsAt].join('\n');
  return `am-${createHash('sha256').update(identity).digest('hex').slice(0, 40)}`;
}

/**
 * Splits a notification into its alerts, each with its routing context: the alert's own fields, plus the
 * notification's `receiver`, `group` (its `commonLabels`), `groupKey` and `groupLabels` (what Alertmanager
 * grouped by), so a route can key one incident per Alertmanager group.
 */
export function alertmanagerAlerts(payload: AlertmanagerPayload): IncomingAlert[] {
  return payload.alerts.map((alert) => {
    const context: JsonObject = {
      ...alert,
      receiver: payload.receiver,
      group: payload.commonLabels,
      groupKey: payload.groupKey,
      groupLabels: payload.groupLabels,
    };
    const summary = alert.annotations.summary ?? alert.annotations.description ?? alert.labels.alertname;
    return {
      receiver: 'alertmanager',
      deliveryId: alertmanagerDeliveryId(payload.groupKey, alert),
      status: alert.status,
      fingerprint: alert.fingerprint,
      summary: clip(summary ?? `alert ${alert.fingerprint}`),
      labels: alert.labels,
      startsAt: alert.startsAt,
      ...(alert.endsAt === ZERO_TIME || alert.endsAt === '' ? {} : { endsAt: alert.endsAt }),
      context,
    };
  });
}
