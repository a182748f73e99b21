/** `firebreak decide`: record a decision the runbook waits for (or that starts a deadline). */
import type { Command } from 'commander';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import type { CliDeps } from '../context.js';

interface DecideOptions extends ApiOptions, JsonOption {
  option?: string;
}

/** Registers `firebreak decide`. */
export function registerDecideCommand(program: Command, deps: CliDeps): void {
  apiCommand(
    program
      .command('decide')
      .description('record a decision, with its option when it has options (without, it records the time)')
      .argument('<id>', 'incident id')
      .argument('<decision>', 'decision name, as the runbook declares it')
      .option('--option <option>', 'the option chosen'),
  ).action((id: string, decision: string, options: DecideOptions) => decide(deps, id, decision, options));
}

async function decide(deps: CliDeps, id: string, decision: string, options: DecideOptions): Promise<void> {
  const result = await apiClient(deps, options).recordDecision(id, {
    decision,
    ...(options.option !== undefined && { option: options.option }),
  });
  if (options.json) return printJson(deps, result);
  const what = options.option !== undefined ? `${decision} = ${options.option}` : decision;
  deps.out(`Recorded decision ${what} on incident ${id}\n`);
}
