/**
 * `firebreak server`: the HTTP API alone, against the Temporal server in the configuration (workers run
 * separately with `firebreak worker`). Refuses to start with invalid runbooks; follows edits afterwards.
 */
import { ensurePrivateDirSync } from '../../storage/private-files.js';
import path from 'node:path';
import { createLogger, installTemporalLogging } from '../../logging/logger.js';
import { lazyEvidenceStore, openEvidenceStore } from '../../evidence/index.js';
import { lazyPostmortemStore, openPostmortemStore } from '../../postmortems/store/index.js';
import { loadCliConfig, type ConfigOptions } from '../config.js';
import { logSettings, type LogOptions } from '../log-options.js';
import { CliError, type CliDeps } from '../context.js';
import { formatIssueTable, plural } from '../output.js';
import { loadConfiguredRunbooks } from '../templates.js';
import { configSecretResolver, serveApi, statusPageFromConfig } from './api-runtime.js';
import { untilSignal } from './process.js';

export interface ServerOptions extends ConfigOptions, LogOptions {
  host: string;
  port: string;
  dataDir: string;
}

export async function server(deps: CliDeps, options: ServerOptions): Promise<void> {
  const logging = logSettings(deps, options); // a bad FIREBREAK_LOG_LEVEL is refused before anything starts
  const config = loadCliConfig(deps, options);
  // Read again by the API when these files change, so that an edit applies to the next trigger.
  const loadCatalog = () => loadConfiguredRunbooks(config, deps.actions);
  const catalog = await loadCatalog();
  if (catalog.issues.length > 0) {
    deps.err(formatIssueTable(catalog.issues, deps.cwd));
    throw new CliError(`${plural(catalog.issues.length, 'problem')} in the runbooks (listed above)`);
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliError(`--port must be a port number, got ${options.port}`);
  const dataDir = path.resolve(deps.cwd, options.dataDir);
  ensurePrivateDirSync(dataDir); // incidents and the audit log: owner only, even when it already existed wider
  const logger = createLogger(logging);
  installTemporalLogging(logger);
  const secrets = configSecretResolver(config, deps);
  // Opened on the first post-mortem request, not at start: a server that never serves one never locks it.
  const postmortems = lazyPostmortemStore(() => openPostmortemStore(config.store, { dataDir, secrets }));
  // Likewise the evidence store, on the first evidence request.
  const evidence = lazyEvidenceStore(() => openEvidenceStore(config, { dataDir, secrets }));
  const api = await serveApi({
    config,
    catalog,
    loadCatalog,
    watch: { runbooks: config.runbooks.dirs, templates: config.templates.dirs },
    temporalAddress: config.temporal.address,
    host: options.host,
    port,
    auditPath: path.join(dataDir, 'audit.jsonl'),
    webhookDeliveriesFile: path.join(dataDir, 'webhook-deliveries.jsonl'),
    logger,
    statusPage: await statusPageFromConfig(config, { dataDir, env: deps.env, cwd: deps.cwd }),
    configSecrets: secrets,
    postmortems,
    evidence,
  }).catch(async (error: unknown) => {
    await postmortems.close();
    await evidence.close();
    throw new CliError(error instanceof Error ? error.message : String(error));
  });
  logger.info({ url: api.url, runbooks: catalog.runbooks.size }, 'API listening');
  deps.out(`Firebreak API on ${api.url}/api/v1 (${plural(catalog.runbooks.size, 'runbook')}); Ctrl-C stops it\n`);
  try {
    await untilSignal();
  } finally {
    await api.close();
    await postmortems.close();
    await evidence.close();
  }
}
