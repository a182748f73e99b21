/**
 * `firebreak worker`: runs the incident worker against the Temporal server in the configuration, for
 * deployments where Temporal runs elsewhere. Checks the search attributes first, since starting an
 * incident fails without them.
 */
import { ensurePrivateDirSync } from '../../storage/private-files.js';
import path from 'node:path';
import { formatMissingScripts, missingScripts } from '../../actions/command/missing-scripts.js';
import { configBaseDir } from '../../config/index.js';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createLogger, installTemporalLogging } from '../../logging/logger.js';
import { lazyEvidenceStore, openEvidenceStore } from '../../evidence/index.js';
import { lazyPostmortemStore, openPostmortemStore } from '../../postmortems/store/index.js';
import { createSecretResolver } from '../../secrets/resolver.js';
import { missingSearchAttributes } from '../../temporal/search-attributes.js';
import { createIncidentWorker } from '../../worker/worker.js';
import { loadCliConfig, type ConfigOptions } from '../config.js';
import { logSettings, type LogOptions } from '../log-options.js';
import { CliError, type CliDeps } from '../context.js';
import { loadConfiguredRunbooks } from '../templates.js';
import { untilSignal } from './process.js';

/** Options of `firebreak worker`. */
export interface WorkerOptions extends ConfigOptions, LogOptions {
  /** The `.eml` outbox and the default blob store (status page) live here. */
  dataDir: string;
}

/** Runs the incident worker until Ctrl-C. */
export async function worker(deps: CliDeps, options: WorkerOptions): Promise<void> {
  const logging = logSettings(deps, options); // a bad FIREBREAK_LOG_LEVEL is refused before anything starts
  const config = loadCliConfig(deps, options);
  const { address, namespace } = config.temporal;
  const client = await Connection.connect({ address }).catch((error: unknown) => {
    throw new CliError(
      `cannot reach Temporal at ${address}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  try {
    const missing = await missingSearchAttributes(client, namespace);
    if (missing.length > 0) {
      throw new CliError(
        `namespace ${namespace} lacks the search attributes ${missing.join(', ')}; create them with: ${missing
          .map(
            (name) =>
              `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`,
          )
          .join(' && ')}`,
      );
    }
  } finally {
    await client.close();
  }
  const loadCatalog = () => loadConfiguredRunbooks(config, deps.actions);
  const scriptsDir = config.actions.command.scriptsDir;
  const plans = [...(await loadCatalog()).runbooks.values()].map((loaded) => loaded.plan);
  deps.err(formatMissingScripts(missingScripts(plans, scriptsDir), scriptsDir));
  const dataDir = path.resolve(deps.cwd, options.dataDir);
  ensurePrivateDirSync(dataDir); // outgoing mail and published pages: owner only, even when it already existed wider
  const logger = createLogger(logging);
  installTemporalLogging(logger);
  const connection = await NativeConnection.connect({ address });
  const secrets = createSecretResolver({ env: deps.env, baseDir: configBaseDir(config, deps.cwd) });
  // Opened when the first incident that needs a post-mortem closes, and closed once the worker has stopped.
  const postmortems = lazyPostmortemStore(() => openPostmortemStore(config.store, { dataDir, secrets }));
  // Opened by the first capture or verify, and closed once the worker has stopped.
  const evidence = lazyEvidenceStore(() => openEvidenceStore(config, { dataDir, secrets }));
  try {
    const incidentWorker = await createIncidentWorker({
      connection,
      config,
      logger,
      baseDir: configBaseDir(config, deps.cwd),
      dataDir,
      // Read again for every scheduled run, so that a schedule runs the runbook as it is then.
      runbooks: loadCatalog,
      postmortems,
      evidence,
    });
    const running = incidentWorker.run();
    logger.info({ address, namespace }, 'worker polling');
    await Promise.race([untilSignal(), running]);
    incidentWorker.shutdown();
    await running;
  } finally {
    await postmortems.close();
    await evidence.close();
    await connection.close();
  }
}
