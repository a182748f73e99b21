/**
 * When a schedule runs: a cron expression (checked here field by field, so that its problems are listed
 * with the others of a request; Temporal checks it again) in an IANA time zone, UTC by default.
 */
import type { ScheduleSpec } from '@temporalio/client';

/** One problem with a schedule request: where (`cron`, `timezone`) and what. */
export interface ScheduleProblem {
  path: string;
  message: string;
}

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names accepted besides numbers (JAN, MON), matched on their first three letters. */
  names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const SECOND: CronField = { name: 'second', min: 0, max: 59 };
const YEAR: CronField = { name: 'year', min: 1970, max: 2999 };
const STANDARD: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

/** The fields by count: five standard ones, a year after them, or also a second before them. */
const LAYOUTS: Readonly<Record<number, readonly CronField[]>> = {
  5: STANDARD,
  6: [...STANDARD, YEAR],
  7: [SECOND, ...STANDARD, YEAR],
};

const SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const EVERY = /^@every\s+\d+[smhd](\/\d+[smhd])?$/;
const ITEM = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/;

/** The problems with a cron expression (5 fields, or 6 with a year, or 7 with seconds first), or none. */
export function checkCron(expression: string): string[] {
  const text = expression.replace(/#.*$/, '').trim();
  if (text === '')
    return ['expected a cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week)'];
  if (/^(CRON_)?TZ=/i.test(text)) return ['give the time zone as `timezone`, not inside the expression'];
  if (text.startsWith('@')) {
    return SHORTHANDS.has(text.toLowerCase()) || EVERY.test(text)
      ? []
      : [`unknown shorthand ${text} (expected @yearly, @monthly, @weekly, @daily, @hourly or @every <n>[smhd])`];
  }
  const fields = text.split(/\s+/);
  const layout = LAYOUTS[fields.length];
  if (!layout) return [`expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`];
  return fields.flatMap((field, index) => {
    const spec = layout[index];
    return spec ? checkField(field, spec) : [];
  });
}

function checkField(text: string, field: CronField): string[] {
  for (const item of text.split(',')) {
    const match = ITEM.exec(item);
    if (!match) return [`${field.name} \`${text}\` is not a value, a range, a list or a step`];
    const [, range = '', step] = match;
    if (step !== undefined && Number(step) < 1) return [`${field.name} \`${text}\` has a step below 1`];
    if (range === '*') continue;
    for (const bound of range.split('-')) {
      if (valueOf(bound, field) === undefined) {
        const names = field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : '';
        return [`${field.name} \`${bound}\` is out of range (${field.min}-${field.max}${names})`];
      }
    }
  }
  return [];
}

function valueOf(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  const index = field.names?.indexOf(text.slice(0, 3).toUpperCase()) ?? -1;
  return index < 0 ? undefined : index;
}

/** Whether the runtime knows an IANA time zone (Temporal loads the same database). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Every problem with a schedule's timing. */
export function checkTiming(cron: string, timezone?: string): ScheduleProblem[] {
  const problems = checkCron(cron).map((message) => ({ path: 'cron', message }));
  if (timezone !== undefined && !isTimeZone(timezone)) {
    problems.push({
      path: 'timezone',
      message: `unknown time zone ${timezone} (expected an IANA name such as Europe/Berlin)`,
    });
  }
  return problems;
}

/** The Temporal schedule spec for a cron expression and time zone. */
export function scheduleSpec(cron: string, timezone?: string): ScheduleSpec {
  return { cronExpressions: [cron], ...(timezone === undefined ? {} : { timezone }) };
}
