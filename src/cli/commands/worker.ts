/** `firebreak worker`: options only; the implementation is loaded when the command runs. */
import type { Command } from 'commander';
import { dataDirOption } from '../config.js';
import type { CliDeps } from '../context.js';
import { withLogOptions } from '../log-options.js';
import type { WorkerOptions } from './worker-run.js';

/** Registers `firebreak worker`. */
export function registerWorkerCommand(program: Command, deps: CliDeps): void {
  withLogOptions(
    program
      .command('worker')
      .description('run the incident worker against the configured Temporal server')
      .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
      .addOption(dataDirOption(deps, 'where the .eml outbox and the default blob store (status page) live')),
  ).action(async (options: WorkerOptions) => (await import('./worker-run.js')).worker(deps, options));
}
