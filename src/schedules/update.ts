/**
 * Changing a schedule in place: a patch is merged into the schedule's current values, and the result is
 * checked exactly as a new schedule is (`prepareSchedule`), every problem listed. Params are merged one by
 * one: a param given is set or replaced, a param unset is removed (its runbook default then applies at each
 * run), and the others are kept. What changed is listed, value by value, for the audit log and the answer.
 */
import type { JsonValue, Plan, Severity } from '../domain/plan.js';
import { formatPath } from '../diagnostics/located-issue.js';
import type { SecretCatalog } from '../secrets/declared.js';
import { prepareSchedule } from './prepare.js';
import type { ScheduleChanges } from './schema.js';
import type { ScheduleProblem } from './spec.js';
import type { ScheduleValues } from './values.js';

/** A change to a schedule, as the API received it: fields left out stay as they are. */
export interface SchedulePatch {
  cron?: string;
  /** An IANA time zone, or null to go back to UTC. */
  timezone?: string | null;
  /** Params to set or replace (converted to their declared types, as at creation); the others are kept. */
  params?: Readonly<Record<string, unknown>>;
  /** Params to remove from the schedule; the runbook's default then applies at each run. */
  unsetParams?: readonly string[];
  /** A severity, or null to use the runbook's again. */
  severity?: string | null;
  /** Replaces the schedule's note. */
  note?: string;
}

/** A schedule as an update finds it: its current values and its note. */
export interface CurrentSchedule extends ScheduleValues {
  scheduleId: string;
  note?: string;
}

/** What an update writes: the whole trigger and timing, checked, and who made the change when. */
export interface ScheduleUpdate {
  cron: string;
  timezone?: string;
  params: Record<string, JsonValue>;
  severity?: Severity;
  /** The new note, when the patch gives one; otherwise the note is kept. */
  note?: string;
  updatedBy: string;
  updatedAt: string;
}

/** The outcome of checking a patch: the update and what it changes, or why not (`not_found`: no runbook). */
export type PreparedUpdate =
  | { ok: true; update: ScheduleUpdate; changes: ScheduleChanges }
  | { ok: false; status: 'not_found' | 'invalid'; problems: ScheduleProblem[] };

/** The fields of a patch, as named in the API. */
export const PATCH_FIELDS = ['cron', 'timezone', 'params', 'unsetParams', 'severity', 'note'] as const;

/** The problem of a patch that changes nothing. */
export const NOTHING_TO_CHANGE: ScheduleProblem = {
  path: '',
  message: `nothing to change: give at least one of ${PATCH_FIELDS.join(', ')}`,
};

/** Whether a patch asks for no change at all (empty `params` and `unsetParams` ask for none). */
export function isEmptyPatch(patch: SchedulePatch): boolean {
  return (
    patch.cron === undefined &&
    patch.timezone === undefined &&
    patch.severity === undefined &&
    patch.note === undefined &&
    Object.keys(patch.params ?? {}).length === 0 &&
    (patch.unsetParams ?? []).length === 0
  );
}

/**
 * Merges a patch into a schedule's current values and checks the result against the runbooks given (those
 * a new schedule would be checked against), as `prepareSchedule` checks a new schedule.
 */
export function prepareUpdate(
  runbooks: ReadonlyMap<string, { plan: Plan }>,
  secrets: SecretCatalog,
  current: CurrentSchedule,
  patch: SchedulePatch,
  updatedBy: string,
  now = new Date(),
): PreparedUpdate {
  if (isEmptyPatch(patch)) return { ok: false, status: 'invalid', problems: [NOTHING_TO_CHANGE] };
  const set = patch.params ?? {};
  const unset = new Set(patch.unsetParams ?? []);
  const params = Object.fromEntries(
    Object.entries({ ...current.params, ...set }).filter(([name]) => !unset.has(name) || Object.hasOwn(set, name)),
  );
  const timezone = patch.timezone === undefined ? current.timezone : (patch.timezone ?? undefined);
  const severity = patch.severity === undefined ? current.severity : (patch.severity ?? undefined);
  const prepared = prepareSchedule(runbooks, secrets, {
    scheduleId: current.scheduleId,
    runbook: current.runbook,
    cron: patch.cron ?? current.cron,
    params,
    createdBy: updatedBy,
    ...(timezone === undefined ? {} : { timezone }),
    ...(severity === undefined ? {} : { severity }),
  });
  if (!prepared.ok && prepared.status === 'not_found') return prepared;
  const plan = runbooks.get(current.runbook)?.plan;
  const problems = [...unsetProblems(patch, current, plan), ...(prepared.ok ? [] : prepared.problems)];
  if (!prepared.ok || problems.length > 0) return { ok: false, status: 'invalid', problems };
  const schedule = prepared.schedule;
  const update: ScheduleUpdate = {
    cron: schedule.cron,
    params: schedule.params,
    updatedBy,
    updatedAt: now.toISOString(),
    ...(schedule.timezone === undefined ? {} : { timezone: schedule.timezone }),
    ...(schedule.severity === undefined ? {} : { severity: schedule.severity }),
    ...(patch.note === undefined ? {} : { note: patch.note }),
  };
  return { ok: true, update, changes: changesOf(current, update) };
}

/**
 * A param may be unset when the schedule has it or the runbook declares it (unsetting a declared param the
 * schedule does not give changes nothing); never when the same patch sets it.
 */
function unsetProblems(patch: SchedulePatch, current: CurrentSchedule, plan: Plan | undefined): ScheduleProblem[] {
  const set = patch.params ?? {};
  const declared = Object.keys(plan?.params ?? {});
  const problems: ScheduleProblem[] = [];
  (patch.unsetParams ?? []).forEach((name, index) => {
    const path = formatPath(['unsetParams', index]);
    if (Object.hasOwn(set, name)) {
      problems.push({ path, message: `param \`${name}\` is both set (params.${name}) and unset` });
    } else if (!Object.hasOwn(current.params, name) && !declared.includes(name)) {
      problems.push({
        path,
        message: `unknown param \`${name}\` (declared: ${declared.join(', ') || 'none'})`,
      });
    }
  });
  return problems;
}

/** Every value that differs between the schedule and its update; an absent value is null. */
function changesOf(current: CurrentSchedule, update: ScheduleUpdate): ScheduleChanges {
  const changes: ScheduleChanges = {};
  const compare = (field: string, from: JsonValue | undefined, to: JsonValue | undefined): void => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from: from ?? null, to: to ?? null };
  };
  compare('cron', current.cron, update.cron);
  compare('timezone', current.timezone, update.timezone);
  const names = [...new Set([...Object.keys(current.params), ...Object.keys(update.params)])].sort();
  for (const name of names) compare(`params.${name}`, current.params[name], update.params[name]);
  compare('severity', current.severity, update.severity);
  if (update.note !== undefined) compare('note', current.note, update.note);
  return changes;
}
