/** Small helpers for building plan objects. */

/** Returns a copy of an object without the keys whose value is undefined, so plans hold no empty keys. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
