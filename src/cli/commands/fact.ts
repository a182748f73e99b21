/** `firebreak fact set`: record one fact on an incident, confirmed or suspected. */
import type { Command } from 'commander';
import { parseFactValue, splitAssignment } from '../api/arguments.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import type { CliDeps } from '../context.js';

interface SetOptions extends ApiOptions, JsonOption {
  suspected?: boolean;
}

/** Registers the `fact` command group. */
export function registerFactCommands(program: Command, deps: CliDeps): void {
  const fact = program.command('fact').description('record what responders have established');
  apiCommand(
    fact
      .command('set')
      .description('set a fact; the value is read as JSON when it is JSON (5, true, ["a","b"]), else as text')
      .argument('<id>', 'incident id')
      .argument('<name=value>', 'the fact and its value')
      .option('--suspected', 'record it as suspected, not confirmed'),
  ).action((id: string, assignment: string, options: SetOptions) => set(deps, id, assignment, options));
}

async function set(deps: CliDeps, id: string, assignment: string, options: SetOptions): Promise<void> {
  const [name, text] = splitAssignment(assignment, 'fact');
  const value = parseFactValue(text);
  const result = await apiClient(deps, options).setFact(id, {
    name,
    value,
    ...(options.suspected === true && { confirmed: false }),
  });
  if (options.json) return printJson(deps, result);
  const status = options.suspected === true ? 'suspected' : 'confirmed';
  deps.out(`Set fact ${name} = ${JSON.stringify(value)} (${status}) on incident ${id}\n`);
}
