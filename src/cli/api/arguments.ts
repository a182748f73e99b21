/** Reading `name=value` arguments and fact values from the command line. */
import type { JsonValue } from '../../domain/plan.js';
import { CliError } from '../context.js';
import { EXIT } from './exit-codes.js';

/** Splits `name=value` at the first `=`; the value may be empty, the name may not. */
export function splitAssignment(text: string, what: string): [name: string, value: string] {
  const at = text.indexOf('=');
  const name = at < 0 ? '' : text.slice(0, at).trim();
  if (name === '') throw new CliError(`${what} \`${text}\` must look like name=value`, EXIT.invalid);
  return [name, text.slice(at + 1)];
}

/** Reads repeated `name=value` options into a record, refusing a name given twice. */
export function assignments<T>(
  texts: readonly string[],
  what: string,
  convert: (value: string) => T,
): Record<string, T> {
  const result: Record<string, T> = {};
  for (const text of texts) {
    const [name, value] = splitAssignment(text, what);
    if (Object.hasOwn(result, name)) throw new CliError(`${what} \`${name}\` is given twice`, EXIT.invalid);
    result[name] = convert(value);
  }
  return result;
}

/**
 * A fact value as typed: JSON when it parses as JSON (`5`, `true`, `null`, `["a","b"]`, `"quoted"`),
 * otherwise the text itself, so `host-1` and `10.0.0.7` need no quotes.
 */
export function parseFactValue(text: string): JsonValue {
  try {
    const value = JSON.parse(text) as JsonValue;
    // `1e999` parses to Infinity, which JSON cannot carry: keep the text.
    return typeof value === 'number' && !Number.isFinite(value) ? text : value;
  } catch {
    return text;
  }
}
