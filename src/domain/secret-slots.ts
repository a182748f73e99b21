/**
 * Where a secret goes into an action's input, said out of band. Interpolating a step's `with` never puts a
 * secret (or anything that names one) into a string: a string that uses a secret param is recorded as a
 * slot, a path in `with` plus its parts, literal text and secret names. Only the runbook file decides where
 * a slot is (its `${{ params.<secret> }}` positions), and only a `secret` param's value (a name declared in
 * firebreak.yaml, checked at trigger) fills a secret part. No value from outside can become a secret
 * reference, because nothing downstream ever looks inside strings for one. Workflow-safe.
 */
/** One piece of a slotted string: text as interpolated, or a secret by its declared name. */
export type SecretPart = { text: string } | { secret: string; param: string };

/** A string of an action's `with` that uses secrets: where it is, and what it is made of. */
export interface SecretSlot {
  /** Keys and indexes from the root of `with` (as written in the runbook) to the string. */
  path: (string | number)[];
  parts: SecretPart[];
}

/**
 * Where an action accepts secrets, as paths into its `with`: a key, `*` for any one key or index, `**` for
 * any number of them (at the end only). `['headers', '*']` is every header value.
 */
export type SecretPathPattern = readonly string[];

/** What the placeholder of a secret reads as inside the `with` a workflow records: never a value or a name. */
export function secretPlaceholder(param: string): string {
  return `[secret:${param}]`;
}

/** The text a slot stands for, with each secret shown as its placeholder (for history and validation). */
export function placeholderText(parts: readonly SecretPart[]): string {
  return parts.map((part) => ('text' in part ? part.text : secretPlaceholder(part.param))).join('');
}

/** Whether a slot's path is one the action accepts secrets at. */
export function secretPathAllowed(path: readonly (string | number)[], patterns: readonly SecretPathPattern[]): boolean {
  return patterns.some((pattern) => matchesPattern(path, pattern));
}

function matchesPattern(path: readonly (string | number)[], pattern: SecretPathPattern): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i];
    if (want === '**') return true;
    if (i >= path.length) return false;
    if (want !== '*' && want !== String(path[i])) return false;
  }
  return path.length === pattern.length;
}

/** A path as people read it: `with.headers.Authorization`, `with.json.items[2]`. */
export function formatSlotPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${key}`), 'with');
}
