/**
 * `firebreak action-item list|show|add|update|done|wontdo`: post-mortem action items through the API.
 * Every change reads the item's current version first and sends it as `baseVersion`, so a change made by
 * someone else in between is refused (exit 5) instead of overwritten.
 */
import type { Command } from 'commander';
import { parseDuration } from '../../domain/duration.js';
import { actionItemApi, type ActionItem, type ActionItemFields } from '../api/action-items.js';
import { assignments } from '../api/arguments.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError, type CliDeps } from '../context.js';
import { table, terminalSafe } from '../output.js';
import { formatInstant } from '../render-time.js';

type Options = ApiOptions & JsonOption;
interface ListOptions extends Options {
  owner?: string;
  status?: string;
  overdue?: boolean;
  postmortem?: string;
  limit?: string;
}
interface FieldOptions extends Options {
  title?: string;
  owner?: string;
  due?: string;
  priority?: string;
  tracker?: string;
  verifyRunbook?: string;
  verifyParam?: string[];
}
interface UpdateOptions extends FieldOptions {
  status?: string;
  verify?: false;
}

/** Registers the `action-item` command group. */
export function registerActionItemCommands(program: Command, deps: CliDeps): void {
  const group = program.command('action-item').description("list, add and close post-mortems' action items");
  apiCommand(
    group
      .command('list')
      .description('action items of the post-mortems you may read, oldest first')
      .option('--owner <owner>', 'only of this owner: a roster id, role:<name>, or me (you in person and the roles you hold)')
      .option('--status <status>', 'open, in-progress, done, verified or wont-do')
      .option('--overdue', 'only open or in-progress items past their due date')
      .option('--postmortem <id>', 'only of this post-mortem')
      .option('--limit <n>', 'at most this many'),
  ).action((options: ListOptions) => list(deps, options));
  apiCommand(
    group.command('show').description('show an action item and its verification runs').argument('<id>'),
  ).action((id: string, options: Options) => show(deps, id, options));
  apiCommand(
    fieldOptions(
      group
        .command('add')
        .description('add an action item to a post-mortem')
        .argument('<postmortem>')
        .requiredOption('--title <text>', 'what is to be done')
        .requiredOption('--owner <owner>', 'a roster id or role:<name>')
        .option('-q, --quiet', 'print only the item id, for ITEM=$(npx firebreak action-item add ... --quiet)'),
    ),
  ).action((postmortem: string, options: FieldOptions & { quiet?: boolean }) => add(deps, postmortem, options));
  apiCommand(
    fieldOptions(
      group
        .command('update')
        .description('change an action item (on the version read just before)')
        .argument('<id>')
        .option('--title <text>', 'what is to be done')
        .option('--owner <owner>', 'a roster id or role:<name>')
        .option('--status <status>', 'open or in-progress (done and wontdo have their own commands)')
        .option('--no-verify', 'remove the verification'),
    ),
  ).action((id: string, options: UpdateOptions) => update(deps, id, options));
  apiCommand(
    group
      .command('done')
      .description('mark an item done; with a verification, start its runbook as an incident')
      .argument('<id>')
      .option('--reason <text>', 'a note for the record')
      .option(
        '--wait [limit]',
        'wait for the verification to settle (up to 30m, or this long): exit 0 verified, 1 reopened',
      ),
  ).action((id: string, options: DoneOptions) => done(deps, id, options));
  apiCommand(
    group
      .command('wontdo')
      .description("close an item as won't-do")
      .argument('<id>')
      .requiredOption('--reason <text>', 'why it will not be done'),
  ).action((id: string, options: Options & { reason: string }) => wontdo(deps, id, options));
}

