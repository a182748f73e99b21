/**
 * One alert as a receiver hands it to routing, whatever system sent it: what the timeline records, the
 * delivery id that makes recording it idempotent, and the JSON that CEL expressions see as `alert`.
 */
import type { JsonValue } from '../domain/plan.js';

/** The receivers Firebreak has; each route names one. */
export const RECEIVERS = ['alertmanager', 'generic'] as const;
/** One of the receivers. */
export type Receiver = (typeof RECEIVERS)[number];

/** One alert from one delivery, normalized. */
export interface IncomingAlert {
  receiver: Receiver;
  /** Unique per alert notification; becomes the Temporal Update id that records it. */
  deliveryId: string;
  status: 'firing' | 'resolved';
  /** The sender's identity for the alert, when it has one (Alertmanager always does). */
  fingerprint?: string;
  summary: string;
  /** Every label with a scalar value, as sent; the timeline keeps a bounded part (clipLabels). */
  labels: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  /**
   * What expressions see as `alert`: the alert as sent; Alertmanager's also carries its notification's
   * `receiver`, `group` (commonLabels), `groupKey` and `groupLabels`.
   */
  context: JsonValue;
}

/** Longest summary kept on the timeline; monitoring annotations can be whole documents. */
export const MAX_SUMMARY_CHARS = 500;

/** Cuts a summary to the timeline's limit. */
export function clip(text: string): string {
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS - 3)}...`;
}

/** Most labels, and longest label name and value, kept on the timeline (routing sees them all). */
export const LABEL_LIMITS = { count: 32, name: 100, value: 500 } as const;

/** The labels the timeline keeps, and how many it dropped. */
export interface ClippedLabels {
  labels: Record<string, string>;
  /** Labels not kept: over the count, or a name too long to keep. */
  dropped: number;
}

/**
 * Keeps at most 32 labels within the timeline's limits, so one alert cannot bloat the incident history.
 * The labels in `first` (those the routes read) are kept before any other; the rest in the alert's order.
 */
export function clipLabels(
  labels: Readonly<Record<string, string>>,
  first: ReadonlySet<string> = new Set(),
): ClippedLabels {
  const keepable = Object.keys(labels).filter((name) => name.length <= LABEL_LIMITS.name && name !== '__proto__');
  const ordered = new Set([...keepable.filter((name) => first.has(name)), ...keepable]);
  const chosen = new Set([...ordered].slice(0, LABEL_LIMITS.count));
  const kept: Record<string, string> = {};
  for (const name of keepable) {
    if (!chosen.has(name)) continue;
    const value = labels[name] ?? '';
    kept[name] = value.length <= LABEL_LIMITS.value ? value : `${value.slice(0, LABEL_LIMITS.value - 3)}...`;
  }
  return { labels: kept, dropped: Object.keys(labels).length - chosen.size };
}
