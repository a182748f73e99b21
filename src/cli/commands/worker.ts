/** `firebreak worker`: options only; the implementation is loaded when the command runs. */
import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import type { WorkerOptions } from './worker-run.js';

/** Registers `firebreak worker`. */
export function registerWorkerCommand(program: Command, deps: CliDeps): void {
  program
    .command('worker')
    .description('run the incident worker against the configured Temporal server')
    .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
    .option('--data-dir <dir>', 'where the .eml outbox and the default blob store (status page) live', '.firebreak')
    .action(async (options: WorkerOptions) => (await import('./worker-run.js')).worker(deps, options));
}
