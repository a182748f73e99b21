/**
 * Secret markers (`⟦secret:REF⟧`) that interpolation leaves in strings, resolved at the moment of use,
 * and redaction of the resolved values from anything that leaves the activity.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { SECRET_CLOSE, SECRET_OPEN } from '../domain/expressions.js';
import type { JsonValue } from '../domain/plan.js';
import type { SecretResolver } from './resolver.js';

/** What redaction puts in place of a secret value. */
export const REDACTED = '[redacted]';

/** A string with its markers replaced, and the secret values that replaced them (for redaction). */
export interface ResolvedText {
  text: string;
  secrets: string[];
}

/** Whether a string holds a secret marker. */
export function hasSecretMarker(text: string): boolean {
  return text.includes(SECRET_OPEN);
}

/** Replaces every `⟦secret:REF⟧` marker in `text` with the value the resolver gives for REF. */
export async function resolveSecretMarkers(text: string, resolver: SecretResolver): Promise<ResolvedText> {
  const secrets: string[] = [];
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf(SECRET_OPEN, from);
    if (open < 0) break;
    const start = open + SECRET_OPEN.length;
    const close = text.indexOf(SECRET_CLOSE, start);
    if (close < 0) {
      throw new FirebreakError(ErrorCode.InvalidInput, `unclosed secret marker at offset ${open}`);
    }
    const value = await resolver.resolve(text.slice(start, close));
    secrets.push(value);
    out += text.slice(from, open) + value;
    from = close + SECRET_CLOSE.length;
  }
  return { text: out + text.slice(from), secrets };
}

/**
 * The spellings of a value that may show up in text: as is, percent-encoded (URLs, form bodies) and
 * JSON-escaped,
 * longest first so that a secret containing another secret is replaced whole.
 */
function spellings(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    all.add(secret);
    all.add(encodeURIComponent(secret));
    all.add(encodeURI(secret));
    // As it appears inside a JSON string, where quotes and backslashes are escaped.
    all.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret value in `text` with `[redacted]`. */
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
