/**
 * Every helper templates may call, registered in this one module on an isolated environment. Formatting
 * is explicit (fixed locale, parts assembled by hand) so golden files do not drift with ICU versions.
 */
import type Handlebars from 'handlebars';
import type { JsonValue } from '../domain/plan.js';
import { factRecordsOf } from './context.js';
import { TemplateError } from './errors.js';

/** What Handlebars passes as a helper's last argument, narrowed to what the helpers read. */
interface HelperCall {
  hash: Record<string, unknown>;
  data?: { root?: unknown };
}

/** The names of the helpers this module registers, for variable extraction. */
export const HELPER_NAMES: readonly string[] = ['date', 'list', 'plural', 'number', 'fact'];

/** Registers the house helpers on one environment created with `Handlebars.create()`. */
export function registerHelpers(env: typeof Handlebars): void {
  env.registerHelper('date', (value: unknown, options: HelperCall) =>
    formatDate(value, stringOption(options, 'tz') ?? 'UTC', stringOption(options, 'format') ?? 'datetime'),
  );
  env.registerHelper('list', (value: unknown) => formatList(value));
  env.registerHelper('number', (value: unknown) => formatNumber(value));
  env.registerHelper('plural', (count: unknown, one: unknown, other: unknown) =>
    formatPlural(count, String(one), String(other)),
  );
  env.registerHelper('fact', (name: unknown, options: HelperCall) => renderFact(name, options));
}

/** Formats a number with thousands separators: 1200 -> "1,200". */
export function formatNumber(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TemplateError('INVALID_VALUE', `number: expected a number, got ${JSON.stringify(value)}`);
  }
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(value);
}

/** Formats a count with the right noun: 1 -> "1 record", 1200 -> "1,200 records". */
export function formatPlural(count: unknown, one: string, other: string): string {
  return `${formatNumber(count)} ${count === 1 ? one : other}`;
}

/** Joins items as prose: "a", "a and b", "a, b and c". */
export function formatList(value: unknown): string {
  if (!Array.isArray(value)) {
    throw new TemplateError('INVALID_VALUE', `list: expected a list, got ${JSON.stringify(value)}`);
  }
  const items = value.map((item) => String(item));
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/**
 * Formats an ISO instant in an IANA time zone: "14 March 2025, 09:30 CET" (`format="datetime"`), or
 * "14 March 2025" (`format="date"`).
 */
export function formatDate(value: unknown, timeZone: string, format: string): string {
  const instant = typeof value === 'string' ? new Date(value) : undefined;
  if (instant === undefined || Number.isNaN(instant.getTime())) {
    throw new TemplateError('INVALID_VALUE', `date: expected an ISO 8601 instant, got ${JSON.stringify(value)}`);
  }
  if (format !== 'date' && format !== 'datetime') {
    throw new TemplateError('INVALID_VALUE', `date: format must be "date" or "datetime", got "${format}"`);
  }
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
  } catch {
    throw new TemplateError('INVALID_VALUE', `date: unknown time zone "${timeZone}"`);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  const day = `${parts.day} ${parts.month} ${parts.year}`;
  return format === 'date' ? day : `${day}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/**
 * The accuracy guard: renders a fact by name. A confirmed fact renders as its value; a suspected one says
 * so ("up to 1,200 records (still under investigation)"); a fact that is not set is an error. The hash
 * options `one` and `other` name the unit of a count; `tz` or `format` render a datetime fact as `date` does.
 */
function renderFact(name: unknown, options: HelperCall): string {
  if (typeof name !== 'string') {
    throw new TemplateError(
      'INVALID_VALUE',
      'fact: expects the fact name as a string, e.g. {{fact "recordsAffected"}}',
    );
  }
  const record = factRecordsOf(options.data?.root)?.[name];
  if (record === undefined || record.value === null) {
    throw new TemplateError('FACT_NOT_SET', `fact "${name}" is not set`, undefined, `facts.${name}`);
  }
  const one = stringOption(options, 'one');
  const other = stringOption(options, 'other') ?? one;
  const tz = stringOption(options, 'tz');
  const format = stringOption(options, 'format');
  const text =
    tz !== undefined || format !== undefined
      ? formatDate(record.value, tz ?? 'UTC', format ?? 'datetime')
      : formatFactValue(record.value, one, other);
  if (record.status === 'confirmed') return text;
  return typeof record.value === 'number'
    ? `up to ${text} (still under investigation)`
    : `${text} (suspected; still under investigation)`;
}

function formatFactValue(value: JsonValue, one: string | undefined, other: string | undefined): string {
  if (typeof value === 'number')
    return one === undefined || other === undefined ? formatNumber(value) : formatPlural(value, one, other);
  if (Array.isArray(value)) return formatList(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function stringOption(options: HelperCall, key: string): string | undefined {
  const value = options.hash[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new TemplateError('INVALID_VALUE', `option ${key}= must be a string, got ${JSON.stringify(value)}`);
  }
  return value;
}
