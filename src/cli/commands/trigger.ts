/** `firebreak trigger`: start an incident from a runbook through the API. */
import type { Command } from 'commander';
import { assignments } from '../api/arguments.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { collect } from '../config.js';
import type { CliDeps } from '../context.js';

interface TriggerOptions extends ApiOptions, JsonOption {
  param?: string[];
  severity?: string;
  dedupKey?: string;
  quiet?: boolean;
}

/** Registers `firebreak trigger`. */
export function registerTriggerCommand(program: Command, deps: CliDeps): void {
  apiCommand(
    program
      .command('trigger')
      .description('start an incident from a runbook (or join the open one with the same --dedup-key)')
      .argument('<runbook>', 'runbook id')
      .option(
        '--param <name=value>',
        'a runbook param, repeatable; the server converts it to the declared type',
        collect,
      )
      .option('--severity <severity>', "override the runbook's severity (sev1, sev2, sev3, sev4)")
      .option('--dedup-key <key>', 'join the open incident with this key instead of starting another')
      .option('-q, --quiet', 'print only the incident id, for ID=$(npx firebreak trigger ... --quiet)'),
  ).action((runbook: string, options: TriggerOptions) => trigger(deps, runbook, options));
}

async function trigger(deps: CliDeps, runbook: string, options: TriggerOptions): Promise<void> {
  // Params go as strings: the server knows each param's type and converts ("5" to 5, "a,b" to a list).
  const params = assignments(options.param ?? [], '--param', (value) => value);
  const client = apiClient(deps, options);
  const result = await client.trigger({
    runbook,
    ...(Object.keys(params).length > 0 && { params }),
    ...(options.severity !== undefined && { severity: options.severity }),
    ...(options.dedupKey !== undefined && { dedupKey: options.dedupKey }),
  });
  if (options.json) return printJson(deps, result);
  if (options.quiet) return deps.out(`${result.incidentId}\n`);
  if (result.created) deps.out(`Started incident ${result.incidentId}\n`);
  else if (options.dedupKey !== undefined)
    deps.out(`Incident ${result.incidentId} is already open for dedup key ${options.dedupKey}\n`);
  else deps.out(`Incident ${result.incidentId} is already open\n`);
}
