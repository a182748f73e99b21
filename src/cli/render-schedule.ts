/** Schedules for people: the list's rows, one schedule with its next runs and recent runs, and what an update changed. */
import { humanizeDuration } from '../domain/duration.js';
import type { ScheduleChanges, ScheduleDetail, ScheduleRun, ScheduleSummary } from '../schedules/schema.js';
import { table } from './output.js';
import { dueIn, formatInstant } from './render-time.js';

/** The schedules as a table, one row each. */
export function renderScheduleList(schedules: readonly ScheduleSummary[]): string {
  const header = ['ID', 'RUNBOOK', 'CRON', 'PARAMS', 'STATE', 'NEXT RUN', 'LAST RUN'];
  return table([
    header,
    ...schedules.map((schedule) => [
      schedule.scheduleId,
      schedule.runbook,
      timing(schedule),
      params(schedule) || '-',
      schedule.paused ? 'paused' : 'active',
      schedule.paused || schedule.nextRun === undefined ? '-' : formatInstant(schedule.nextRun),
      schedule.lastRun ? runResult(schedule.lastRun) : '-',
    ]),
  ]);
}

/** One schedule, whole. */
export function renderSchedule(schedule: ScheduleDetail, now: Date): string {
  const rows: string[][] = [
    ['runbook', schedule.runbook],
    ['cron', timing(schedule)],
    ['params', params(schedule) || '(none)'],
    ...(schedule.severity === undefined ? [] : [['severity', schedule.severity]]),
    ['state', schedule.paused ? 'paused' : 'active'],
    ...(schedule.note === undefined ? [] : [['note', schedule.note]]),
    ...(schedule.createdBy === undefined ? [] : [['created by', createdBy(schedule)]]),
    ...(schedule.updatedBy === undefined ? [] : [['updated by', updatedBy(schedule)]]),
    ['overlap', `${schedule.overlap.toLowerCase()} (a run due while the previous one is going is skipped)`],
    ['catch-up', `runs missed by up to ${humanizeDuration(schedule.catchupWindowMs)} are still taken`],
    ['runs', runCounts(schedule)],
  ];
  const lines = [`Schedule ${schedule.scheduleId}\n`, table(rows, '  ')];
  lines.push(schedule.paused ? '\nNext runs: none while paused\n' : nextRuns(schedule.nextRuns, now));
  lines.push(recentRuns(schedule.recentRuns));
  return lines.join('');
}

/** What an update changed, one value a line: `cron  0 2 * * *  ->  30 4 * * *`; `(none)` for an absent value. */
export function renderScheduleChanges(scheduleId: string, changes: ScheduleChanges): string {
  const rows = Object.entries(changes).map(([field, change]) => [field, value(change.from), '->', value(change.to)]);
  if (rows.length === 0) return `Updated schedule ${scheduleId}: no value changed\n`;
  return `Updated schedule ${scheduleId}:\n${table(rows, '  ')}`;
}

function value(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function timing(schedule: ScheduleSummary): string {
  return `${schedule.cron} (${schedule.timezone ?? 'UTC'})`;
}

function params(schedule: ScheduleSummary): string {
  return Object.entries(schedule.params)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

function createdBy(schedule: ScheduleSummary): string {
  const by = schedule.createdBy ?? '';
  return schedule.createdAt === undefined ? by : `${by} at ${formatInstant(schedule.createdAt)}`;
}

function updatedBy(schedule: ScheduleSummary): string {
  const by = schedule.updatedBy ?? '';
  return schedule.updatedAt === undefined ? by : `${by} at ${formatInstant(schedule.updatedAt)}`;
}

function runCounts(schedule: ScheduleDetail): string {
  return [
    `${schedule.runsTaken} taken`,
    `${schedule.skippedOverlap} skipped (overlap)`,
    `${schedule.missedCatchupWindow} missed (catch-up window)`,
  ].join(', ');
}

function nextRuns(times: readonly string[], now: Date): string {
  if (times.length === 0) return '\nNext runs: none\n';
  const rows = times.slice(0, 5).map((time) => [formatInstant(time), dueIn(time, now)]);
  return `\nNext runs:\n${table(rows, '  ')}`;
}

function recentRuns(runs: readonly ScheduleRun[]): string {
  if (runs.length === 0) return '\nRecent runs: none yet\n';
  const rows = [...runs]
    .reverse()
    .map((run) => [
      formatInstant(run.startedAt),
      run.incidentId ?? '-',
      run.version === undefined ? '-' : `v${run.version}`,
      runResult(run, false),
    ]);
  return `\nRecent runs (newest first):\n${table([['STARTED', 'INCIDENT', 'RUNBOOK', 'RESULT'], ...rows], '  ')}`;
}

/** What a run came to: the incident's status, or why no incident started. */
function runResult(run: ScheduleRun, withIncident = true): string {
  if (run.error !== undefined) return `no incident: ${run.error}`;
  const status = run.incidentStatus ?? run.status;
  return withIncident && run.incidentId !== undefined ? `${run.incidentId} ${status}` : status;
}
