/**
 * Checks shared by every provider: a selector has exactly one key with a usable value, an inventory limit
 * is in range, an operation is in the provider's capabilities, and a target set is frozen all the way down.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { hasOwn } from '../domain/own.js';
import {
  INVENTORY_DEFAULT_LIMIT,
  INVENTORY_MAX_LIMIT,
  type InfraOperation,
  type InfraProvider,
  type TargetSelector,
} from './types.js';

/** A selector as a provider switches on it. */
export type ParsedSelector =
  | { by: 'id'; value: string }
  | { by: 'name'; value: string }
  | { by: 'labels'; value: ReadonlyMap<string, string> }
  | { by: 'image'; value: string };

const KEYS = ['id', 'name', 'labels', 'image'] as const;
const LABEL_KEY = /^[^\p{Cc}=\s][^\p{Cc}=]{0,254}$/u;

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `selector: ${message}`);
}

/** Checks a selector (it may come from a runbook): exactly one of id, name, labels, image, none empty. */
export function parseSelector(selector: TargetSelector): ParsedSelector {
  if (typeof selector !== 'object' || selector === null) throw refuse('expected one of id, name, labels or image');
  const keys = Object.keys(selector);
  const unknown = keys.filter((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw refuse(`unknown key \`${unknown[0]}\` (expected one of id, name, labels or image)`);
  if (keys.length !== 1) throw refuse(`give exactly one of id, name, labels or image (got ${keys.join(', ') || 'none'})`);
  const record = selector as Readonly<Record<string, unknown>>;
  for (const by of ['id', 'name', 'image'] as const) {
    if (!hasOwn(record, by)) continue;
    const value = record[by];
    if (typeof value !== 'string' || value.trim() === '' || /\p{Cc}/u.test(value)) {
      throw refuse(`\`${by}\` must be a non-empty string without control characters`);
    }
    return { by, value };
  }
  const labels = record.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw refuse('`labels` must map label keys to values');
  }
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length === 0) throw refuse('`labels` is empty: it would match every target');
  const value = new Map<string, string>();
  for (const [key, text] of entries) {
    if (!LABEL_KEY.test(key)) throw refuse(`label key \`${key}\` is not a label key`);
    if (typeof text !== 'string' || /\p{Cc}/u.test(text)) {
      throw refuse(`label \`${key}\` must have a string value without control characters`);
    }
    value.set(key, text);
  }
  return { by: 'labels', value };
}

/** The limit an inventory uses: the default, or a whole number from 1 to INVENTORY_MAX_LIMIT. */
export function inventoryLimit(limit: number | undefined): number {
  if (limit === undefined) return INVENTORY_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > INVENTORY_MAX_LIMIT) {
    throw new FirebreakError(ErrorCode.InvalidInput, `inventory limit must be a whole number from 1 to ${INVENTORY_MAX_LIMIT}`);
  }
  return limit;
}

/** The error an operation outside a provider's capabilities throws, before it touches anything. */
export function unsupported(provider: Pick<InfraProvider, 'name' | 'kind'>, operation: InfraOperation): FirebreakError {
  return new FirebreakError(
    ErrorCode.Unsupported,
    `infra provider \`${provider.name}\` (${provider.kind}) does not support ${operation}: it is not built yet (docs/infrastructure.md)`,
  );
}

/** Freezes a JSON-safe value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}
