/** Type checks for values people give at run time (facts), shared by the workflow and the API. Workflow-safe. */
import type { FactType, JsonValue } from './plan.js';

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Returns why a value does not fit a fact type, or undefined when it does. */
export function checkFactValue(type: FactType, value: JsonValue): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `expected text, got ${describe(value)}`;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
        ? undefined
        : `expected a whole number, got ${describe(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `expected a number, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${describe(value)}`;
    case 'datetime':
      return typeof value === 'string' && ISO_DATETIME.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `expected an ISO-8601 date-time with a time zone (2024-05-01T10:00:00Z), got ${describe(value)}`;
    case 'list':
      return Array.isArray(value) ? undefined : `expected a list, got ${describe(value)}`;
  }
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}
