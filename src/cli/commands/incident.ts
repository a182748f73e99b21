/** `firebreak incident list|show|wait|cancel`: reading, waiting for and stopping incidents through the API. */
import type { Command } from 'commander';
import type { IncidentFilter } from '../api/client.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import type { IncidentSummary } from '../api/schemas.js';
import { CliError, type CliDeps } from '../context.js';
import { EXIT } from '../api/exit-codes.js';
import { parseDuration } from '../../domain/duration.js';
import { table } from '../output.js';
import { renderIncident } from '../render-incident.js';
import { formatInstant } from '../render-time.js';

type ListOptions = ApiOptions & JsonOption & IncidentFilter & { all?: boolean };

interface WaitOptions extends ApiOptions, JsonOption {
  timeout: string;
  step?: string;
}

/** Step statuses after which `incident wait --step` stops waiting. */
const STEP_SETTLED = new Set(['waiting', 'succeeded', 'failed', 'skipped', 'timed_out', 'cancelled']);

interface CancelOptions extends ApiOptions, JsonOption {
  reason?: string;
}

/** Registers the `incident` command group. */
export function registerIncidentCommands(program: Command, deps: CliDeps): void {
  const incident = program.command('incident').description('list, show and cancel incidents');
  apiCommand(
    incident
      .command('list')
      .description('list incidents, newest first (scheduled jobs such as backups and drills only when asked)')
      .option('--status <status>', 'only incidents with this status (running, completed, failed, aborted, cancelled)')
      .option('--runbook <id>', 'only incidents of this runbook')
      .option('--severity <severity>', 'only incidents of this severity')
      .option('--kind <kind>', 'incident (default), job (scheduled backups and drills) or all')
      .option('--all', 'incidents and scheduled jobs (--kind all)')
      .option('--limit <n>', 'at most this many'),
  ).action((options: ListOptions) => list(deps, options));
  apiCommand(
    incident
      .command('show')
      .description('show an incident: steps, waiting actions, approvals, facts, deadlines, timeline')
      .argument('<id>', 'incident id'),
  ).action((id: string, options: ApiOptions & JsonOption) => show(deps, id, options));
  apiCommand(
    incident
      .command('wait')
      .description(
        'wait until an incident is no longer running (exits 0 when it completed, 1 when it ended otherwise), or with --step until that step waits for people or is done',
      )
      .argument('<id>', 'incident id')
      .option('--step <id>', 'wait only until this step is waiting for people, or finished')
      .option('--timeout <duration>', 'give up after this long (exits 6)', '5m'),
  ).action((id: string, options: WaitOptions) => wait(deps, id, options));
  apiCommand(
    incident
      .command('cancel')
      .description('stop an incident; compensations do not run (a cancel stops the response, it does not undo it)')
      .argument('<id>', 'incident id')
      .option('--reason <text>', 'why, for the timeline'),
  ).action((id: string, options: CancelOptions) => cancel(deps, id, options));
}

async function list(deps: CliDeps, options: ListOptions): Promise<void> {
  const { status, runbook, severity, limit } = options;
  if (options.all === true && options.kind !== undefined && options.kind !== 'all') {
    throw new CliError(`--all lists every kind; it cannot be given with --kind ${options.kind}`, EXIT.invalid);
  }
  const kind = options.all === true ? 'all' : options.kind;
  const result = await apiClient(deps, options).listIncidents({ status, runbook, severity, kind, limit });
  if (options.json) return printJson(deps, result);
  if (result.truncated === true) {
    deps.err(
      'warning: only the newest matching incidents were searched for ones you may read; narrow with --runbook or --status\n',
    );
  }
  if (result.incidents.length === 0) {
    const filtered = [status, runbook, severity].some((value) => value !== undefined);
    const what = kind === 'job' ? 'jobs' : kind === 'all' ? 'incidents or jobs' : 'incidents';
    deps.out(filtered ? `no ${what} match\n` : `no ${what}\n`);
    return;
  }
  // A list of every kind says which each run is; a list of one kind needs no column for it.
  const mixed = kind === 'all';
  const header = ['ID', 'RUNBOOK', ...(mixed ? ['KIND'] : []), 'SEVERITY', 'STATUS', 'STARTED', 'CLOSED'];
  deps.out(table([header, ...result.incidents.map((incident) => listRow(incident, mixed))]));
}

function listRow(incident: IncidentSummary, withKind: boolean): string[] {
  return [
    incident.incidentId,
    incident.runbook,
    ...(withKind ? [incident.kind ?? 'incident'] : []),
    incident.severity,
    incident.status,
    formatInstant(incident.startedAt),
    incident.closedAt ? formatInstant(incident.closedAt) : '',
  ];
}

async function show(deps: CliDeps, id: string, options: ApiOptions & JsonOption): Promise<void> {
  const result = await apiClient(deps, options).getIncident(id);
  if (options.json) return printJson(deps, result);
  deps.out(renderIncident(result.incident, new Date()));
}

/** How often `incident wait` asks. */
const WAIT_POLL_MS = 1_000;

async function wait(deps: CliDeps, id: string, options: WaitOptions): Promise<void> {
  const limitMs = parseDuration(options.timeout);
  if (limitMs === undefined) throw new CliError(`--timeout takes a duration (30s, 10m), got ${options.timeout}`, EXIT.invalid);
  const api = apiClient(deps, options);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const result = await api.getIncident(id);
    const { status } = result.incident;
    if (options.step !== undefined) {
      const step = result.incident.steps.find((each) => each.id === options.step);
      if (step === undefined) throw new CliError(`incident ${id} has no step ${options.step}`, EXIT.notFound);
      if (STEP_SETTLED.has(step.status) || status !== 'running') {
        if (options.json) printJson(deps, { incidentId: id, status, step: step.id, stepStatus: step.status });
        else deps.out(`${id} ${step.id} ${step.status}\n`);
        return;
      }
    } else if (status !== 'running') {
      if (options.json) printJson(deps, { incidentId: id, status });
      else deps.out(`${id} ${status}\n`);
      if (status !== 'completed') throw new CliError(`incident ${id} ended ${status}: see firebreak incident show ${id}`, EXIT.failure);
      return;
    }
    if (Date.now() >= deadline) {
      const waiting = result.incident.pending.map((pending) => `${pending.kind} ${pending.step}`);
      throw new CliError(
        `incident ${id} is still running after ${options.timeout}${waiting.length > 0 ? `, waiting for ${waiting.join(', ')}` : ''}`,
        EXIT.unreachable,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

async function cancel(deps: CliDeps, id: string, options: CancelOptions): Promise<void> {
  const result = await apiClient(deps, options).cancelIncident(id, {
    ...(options.reason !== undefined && { reason: options.reason }),
  });
  if (options.json) return printJson(deps, result);
  deps.out(`Cancel requested for incident ${id}\n`);
}
