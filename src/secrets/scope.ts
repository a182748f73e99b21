/**
 * One activity call's view of secrets: resolves declared secrets by name (each read once per call) and
 * remembers every value it handed out, so that outputs, errors and logs can be redacted before they leave.
 */
import type { JsonValue } from '../domain/plan.js';
import { redact, redactJson } from './redaction.js';

/** Resolution and redaction bound to one activity call. */
export interface SecretScope {
  /** The value of a declared secret, remembered for redaction. */
  resolve(name: string): Promise<string>;
  /** Replaces every value resolved so far with `[redacted]`. */
  redact(text: string): string;
  /** Redacts every string inside a JSON value. */
  redactJson(value: JsonValue): JsonValue;
}

/** Creates a scope over a resolver of names; values are cached for the scope's life only. */
export function createSecretScope(resolveName: (name: string) => Promise<string>): SecretScope {
  const cache = new Map<string, Promise<string>>();
  const values = new Set<string>();
  return {
    async resolve(name) {
      let pending = cache.get(name);
      if (!pending) {
        pending = resolveName(name);
        cache.set(name, pending);
      }
      const value = await pending;
      values.add(value);
      return value;
    },
    redact: (text) => redact(text, [...values]),
    redactJson: (value) => redactJson(value, [...values]),
  };
}
