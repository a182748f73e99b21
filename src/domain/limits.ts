/**
 * Limits on the values a run takes from outside (trigger params, facts, params mapped from alerts) and on
 * the nesting of JSON bodies. They are checked where a value enters, so that a value that is accepted can
 * never break the run later: every string fits whole in a `timeline.note`, every value fits in the state
 * query's answer, and no check or schema meets a nesting deep enough to exhaust the stack. Workflow-safe.
 */
import type { JsonValue } from './plan.js';

/** The limits of one value, as documented in docs/api.md. */
export const VALUE_LIMITS = {
  /** Longest string anywhere in a value, in characters: what a `timeline.note` shows whole. */
  textChars: 4000,
  /** Most items in one list, and most fields in one object. */
  items: 100,
  /** Deepest nesting of lists and objects in a value: a list is 1, a list of objects 2. */
  depth: 8,
  /** Largest value written as JSON, in characters. */
  jsonChars: 32_768,
} as const;

/** Deepest nesting of `[` and `{` a JSON request body may have; checked before the body is parsed. */
export const MAX_JSON_DEPTH = 32;

/** Where in a value a limit is exceeded (list indexes and field names), and which limit. */
export interface ValueLimitProblem {
  path: (string | number)[];
  message: string;
}

interface Pending {
  value: JsonValue;
  path: (string | number)[];
  depth: number;
}

/**
 * Checks a value against `VALUE_LIMITS` without recursion, so that any nesting is measured safely.
 * Returns the first problem found, or undefined when the value is within every limit.
 */
export function checkValueLimits(value: JsonValue): ValueLimitProblem | undefined {
  const stack: Pending[] = [{ value, path: [], depth: 0 }];
  let size = 0;
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: item, path, depth } = next;
    const problem = (message: string): ValueLimitProblem => ({ path, message });
    if (typeof item === 'string') {
      if (item.length > VALUE_LIMITS.textChars) {
        return problem(`text of ${item.length} characters is over the limit of ${VALUE_LIMITS.textChars}`);
      }
      size += JSON.stringify(item).length;
    } else if (item === null || typeof item !== 'object') {
      size += scalarChars(item);
    } else {
      if (depth + 1 > VALUE_LIMITS.depth) {
        return problem(`nested deeper than the limit of ${VALUE_LIMITS.depth} levels of lists and objects`);
      }
      const entries: [string | number, JsonValue][] = Array.isArray(item)
        ? item.map((v, i) => [i, v])
        : Object.entries(item);
      if (entries.length > VALUE_LIMITS.items) {
        const what = Array.isArray(item) ? 'a list of' : 'an object with';
        const unit = Array.isArray(item) ? 'items' : 'fields';
        return problem(`${what} ${entries.length} ${unit} is over the limit of ${VALUE_LIMITS.items}`);
      }
      size += 2 + Math.max(entries.length - 1, 0);
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [key, child] = entries[index] as [string | number, JsonValue];
        if (typeof key === 'string') size += JSON.stringify(key).length + 1;
        stack.push({ value: child, path: [...path, key], depth: depth + 1 });
      }
    }
    if (size > VALUE_LIMITS.jsonChars) {
      return { path: [], message: `over the limit of ${VALUE_LIMITS.jsonChars} characters written as JSON` };
    }
  }
  return undefined;
}

/** The length of a scalar written as JSON; what is not JSON counts as `null` (the type checks refuse it). */
function scalarChars(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4;
  if (typeof value === 'boolean') return value ? 4 : 5;
  return 4;
}

/** `base` followed by a value path: `params.hosts[3]`, `value.owner.name`. */
export function valuePath(base: string, path: readonly (string | number)[]): string {
  let out = base;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A limit problem as one line: `at hosts[3]: text of 5000 characters is over the limit of 4000`. */
export function describeLimitProblem(problem: ValueLimitProblem): string {
  return problem.path.length === 0 ? problem.message : `at ${valuePath('', problem.path)}: ${problem.message}`;
}

/**
 * Whether JSON text nests `[` and `{` deeper than `max`, measured by one pass over the text (strings
 * skipped), without parsing and without recursion. Text that is not JSON is left for the parser to refuse.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index += 1; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}
