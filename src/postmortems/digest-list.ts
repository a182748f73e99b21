/** The capped list every list of the lessons-learned digest is: bounded output that says what it left out. */

/** A capped list: the first `items`, how many there were in all and how many were left out. */
export interface Capped<T> {
  items: T[];
  total: number;
  omitted: number;
}

/** Caps a list at `limit`. */
export function cap<T>(list: readonly T[], limit: number): Capped<T> {
  return { items: list.slice(0, limit), total: list.length, omitted: Math.max(0, list.length - limit) };
}

/** Orders text by code units, the same on every host (no locale). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
