/**
 * The generic receiver's body: any JSON. An array is several alerts, anything else is one. Routing sees
 * each alert as it was sent; the timeline takes a few conventional fields when they are there (`status`,
 * `fingerprint`, `summary` or `title`, `labels`, `startsAt`, `endsAt`).
 */
import type { JsonObject, JsonValue } from '../domain/plan.js';
import { clip, type IncomingAlert } from './incoming.js';

/** Most alerts one generic delivery may carry. */
export const MAX_GENERIC_ALERTS = 100;

/** The alerts in a generic body, or why there are none to take. */
export type GenericAlerts = { ok: true; alerts: IncomingAlert[] } | { ok: false; message: string };

/** Splits a parsed body into alerts; the delivery id gets `#<index>` when there are several. */
export function genericAlerts(body: JsonValue, deliveryId: string): GenericAlerts {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return { ok: false, message: 'the body is an empty list: no alert to take' };
  if (items.length > MAX_GENERIC_ALERTS) {
    return { ok: false, message: `at most ${MAX_GENERIC_ALERTS} alerts per delivery, got ${items.length}` };
  }
  const several = Array.isArray(body);
  return {
    ok: true,
    alerts: items.map((item, index) => genericAlert(item, several ? `${deliveryId}#${index}` : deliveryId)),
  };
}

function genericAlert(item: JsonValue, deliveryId: string): IncomingAlert {
  const fields: JsonObject = isObject(item) ? item : {};
  const fingerprint = text(fields.fingerprint);
  const startsAt = text(fields.startsAt);
  const endsAt = text(fields.endsAt);
  const summary = text(fields.summary) ?? text(fields.title) ?? text(fields.message);
  return {
    receiver: 'generic',
    deliveryId,
    status: text(fields.status)?.toLowerCase() === 'resolved' ? 'resolved' : 'firing',
    ...(fingerprint === undefined ? {} : { fingerprint }),
    summary: clip(summary ?? 'generic alert'),
    labels: labelsOf(fields.labels),
    ...(startsAt === undefined ? {} : { startsAt }),
    ...(endsAt === undefined ? {} : { endsAt }),
    context: item,
  };
}

/** Labels are text on the timeline: scalar values are kept as text, nested ones dropped. */
function labelsOf(value: JsonValue | undefined): Record<string, string> {
  if (!isObject(value)) return {};
  const scalars = Object.entries(value).flatMap(([name, item]) =>
    typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? [[name, String(item)]] : [],
  );
  return Object.fromEntries(scalars) as Record<string, string>;
}

function text(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
