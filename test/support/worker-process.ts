/**
 * A worker in its own process, so a test can kill it with SIGKILL mid-incident the way a crashed host
 * would. Configured by environment: TEMPORAL_ADDRESS, TASK_QUEUE, WORKFLOW_BUNDLE; and, for burn-down
 * steps, DOCKER_PROVIDER_HOST (a `docker` infra provider named `docker` on that daemon), EVIDENCE_BLOB_DIR
 * and EVIDENCE_LEDGER_URL (an evidence store: a filesystem blob store in that directory, its custody ledger
 * on that PostgreSQL, which a killed process leaves unlocked, unlike an embedded ledger). Its custody
 * records name it `<pid>@<host>`, the pid its parent sees.
 */
import { NativeConnection } from '@temporalio/worker';
import { InfraConfigSchema } from '../../src/config/infra-schema.js';
import { lazyEvidenceStore } from '../../src/evidence/lazy.js';
import { createSqlEvidenceStore } from '../../src/evidence/open.js';
import { infraProvidersFromConfig } from '../../src/infra/from-config.js';
import { createLogger } from '../../src/logging/logger.js';
import { createPgClient } from '../../src/postmortems/store/pg-client.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { createIncidentWorker } from '../../src/worker/worker.js';
import { projectRoot, quietTemporalRuntime, testConfig } from '../../harness/config.js';

const address = process.env.TEMPORAL_ADDRESS!;
const { DOCKER_PROVIDER_HOST: dockerHost, EVIDENCE_BLOB_DIR: blobDir, EVIDENCE_LEDGER_URL: ledgerUrl } = process.env;
if ((blobDir === undefined) !== (ledgerUrl === undefined)) {
  throw new Error('worker-process: set both EVIDENCE_BLOB_DIR and EVIDENCE_LEDGER_URL, or neither');
}
const evidence =
  blobDir === undefined || ledgerUrl === undefined
    ? undefined
    : lazyEvidenceStore(async () =>
        createSqlEvidenceStore(
          await createFsStore({ dir: blobDir }),
          createPgClient(ledgerUrl, { label: 'evidence ledger' }),
        ),
      );
const infra =
  dockerHost === undefined
    ? undefined
    : infraProvidersFromConfig(
        InfraConfigSchema.parse({ providers: { docker: { kind: 'docker', host: dockerHost } } }),
        {
          secrets: createSecretResolver({ env: {}, baseDir: projectRoot }),
        },
      );

quietTemporalRuntime();
const connection = await NativeConnection.connect({ address });
const worker = await createIncidentWorker({
  connection,
  config: testConfig(address),
  logger: createLogger({ level: 'error' }),
  baseDir: projectRoot,
  env: {},
  taskQueue: process.env.TASK_QUEUE!,
  workflowBundlePath: process.env.WORKFLOW_BUNDLE!,
  // A killed worker's sticky queue is abandoned quickly, so the next worker picks the run up at once.
  tuning: { stickyQueueScheduleToStartTimeout: '1s' },
  ...(evidence === undefined ? {} : { evidence }),
  ...(infra === undefined ? {} : { infra }),
});
process.stdout.write('worker ready\n');
await worker.run();
// Stopped without a kill: close what it opened.
await evidence?.close();
