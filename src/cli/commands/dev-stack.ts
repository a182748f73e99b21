/**
 * `firebreak dev`, the implementation (loaded only when the command runs): the embedded default. Starts a Temporal dev server persisting to SQLite under the
 * data directory, checks the runbooks, runs the worker, prints where to look and what to try, and stops
 * everything cleanly on Ctrl-C. A restart with the same data directory keeps the incidents.
 */
import { ensurePrivateDirSync } from '../../storage/private-files.js';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { formatMissingScripts, missingScripts } from '../../actions/command/missing-scripts.js';
import { outboxDir } from '../../channels/from-config.js';
import { configBaseDir, type FirebreakConfig } from '../../config/index.js';
import { createLogger, installTemporalLogging, type Logger } from '../../logging/logger.js';
import type { Plan } from '../../domain/plan.js';
import { lazyEvidenceStore, openEvidenceStore, type LazyEvidenceStore } from '../../evidence/index.js';
import { lazyPostmortemStore, openPostmortemStore, type LazyPostmortemStore } from '../../postmortems/store/index.js';
import type { RunbookCatalog } from '../../runbook/catalog.js';
import type { WatchedPaths } from '../../runbook/live-catalog.js';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { createIncidentWorker } from '../../worker/worker.js';
import { loadCliConfig, type ConfigOptions } from '../config.js';
import { logSettings, type LogOptions } from '../log-options.js';
import { CliError, type CliDeps } from '../context.js';
import { CLI, displayPath, formatIssueTable, plural } from '../output.js';
import { loadConfiguredRunbooks } from '../templates.js';
import { configSecretResolver, devAdmin, serveApi, statusPageFromConfig, type RunningApi } from './api-runtime.js';
import { projectRoot, untilSignal } from './process.js';

export interface DevOptions extends ConfigOptions, LogOptions {
  dataDir: string;
  port: string;
  temporalPort: string;
  uiPort: string;
  ui: boolean;
}

/** Runs the embedded stack until Ctrl-C. */
export async function dev(deps: CliDeps, options: DevOptions): Promise<void> {
  const logging = logSettings(deps, options); // a bad FIREBREAK_LOG_LEVEL is refused before anything starts
  const config = loadCliConfig(deps, options);
  // Like ./runbooks, ./templates is used when the configured template directories do not exist.
  const templatesHere = path.resolve(deps.cwd, 'templates');
  // Read again for every scheduled run, and by the API when the files change, so both use the runbook as it is then.
  const loadCatalog = () => loadConfiguredRunbooks(config, deps.actions, templatesHere);
  const catalog = await loadCatalog();
  if (catalog.issues.length > 0) {
    deps.err(formatIssueTable(catalog.issues, deps.cwd));
    throw new CliError(
      `${plural(catalog.issues.length, 'problem')} in the runbooks (listed above); fix them and start again`,
    );
  }
  const scriptsDir = config.actions.command.scriptsDir;
  deps.err(formatMissingScripts(missingScripts(planList(catalog), scriptsDir), displayPath(scriptsDir, deps.cwd)));
  const apiPort = parsePort(options.port, '--port');
  const dataDir = path.resolve(deps.cwd, options.dataDir);
  ensurePrivateDirSync(dataDir); // incidents and the audit log: owner only, even when it already existed wider
  const logger = createLogger(logging);
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
    await runStack({
      deps,
      server,
      config: { ...config, temporal: { ...config.temporal, address: server.address } },
      catalog,
      loadCatalog,
      watch: { runbooks: config.runbooks.dirs, templates: [...config.templates.dirs, templatesHere] },
      logger,
      dataDir,
      tokenFile: path.join(dataDir, 'admin.token'),
      apiPort,
      // One store for the worker and the API: the embedded one admits one opener per data directory.
      postmortems: lazyPostmortemStore(() =>
        openPostmortemStore(config.store, { dataDir, secrets: configSecretResolver(config, deps) }),
      ),
      // Likewise one evidence store: its embedded ledger admits one opener too.
      evidence: lazyEvidenceStore(() =>
        openEvidenceStore(config, { dataDir, secrets: configSecretResolver(config, deps) }),
      ),
    });
  } finally {
    await server.stop();
    deps.out('Stopped.\n');
  }
}

interface Stack {
  deps: CliDeps;
  server: DevServer;
  config: FirebreakConfig;
  catalog: RunbookCatalog;
  loadCatalog: () => Promise<RunbookCatalog>;
  /** The runbook and template files and directories the API follows. */
  watch: WatchedPaths;
  logger: Logger;
  dataDir: string;
  tokenFile: string;
  apiPort: number;
  /** The post-mortem store, opened on first use; the worker and the API share it, and it closes last. */
  postmortems: LazyPostmortemStore;
  /** The evidence store, opened on first use; shared and closed like the post-mortem store. */
  evidence: LazyEvidenceStore;
}

