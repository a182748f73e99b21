/** `firebreak worker`: options only; the implementation is loaded when the command runs. */
import type { Command } from 'commander';
import type { ConfigOptions } from '../config.js';
import type { CliDeps } from '../context.js';

/** Registers `firebreak worker`. */
export function registerWorkerCommand(program: Command, deps: CliDeps): void {
  program
    .command('worker')
    .description('run the incident worker against the configured Temporal server')
    .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
    .action(async (options: ConfigOptions) => (await import('./worker-run.js')).worker(deps, options));
}
