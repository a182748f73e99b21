/** `firebreak dev`: options only; the stack is loaded when the command runs, so other commands start fast. */
import type { Command } from 'commander';
import { collect, RUNBOOKS_OPTION_HELP, dataDirOption } from '../config.js';
import type { CliDeps } from '../context.js';
import { withLogOptions } from '../log-options.js';
import type { DevOptions } from './dev-stack.js';

/** Registers `firebreak dev`. */
export function registerDevCommand(program: Command, deps: CliDeps): void {
  withLogOptions(
    program
      .command('dev')
      .description(
        'run Firebreak locally: Temporal dev server (SQLite), worker and API over the runbooks (default ./runbooks)',
      )
      .addOption(dataDirOption(deps, 'where incidents, the audit log and the dev admin token live'))
      .option('--runbooks <dir>', RUNBOOKS_OPTION_HELP, collect)
      .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
      .option('--port <port>', 'API port on 127.0.0.1', '8080')
      .option('--temporal-port <port>', 'Temporal gRPC port', '7233')
      .option('--ui-port <port>', 'Temporal Web UI port', '8233')
      .option('--no-ui', 'do not serve the Temporal Web UI'),
  ).action(async (options: DevOptions) => (await import('./dev-stack.js')).dev(deps, options));
}