function fieldOptions(command: Command): Command {
  return command
    .option('--due <when>', 'due in a duration (7d, 2w) or at an ISO 8601 instant; none clears it on update')
    .option('--priority <p>', 'p1, p2, p3 (the default) or p4')
    .option('--tracker <url>', 'the issue tracker link; none clears it on update')
    .option('--verify-runbook <id>', 'a runbook whose successful run proves the fix: done starts it')
    .option('--verify-param <name=value>', 'a param of the verification runbook (repeatable)', collect, []);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function list(deps: CliDeps, options: ListOptions): Promise<void> {
  const { owner, status, postmortem, limit } = options;
  const result = await actionItemApi(apiClient(deps, options)).list({
    owner,
    status,
    postmortem,
    limit,
    ...(options.overdue === true ? { overdue: 'true' } : {}),
  });
  if (options.json) return printJson(deps, result);
  if (result.truncated) deps.err('warning: only the oldest items were searched for ones you may read\n');
  deps.out(result.items.length === 0 ? 'no action items\n' : renderList(result.items));
}

async function show(deps: CliDeps, id: string, options: Options): Promise<void> {
  const item = await actionItemApi(apiClient(deps, options)).get(id);
  if (options.json) return printJson(deps, { item });
  deps.out(renderItem(item));
}

async function add(deps: CliDeps, postmortem: string, options: FieldOptions & { quiet?: boolean }): Promise<void> {
  const fields = fieldsOf(options, false);
  const item = await actionItemApi(apiClient(deps, options)).add(postmortem, fields);
  if (options.json) return printJson(deps, { item });
  if (options.quiet) return deps.out(`${item.id}\n`);
  deps.out(`Added action item ${item.id} to post-mortem ${item.postmortemId}\n`);
}

async function update(deps: CliDeps, id: string, options: UpdateOptions): Promise<void> {
  const fields: ActionItemFields = {
    ...fieldsOf(options, true),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.verify === false ? { verify: null } : {}),
  };
  if (options.verify === false && options.verifyRunbook !== undefined) {
    throw new CliError('--no-verify and --verify-runbook contradict each other: give one', EXIT.invalid);
  }
  if (Object.keys(fields).length === 0) throw new CliError('nothing to change: give at least one option', EXIT.invalid);
  const api = actionItemApi(apiClient(deps, options));
  const current = await api.get(id);
  const item = await api.update(id, { baseVersion: current.version, ...fields });
  if (options.json) return printJson(deps, { item });
  deps.out(`Updated action item ${item.id}: version ${item.version}\n`);
}

interface DoneOptions extends Options {
  reason?: string;
  /** `true` (the flag alone) or how long to wait. */
  wait?: string | boolean;
}

/** How long `done --wait` waits for a verification by default, and how often it looks. */
const WAIT_DEFAULT_MS = 30 * 60_000;
const WAIT_POLL_MS = 2_000;

