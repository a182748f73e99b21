/** `firebreak task complete`: finish a waiting task step, with the facts it establishes. */
import type { Command } from 'commander';
import type { FactInput } from '../../domain/state.js';
import { assignments, parseFactValue } from '../api/arguments.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import { collect } from '../config.js';
import { CliError, type CliDeps } from '../context.js';

interface CompleteOptions extends ApiOptions, JsonOption {
  fact?: string[];
  suspected?: string[];
  note?: string;
}

/** Registers the `task` command group. */
export function registerTaskCommands(program: Command, deps: CliDeps): void {
  const task = program.command('task').description('act on human task steps');
  apiCommand(
    task
      .command('complete')
      .description('complete a waiting task step')
      .argument('<id>', 'incident id')
      .argument('<step>', 'task step id')
      .option(
        '--fact <name=value>',
        'a fact the task establishes, repeatable; the value is read as JSON when it is JSON (5, true, ["a","b"]), else as text',
        collect,
      )
      .option('--suspected <name>', 'record this --fact as suspected rather than confirmed, repeatable', collect)
      .option('--note <text>', 'a note for the timeline'),
  ).action((id: string, step: string, options: CompleteOptions) => complete(deps, id, step, options));
}

async function complete(deps: CliDeps, id: string, step: string, options: CompleteOptions): Promise<void> {
  const facts = taskFacts(options.fact ?? [], options.suspected ?? []);
  const result = await apiClient(deps, options).completeTask(id, step, {
    ...(Object.keys(facts).length > 0 && { facts }),
    ...(options.note !== undefined && { note: options.note }),
  });
  if (options.json) return printJson(deps, result);
  deps.out(`Completed task ${step} on incident ${id}\n`);
}

/** The `--fact` values, with the ones named by `--suspected` sent as not confirmed. */
function taskFacts(facts: readonly string[], suspected: readonly string[]): Record<string, FactInput> {
  const values = assignments(facts, '--fact', parseFactValue);
  const result: Record<string, FactInput> = {};
  for (const [name, value] of Object.entries(values)) result[name] = { value };
  for (const name of suspected) {
    const fact = result[name];
    if (fact === undefined) throw new CliError(`--suspected ${name}: no --fact ${name}=<value> is given`, EXIT.invalid);
    fact.confirmed = false;
  }
  return result;
}
