/**
 * Own-property lookups for keys that come from input (a fact, param, decision or role name, an alert
 * field). `record[name]` and `name in record` also find what every object inherits, so a name like
 * `constructor` or `toString` would look declared; these helpers see only what the record itself holds.
 * Workflow-safe.
 */

/** Whether `record` itself has `key` (inherited properties do not count). */
export function hasOwn(record: object, key: string): boolean {
  return Object.hasOwn(record, key);
}

/** The value `record` itself holds under `key`, or undefined (never an inherited property). */
export function own<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