async function done(deps: CliDeps, id: string, options: DoneOptions): Promise<void> {
  const waitMs = waitLimitOf(options.wait);
  const api = actionItemApi(apiClient(deps, options));
  const current = await api.get(id);
  const result = await api.done(id, {
    baseVersion: current.version,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  const incidentId = result.verificationIncidentId;
  if (waitMs === undefined || incidentId === undefined) {
    if (options.json) return printJson(deps, result);
    return deps.out(
      incidentId === undefined
        ? `Action item ${id} is done\n`
        : `Action item ${id} is done; verifying it: incident ${incidentId} started\n`,
    );
  }
  if (!options.json) deps.out(`Action item ${id} is done; verifying it: incident ${incidentId} started, waiting\n`);
  const settled = await settledRun(api, id, incidentId, waitMs);
  if (options.json) printJson(deps, { ...result, item: settled.item });
  else if (settled.result === 'passed') deps.out(`Verified: incident ${incidentId} passed\n`);
  if (settled.result === 'failed') {
    const why = settled.item.statusReason ?? `see firebreak incident show ${incidentId}`;
    throw new CliError(`the verification failed, so action item ${id} is open again: ${why}`, EXIT.failure);
  }
}

function waitLimitOf(wait: string | boolean | undefined): number | undefined {
  if (wait === undefined || wait === false) return undefined;
  if (wait === true) return WAIT_DEFAULT_MS;
  const ms = parseDuration(wait);
  if (ms === undefined) throw new CliError(`--wait takes a duration (10m, 1h), got ${wait}`, EXIT.invalid);
  return ms;
}

/** Polls the item until its run of `incidentId` has passed or failed (the watcher settles it), or the limit. */
async function settledRun(
  api: ReturnType<typeof actionItemApi>,
  id: string,
  incidentId: string,
  limitMs: number,
): Promise<{ item: ActionItem; result: 'passed' | 'failed' }> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const item = await api.get(id);
    const run = item.runs.find((r) => r.incidentId === incidentId && r.result !== 'pending');
    if (run !== undefined) return { item, result: run.result === 'passed' ? 'passed' : 'failed' };
    if (Date.now() >= deadline) {
      throw new CliError(
        `incident ${incidentId} has not settled action item ${id} yet: look again with firebreak action-item show ${id}`,
        EXIT.unreachable,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

async function wontdo(deps: CliDeps, id: string, options: Options & { reason: string }): Promise<void> {
  const api = actionItemApi(apiClient(deps, options));
  const current = await api.get(id);
  const item = await api.wontdo(id, { baseVersion: current.version, reason: options.reason });
  if (options.json) return printJson(deps, { item });
  deps.out(`Action item ${item.id} closed as won't-do\n`);
}

/** The fields the options give; on update, `none` clears the due date and tracker link. */
function fieldsOf(options: FieldOptions, updating: boolean): ActionItemFields {
  const clears = (text: string | undefined) => updating && text === 'none';
  const params = assignments(options.verifyParam ?? [], '--verify-param', (value) => value);
  if (options.verifyRunbook === undefined && Object.keys(params).length > 0) {
    throw new CliError('--verify-param needs --verify-runbook (the runbook the params are for)', EXIT.invalid);
  }
  return {
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.owner === undefined ? {} : { owner: options.owner }),
    ...(options.due === undefined ? {} : { dueAt: clears(options.due) ? null : dueOf(options.due) }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.tracker === undefined ? {} : { trackerUrl: clears(options.tracker) ? null : options.tracker }),
    ...(options.verifyRunbook === undefined ? {} : { verify: { runbook: options.verifyRunbook, params } }),
  };
}

/** A due date: a duration from now (7d) or an ISO 8601 date or instant. */
function dueOf(text: string): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(Date.now() + ms).toISOString();
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(at)) return new Date(at).toISOString();
  throw new CliError(`--due must be a duration (7d, 12h, 2w) or an ISO 8601 date, got ${text}`, EXIT.invalid);
}

function renderList(items: readonly ActionItem[]): string {
  return table([
    ['ID', 'STATUS', 'PRIORITY', 'OWNER', 'DUE', 'POSTMORTEM', 'TITLE'],
    ...items.map((item) => [
      item.id,
      item.status,
      item.priority,
      item.owner,
      item.dueAt === undefined ? '-' : formatInstant(item.dueAt),
      item.postmortemId,
      item.title,
    ]),
  ]);
}

function renderItem(item: ActionItem): string {
  const lines = [
    `${item.title}  (${item.status}${item.statusReason === undefined ? '' : `: ${item.statusReason}`})`,
    `  id          ${item.id} (version ${item.version})`,
    `  post-mortem ${item.postmortemId}`,
    `  owner       ${item.owner}`,
    `  priority    ${item.priority}`,
    ...(item.dueAt === undefined ? [] : [`  due         ${formatInstant(item.dueAt)}`]),
    ...(item.trackerUrl === undefined ? [] : [`  tracker     ${item.trackerUrl}`]),
    ...(item.verify === undefined
      ? []
      : [`  verify      ${item.verify.runbook} ${JSON.stringify(item.verify.params)}`]),
    ...item.runs.map((run) => `  run         ${run.incidentId}: ${run.result} (${formatInstant(run.at)})`),
  ];
  return `${lines.map((line) => terminalSafe(line)).join('\n')}\n`;
}
