/** `firebreak server`: options only; the implementation is loaded when the command runs. */
import type { Command } from 'commander';
import { collect, RUNBOOKS_OPTION_HELP, dataDirOption } from '../config.js';
import type { CliDeps } from '../context.js';
import { withLogOptions } from '../log-options.js';
import type { ServerOptions } from './server-run.js';

/** Registers `firebreak server`. */
export function registerServerCommand(program: Command, deps: CliDeps): void {
  withLogOptions(
    program
      .command('server')
      .description('serve the HTTP API against the configured Temporal server')
      .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
      .option('--runbooks <dir>', RUNBOOKS_OPTION_HELP, collect)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port to listen on', '8080')
      .addOption(dataDirOption(deps, 'where the audit log and, by default, the status page blobs live')),
  ).action(async (options: ServerOptions) => (await import('./server-run.js')).server(deps, options));
}