/** Runs the worker and the API until Ctrl-C, then stops them in order: API first, so no new work arrives. */
async function runStack(stack: Stack): Promise<void> {
  const { deps, server, config, catalog, logger } = stack;
  const admin = devAdmin(stack.tokenFile, catalog);
  const secrets = configSecretResolver(config, deps);
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const worker = await createIncidentWorker({
      connection,
      config,
      logger,
      baseDir: configBaseDir(config, deps.cwd),
      dataDir: stack.dataDir,
      runbooks: stack.loadCatalog,
      postmortems: stack.postmortems,
      evidence: stack.evidence,
      // Scheduled runs bind their plans to the same roster as the API's triggers: the dev admin included.
      extraUsers: [admin],
    });
    const running = worker.run();
    let api: RunningApi | undefined;
    try {
      api = await serveApi({
        config,
        catalog,
        loadCatalog: stack.loadCatalog,
        watch: stack.watch,
        temporalAddress: server.address,
        host: '127.0.0.1',
        port: stack.apiPort,
        auditPath: path.join(stack.dataDir, 'audit.jsonl'),
        webhookDeliveriesFile: path.join(stack.dataDir, 'webhook-deliveries.jsonl'),
        logger,
        extraUsers: [admin],
        // It reads every incident, including those of runbooks added after it was given its roles.
        admins: [admin.id],
        // The worker publishes to the same data directory, so /status shows what it sends.
        statusPage: await statusPageFromConfig(config, { dataDir: stack.dataDir, env: deps.env, cwd: deps.cwd }),
        configSecrets: secrets,
        // The same store as the worker's: the embedded one admits one opener per data directory.
        postmortems: stack.postmortems,
        evidence: stack.evidence,
      });
      deps.out(banner(stack, api.url));
      await Promise.race([untilSignal(), running]);
      deps.out('Shutting down ...\n');
    } finally {
      await api?.close();
      worker.shutdown();
      await running;
    }
  } finally {
    // After the API and the worker stopped.
    await stack.postmortems.close();
    await stack.evidence.close();
    await connection.close();
  }
}

function banner(stack: Stack, apiUrl: string): string {
  const runbooks = [...stack.catalog.runbooks.keys()].sort();
  const example = ['tabletop-credential-leak', 'credential-leak'].find((id) => runbooks.includes(id)) ?? runbooks[0];
  const lines = [
    '',
    'Firebreak is running.',
    `  API            ${apiUrl}/api/v1 (token in ${displayPath(stack.tokenFile, stack.deps.cwd)})`,
    `  Temporal       ${stack.server.address} (namespace default)`,
    `  Temporal UI    ${stack.server.uiUrl ?? 'off (--no-ui)'}`,
    `  Status page    ${apiUrl}/status`,
    `  Email          ${emailDestination(stack)}`,
    `  Runbooks       ${runbooks.length === 0 ? 'none found' : runbooks.join(', ')}`,
    '',
    // `firebreak` is on PATH only when installed globally; npx finds it in this package's node_modules/.bin.
    'Try next (in another terminal, in this directory):',
    ...cliEnvironment(stack, apiUrl),
    ...(example === undefined ? [] : [`  ${CLI} runbook show ${example}`, `  ${triggerExample(stack, example)}`]),
    `  ${CLI} incident list`,
    `  ${CLI} incident show <id>`,
    '',
    'Ctrl-C stops everything; incidents are kept for the next start.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/** Where e-mail goes: the SMTP server, or the `.eml` outbox when none is configured. */
function emailDestination(stack: Stack): string {
  const smtp = stack.config.channels?.email.smtp;
  if (smtp) return `SMTP ${smtp.host}:${smtp.port}`;
  return `written to ${displayPath(outboxDir(stack.dataDir), stack.deps.cwd)} (no SMTP configured: nothing is sent)`;
}

/** The exports the CLI needs when the API or the data directory is not the default. */
function cliEnvironment(stack: Stack, apiUrl: string): string[] {
  const lines: string[] = [];
  if (stack.apiPort !== 8080) lines.push(`  export FIREBREAK_URL=${apiUrl}`);
  if (path.resolve(stack.deps.cwd, '.firebreak') !== stack.dataDir)
    lines.push(`  export FIREBREAK_DATA_DIR=${stack.dataDir}`);
  return lines;
}

/** A trigger command for a runbook with a placeholder for each required param. */
function triggerExample(stack: Stack, runbookId: string): string {
  const params = stack.catalog.runbooks.get(runbookId)?.plan.params ?? {};
  const required = Object.entries(params).filter(([, spec]) => spec.required && spec.default === undefined);
  // A secret param takes the name of a secret declared in firebreak.yaml, never a value or a reference.
  const flags = required.map(
    ([name, spec]) => ` --param ${name}=<${spec.type === 'secret' ? 'declared secret' : name}>`,
  );
  return `${CLI} trigger ${runbookId}${flags.join('')}`;
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliError(`${flag} must be a port number (1-65535), got ${value}`);
  }
  return port;
}

/** The plans of a loaded catalog. */
export function planList(catalog: RunbookCatalog): Plan[] {
  return [...catalog.runbooks.values()].map((loaded) => loaded.plan);
}
