/**
 * `firebreak dev`: the embedded default. Starts a Temporal dev server persisting to SQLite under the
 * data directory, checks the runbooks, runs the worker, prints where to look and what to try, and stops
 * everything cleanly on Ctrl-C. A restart with the same data directory keeps the incidents.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { createLogger, installTemporalLogging } from '../../logging/logger.js';
import { loadRunbookDirs } from '../../runbook/loader.js';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { createIncidentWorker } from '../../worker/worker.js';
import { collect, loadCliConfig, type ConfigOptions } from '../config.js';
import { CliError, type CliDeps } from '../context.js';
import { displayPath, formatIssueTable, plural } from '../output.js';
import { projectRoot, untilSignal } from './process.js';

interface DevOptions extends ConfigOptions {
  dataDir: string;
  temporalPort: string;
  uiPort: string;
  ui: boolean;
}

/** Registers `firebreak dev`. */
export function registerDevCommand(program: Command, deps: CliDeps): void {
  program
    .command('dev')
    .description('run Firebreak locally: Temporal dev server (SQLite), worker, runbooks from ./runbooks')
    .option('--data-dir <dir>', 'where incidents persist', '.firebreak')
    .option('--runbooks <dir>', 'extra runbook directory, repeatable (./runbooks is always loaded)', collect)
    .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
    .option('--temporal-port <port>', 'Temporal gRPC port', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port', '8233')
    .option('--no-ui', 'do not serve the Temporal Web UI')
    .action((options: DevOptions) => dev(deps, options));
}

async function dev(deps: CliDeps, options: DevOptions): Promise<void> {
  const config = loadCliConfig(deps, { ...options, runbooks: ['runbooks', ...(options.runbooks ?? [])] });
  const catalog = await loadRunbookDirs(config.runbooks.dirs, { actions: deps.actions });
  if (catalog.issues.length > 0) {
    deps.err(formatIssueTable(catalog.issues, deps.cwd));
    throw new CliError(
      `${plural(catalog.issues.length, 'problem')} in the runbooks (listed above); fix them and start again`,
    );
  }
  const dataDir = path.resolve(deps.cwd, options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logger = createLogger({ level: deps.env.FIREBREAK_LOG_LEVEL ?? 'info' });
  installTemporalLogging(logger);
  deps.out(`Starting Temporal (data in ${displayPath(dataDir, deps.cwd)}) ...\n`);
  const server = await startDevServer({
    projectRoot: projectRoot(),
    ip: '127.0.0.1',
    port: parsePort(options.temporalPort, '--temporal-port'),
    ...(options.ui ? { uiPort: parsePort(options.uiPort, '--ui-port') } : {}),
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    logFile: path.join(dataDir, 'temporal.log'),
  }).catch((error: unknown) => {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)} (is another Temporal server using port ${options.temporalPort}? try --temporal-port)`,
    );
  });
  try {
    await runWorker(deps, server, config, logger, [...catalog.runbooks.keys()].sort());
  } finally {
    await server.stop();
    deps.out('Stopped.\n');
  }
}

async function runWorker(
  deps: CliDeps,
  server: DevServer,
  config: Parameters<typeof createIncidentWorker>[0]['config'],
  logger: ReturnType<typeof createLogger>,
  runbooks: string[],
): Promise<void> {
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const worker = await createIncidentWorker({
      connection,
      config: { ...config, temporal: { ...config.temporal, address: server.address } },
      logger,
      baseDir: config.source ? path.dirname(config.source) : deps.cwd,
    });
    const running = worker.run();
    deps.out(banner(server, runbooks));
    await Promise.race([untilSignal(), running]);
    deps.out('Shutting down ...\n');
    worker.shutdown();
    await running;
  } finally {
    await connection.close();
  }
}

function banner(server: DevServer, runbooks: string[]): string {
  const example = runbooks.includes('credential-leak') ? 'credential-leak' : (runbooks[0] ?? '<id>');
  const lines = [
    '',
    'Firebreak is running.',
    `  Temporal       ${server.address} (namespace default)`,
    `  Temporal UI    ${server.uiUrl ?? 'off (--no-ui)'}`,
    `  Runbooks       ${runbooks.length === 0 ? 'none found' : runbooks.join(', ')}`,
    '',
    'Try next:',
    '  firebreak runbook list',
    '      the runbooks loaded, with versions and severities',
    `  firebreak runbook show ${example}`,
    '      its steps, roles, params and deadlines',
    '  firebreak runbook validate runbooks/',
    '      check runbooks before an incident (every problem, with file:line:col)',
    '',
    'Ctrl-C stops everything; incidents are kept for the next start.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliError(`${flag} must be a port number (1-65535), got ${value}`);
  return port;
}
