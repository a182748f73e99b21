/** Times for people: instants in UTC to the second, and how far away an instant is from now. */
import { humanizeDuration } from '../domain/duration.js';

/** An ISO instant as `2025-01-10 09:00:00Z` (UTC, to the second); text that is not a time is kept as is. */
export function formatInstant(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return new Date(time)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** How far a due time is: `in 25m`, or `overdue by 1h 5m` once it has passed. */
export function dueIn(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  if (Number.isNaN(ms)) return '';
  return ms >= 0 ? `in ${humanizeDuration(ms)}` : `overdue by ${humanizeDuration(-ms)}`;
}

/** A due time for people: `due in 25m`, or `overdue by 5m` once it has passed. */
export function dueText(iso: string, now: Date): string {
  const text = dueIn(iso, now);
  return text.startsWith('in ') ? `due ${text}` : text;
}

/** How long ago an instant was: `2h 5m ago`. */
export function ago(iso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return ms >= 0 ? `${humanizeDuration(ms)} ago` : `in ${humanizeDuration(-ms)}`;
}

/** The time between two instants: `3h 2m`. */
export function between(fromIso: string, toIso: string): string {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isNaN(ms) ? '' : humanizeDuration(Math.max(0, ms));
}
