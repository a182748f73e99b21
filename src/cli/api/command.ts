/** What every command that talks to the API shares: the `--url`/`--token-file` options and JSON output. */
import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

/** The `--json` option of commands that print data. */
export interface JsonOption {
  json?: boolean;
}

/** Adds `--url`, `--token-file`, `--json` and the exit-code table to an API command. */
export function apiCommand(command: Command): Command {
  return command
    .option('--json', 'print the API answer as JSON')
    .option('--url <url>', 'Firebreak API address (default: $FIREBREAK_URL or http://127.0.0.1:8080)')
    .option(
      '--token-file <path>',
      'read the API token from this file (default: $FIREBREAK_TOKEN, else admin.token in the data directory)',
    )
    .addHelpText('after', EXIT_CODES_HELP);
}

/** Prints a value as indented JSON on stdout. */
export function printJson(deps: CliDeps, value: unknown): void {
  deps.out(`${JSON.stringify(value, null, 2)}\n`);
}
