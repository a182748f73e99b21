/**
 * Turning a request for a schedule into what is stored: the runbook must exist, and the params, severity,
 * cron expression, time zone and id are all checked now, every problem listed, exactly as a trigger checks
 * them. Only the params given are kept (their defaults are the runbook's business at each run).
 */
import type { SecretCatalog } from '../secrets/declared.js';
import { randomBytes } from 'node:crypto';
import type { JsonValue, Plan, Severity } from '../domain/plan.js';
import { prepareIncident } from '../incidents/prepare.js';
import { checkTiming, type ScheduleProblem } from './spec.js';

/** A request for a schedule, as the API received it (checked here). */
export interface ScheduleRequest {
  runbook: string;
  cron: string;
  params: Readonly<Record<string, unknown>>;
  severity?: string;
  timezone?: string;
  scheduleId?: string;
  note?: string;
  /** The id of the user creating it. */
  createdBy: string;
}

/** A schedule ready to be created. */
export interface NewSchedule {
  scheduleId: string;
  runbook: string;
  cron: string;
  timezone?: string;
  params: Record<string, JsonValue>;
  severity?: Severity;
  note?: string;
  createdBy: string;
}

/** The outcome of checking a request: the schedule, or why not (`not_found` for an unknown runbook). */
export type PreparedSchedule =
  { ok: true; schedule: NewSchedule } | { ok: false; status: 'not_found' | 'invalid'; problems: ScheduleProblem[] };

/** Schedule ids: what Temporal workflow ids are safely made of, starting with a letter or digit. */
export const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The longest schedule id accepted (Temporal adds a timestamp to it for each run's workflow id). */
export const SCHEDULE_ID_MAX = 200;

/** A fresh schedule id: the runbook id and a short random suffix. */
export function newScheduleId(runbookId: string): string {
  return `${runbookId}-${randomBytes(3).toString('hex')}`;
}

/** Checks a schedule request against the loaded runbooks; the roster does not matter until a run. */
export function prepareSchedule(
  runbooks: ReadonlyMap<string, { plan: Plan }>,
  secrets: SecretCatalog,
  request: ScheduleRequest,
): PreparedSchedule {
  const trigger = prepareIncident(
    runbooks,
    [],
    {
      runbook: request.runbook,
      params: request.params,
      actor: { id: request.createdBy },
      ...(request.severity === undefined ? {} : { severity: request.severity }),
    },
    secrets,
  );
  if (!trigger.ok && trigger.status === 'not_found') return trigger;
  const problems = [...(trigger.ok ? [] : trigger.problems), ...checkTiming(request.cron, request.timezone)];
  if (request.scheduleId !== undefined) problems.push(...checkScheduleId(request.scheduleId));
  if (!trigger.ok || problems.length > 0) return { ok: false, status: 'invalid', problems };
  const given = Object.keys(request.params);
  return {
    ok: true,
    schedule: {
      scheduleId: request.scheduleId ?? newScheduleId(request.runbook),
      runbook: request.runbook,
      cron: request.cron.trim(),
      params: Object.fromEntries(Object.entries(trigger.start.params).filter(([name]) => given.includes(name))),
      createdBy: request.createdBy,
      ...(request.timezone === undefined ? {} : { timezone: request.timezone }),
      ...(trigger.start.severity === undefined ? {} : { severity: trigger.start.severity }),
      ...(request.note === undefined ? {} : { note: request.note }),
    },
  };
}

function checkScheduleId(id: string): ScheduleProblem[] {
  if (id.length > SCHEDULE_ID_MAX) return [{ path: 'id', message: `at most ${SCHEDULE_ID_MAX} characters` }];
  if (!SCHEDULE_ID.test(id)) {
    return [{ path: 'id', message: 'letters, digits, `.`, `_` and `-`, starting with a letter or digit' }];
  }
  return [];
}

/** What a schedule does, for telling whether two schedules would start the same runs. */
type ScheduleRuns = Pick<NewSchedule, 'runbook' | 'cron' | 'timezone' | 'params'>;

/**
 * Whether two schedules run the same runbook with the same params at the same times (cron and time zone,
 * UTC when absent): a second one would only start every run twice. Severity, note and id do not count.
 */
export function sameRuns(a: ScheduleRuns, b: ScheduleRuns): boolean {
  return (
    a.runbook === b.runbook &&
    a.cron.trim() === b.cron.trim() &&
    (a.timezone ?? 'UTC') === (b.timezone ?? 'UTC') &&
    canonical(a.params) === canonical(b.params)
  );
}

/** JSON with object keys sorted, so that equal values compare equal as text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
