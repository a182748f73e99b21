/**
 * Redaction of resolved secret values from anything that leaves an activity: outputs, notes, errors and
 * logs. A destination may echo what it received in another encoding, so each value is looked for as is,
 * percent-encoded, JSON-escaped, in hex and in base64 (standard and URL-safe, at every alignment, so that
 * `Basic base64(user:secret)` is caught too).
 */
import type { JsonValue } from '../domain/plan.js';

/** What redaction puts in place of a secret value. */
export const REDACTED = '[redacted]';

/** Base64 of the secret as it appears inside the encoding of a longer text, at each of the 3 alignments. */
function base64Spellings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    const encoded = padded.toString('base64').replace(/=+$/, '');
    // Characters touched by the padding before, or by unknown bytes after, depend on the surroundings.
    const start = Math.ceil((shift * 4) / 3);
    const end = Math.floor((padded.length * 4) / 3);
    const core = encoded.slice(start, end);
    // A fragment this short would redact innocent text; the secret's own spellings still catch it whole.
    if (core.length < 8) continue;
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every spelling of the values that may show up in text, longest first so that a longer one wins. */
function spellings(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    const hex = Buffer.from(secret, 'utf8').toString('hex');
    for (const spelling of [
      secret,
      encodeURIComponent(secret),
      encodeURI(secret),
      // As it appears inside a JSON string, where quotes and backslashes are escaped (and escaped again).
      JSON.stringify(secret).slice(1, -1),
      JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1),
      hex,
      hex.toUpperCase(),
      ...base64Spellings(secret),
    ]) {
      if (spelling !== '') all.add(spelling);
    }
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret value (in any spelling above) in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const value of spellings(secrets)) out = out.split(value).join(REDACTED);
  return out;
}

/** Applies `map` to every string (keys included) inside a JSON value. */
export function mapJsonStrings(value: JsonValue, map: (text: string) => string): JsonValue {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapJsonStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [map(key), mapJsonStrings(item, map)]));
  }
  return value;
}

/** Redacts every string (keys included) inside a JSON value. */
export function redactJson(value: JsonValue, secrets: readonly string[]): JsonValue {
  return secrets.length === 0 ? value : mapJsonStrings(value, (text) => redact(text, secrets));
}
