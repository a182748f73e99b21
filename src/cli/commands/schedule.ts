/** `firebreak schedule create|update|list|show|pause|resume|trigger|delete`: runbooks on a schedule, through the API. */
import type { Command } from 'commander';
import { assignments } from '../api/arguments.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import type { UpdateScheduleRequest } from '../api/client.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import { collect } from '../config.js';
import { CliError, type CliDeps } from '../context.js';
import { CLI } from '../output.js';
import { renderSchedule, renderScheduleChanges, renderScheduleList } from '../render-schedule.js';
import { formatInstant } from '../render-time.js';

interface CreateOptions extends ApiOptions, JsonOption {
  cron: string;
  param?: string[];
  severity?: string;
  timezone?: string;
  id?: string;
  note?: string;
  allowDuplicate?: boolean;
}

interface UpdateOptions extends ApiOptions, JsonOption {
  cron?: string;
  /** A zone, or false for `--no-timezone`. */
  timezone?: string | false;
  param?: string[];
  unsetParam?: string[];
  /** A severity, or false for `--no-severity`. */
  severity?: string | false;
  note?: string;
}

interface NoteOptions extends ApiOptions, JsonOption {
  note?: string;
}

type Options = ApiOptions & JsonOption;

/** Registers the `schedule` command group. */
export function registerScheduleCommands(program: Command, deps: CliDeps): void {
  const schedule = program
    .command('schedule')
    .description('run runbooks on a schedule (overlapping runs are skipped; each run uses the runbook as it is then)');
  registerCreate(schedule, deps);
  registerUpdate(schedule, deps);
  apiCommand(schedule.command('list').description('list schedules with their next and last run')).action(
    (options: Options) => list(deps, options),
  );
  apiCommand(
    schedule
      .command('show')
      .description('show a schedule: timing, state, next runs, recent runs and their incidents')
      .argument('<id>', 'schedule id'),
  ).action((id: string, options: Options) => show(deps, id, options));
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    apiCommand(
      schedule
        .command(verb)
        .description(paused ? 'pause a schedule: no run is taken until it is resumed' : 'resume a paused schedule')
        .argument('<id>', 'schedule id')
        .option('--note <text>', 'why, shown with the schedule'),
    ).action((id: string, options: NoteOptions) => setPaused(deps, id, paused, options));
  }
  apiCommand(
    schedule
      .command('trigger')
      .description('take a run now (refused while the previous run is still going)')
      .argument('<id>', 'schedule id'),
  ).action((id: string, options: Options) => trigger(deps, id, options));
  apiCommand(
    schedule
      .command('delete')
      .description('delete a schedule; a run in progress and its incident go on')
      .argument('<id>', 'schedule id'),
  ).action((id: string, options: Options) => remove(deps, id, options));
}

function registerCreate(schedule: Command, deps: CliDeps): void {
  apiCommand(
    schedule
      .command('create')
      .description('schedule a runbook; its params are checked now and again at every run')
      .argument('<runbook>', 'runbook id')
      .requiredOption('--cron <expression>', 'when to run: minute hour day-of-month month day-of-week ("0 2 * * *")')
      .option(
        '--param <name=value>',
        'a runbook param, repeatable; the server converts it to the declared type',
        collect,
      )
      .option('--severity <severity>', "override the runbook's severity (sev1, sev2, sev3, sev4)")
      .option('--timezone <zone>', 'IANA time zone of the cron expression (default UTC)')
      .option('--id <id>', 'schedule id (default: the runbook id and a short random suffix)')
      .option('--note <text>', 'a note shown with the schedule')
      .option(
        '--allow-duplicate',
        'create it even when a schedule already runs this runbook with these params and timing',
      ),
  ).action((runbook: string, options: CreateOptions) => create(deps, runbook, options));
}

async function create(deps: CliDeps, runbook: string, options: CreateOptions): Promise<void> {
  // Params go as strings: the server knows each param's type and converts them, as for a trigger.
  const params = assignments(options.param ?? [], '--param', (value) => value);
  const result = await apiClient(deps, options).createSchedule({
    runbook,
    cron: options.cron,
    ...(Object.keys(params).length > 0 && { params }),
    ...(options.severity !== undefined && { severity: options.severity }),
    ...(options.timezone !== undefined && { timezone: options.timezone }),
    ...(options.id !== undefined && { id: options.id }),
    ...(options.note !== undefined && { note: options.note }),
    ...(options.allowDuplicate === true && { allowDuplicate: true }),
  });
  if (options.json) return printJson(deps, result);
  const { schedule } = result;
  const next = schedule.nextRun === undefined ? 'no run due' : `next run ${formatInstant(schedule.nextRun)}`;
  deps.out(`Created schedule ${schedule.scheduleId} for ${schedule.runbook}; ${next}\n`);
}

