/**
 * One activity call's view of secrets: resolves markers (each reference read once per call) and
 * remembers every value it handed out, so that outputs, errors and logs can be redacted before they leave.
 */
import type { JsonValue } from '../domain/plan.js';
import { redact, redactJson, resolveSecretMarkers } from './markers.js';
import type { SecretResolver } from './resolver.js';

/** Resolution and redaction bound to one activity call. */
export interface SecretScope {
  /** Replaces the secret markers in `text`, remembering the values for redaction. */
  resolve(text: string): Promise<string>;
  /** Replaces every value resolved so far with `[redacted]`. */
  redact(text: string): string;
  /** Redacts every string inside a JSON value. */
  redactJson(value: JsonValue): JsonValue;
}

/** Creates a scope over a resolver; values are cached for the scope's life only. */
export function createSecretScope(resolver: SecretResolver): SecretScope {
  const cache = new Map<string, Promise<string>>();
  const values = new Set<string>();
  const caching: SecretResolver = {
    resolve(reference) {
      let pending = cache.get(reference);
      if (!pending) {
        pending = resolver.resolve(reference);
        cache.set(reference, pending);
      }
      return pending;
    },
  };
  return {
    async resolve(text) {
      const resolved = await resolveSecretMarkers(text, caching);
      for (const secret of resolved.secrets) values.add(secret);
      return resolved.text;
    },
    redact: (text) => redact(text, [...values]),
    redactJson: (value) => redactJson(value, [...values]),
  };
}