function registerUpdate(schedule: Command, deps: CliDeps): void {
  apiCommand(
    schedule
      .command('update')
      .description('change a schedule in place, keeping its runs and counters; the result is checked as at creation')
      .argument('<id>', 'schedule id')
      .option('--cron <expression>', 'a new cron expression')
      .option('--timezone <zone>', 'a new IANA time zone of the cron expression')
      .option('--no-timezone', 'read the cron expression in UTC again')
      .option('--param <name=value>', 'set or replace one param, repeatable; the other params are kept', collect)
      .option('--unset-param <name>', "remove one param, repeatable; the runbook's default then applies", collect)
      .option('--severity <severity>', "override the runbook's severity (sev1, sev2, sev3, sev4)")
      .option('--no-severity', "use the runbook's own severity again")
      .option('--note <text>', "replace the schedule's note"),
  ).action((id: string, options: UpdateOptions) => update(deps, id, options));
}

async function update(deps: CliDeps, id: string, options: UpdateOptions): Promise<void> {
  const body = updateRequest(options);
  if (Object.keys(body).length === 0) {
    throw new CliError(
      'nothing to change: give at least one of --cron, --timezone, --no-timezone, --param, --unset-param, ' +
        '--severity, --no-severity, --note',
      EXIT.invalid,
    );
  }
  const result = await apiClient(deps, options).updateSchedule(id, body);
  if (options.json) return printJson(deps, result);
  deps.out(`${renderScheduleChanges(id, result.changes)}\n${renderSchedule(result.schedule, new Date())}`);
}

/** The body of an update: only what the options change. */
function updateRequest(options: UpdateOptions): UpdateScheduleRequest {
  // Params go as strings, as for create: the server converts them to the declared types.
  const params = assignments(options.param ?? [], '--param', (value) => value);
  const unsetParams = options.unsetParam ?? [];
  return {
    ...(options.cron !== undefined && { cron: options.cron }),
    ...(options.timezone !== undefined && { timezone: options.timezone === false ? null : options.timezone }),
    ...(Object.keys(params).length > 0 && { params }),
    ...(unsetParams.length > 0 && { unsetParams }),
    ...(options.severity !== undefined && { severity: options.severity === false ? null : options.severity }),
    ...(options.note !== undefined && { note: options.note }),
  };
}

async function list(deps: CliDeps, options: Options): Promise<void> {
  const result = await apiClient(deps, options).listSchedules();
  if (options.json) return printJson(deps, result);
  deps.out(result.schedules.length === 0 ? 'no schedules\n' : renderScheduleList(result.schedules));
}

async function show(deps: CliDeps, id: string, options: Options): Promise<void> {
  const result = await apiClient(deps, options).getSchedule(id);
  if (options.json) return printJson(deps, result);
  deps.out(renderSchedule(result.schedule, new Date()));
}

async function setPaused(deps: CliDeps, id: string, paused: boolean, options: NoteOptions): Promise<void> {
  const result = await apiClient(deps, options).setSchedulePaused(id, paused, {
    ...(options.note !== undefined && { note: options.note }),
  });
  if (options.json) return printJson(deps, result);
  deps.out(`Schedule ${id} ${paused ? 'paused' : 'resumed'}\n`);
}

async function trigger(deps: CliDeps, id: string, options: Options): Promise<void> {
  const result = await apiClient(deps, options).triggerSchedule(id);
  if (options.json) return printJson(deps, result);
  deps.out(`Schedule ${id} triggered; see its run with: ${CLI} schedule show ${id}\n`);
}

async function remove(deps: CliDeps, id: string, options: Options): Promise<void> {
  const result = await apiClient(deps, options).deleteSchedule(id);
  if (options.json) return printJson(deps, result);
  deps.out(`Schedule ${id} deleted\n`);
}
