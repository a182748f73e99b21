/**
 * A worker in its own process, so a test can kill it with SIGKILL mid-incident the way a crashed host
 * would. Configured by environment: TEMPORAL_ADDRESS, TASK_QUEUE, WORKFLOW_BUNDLE.
 */
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../../src/logging/logger.js';
import { createIncidentWorker } from '../../src/worker/worker.js';
import { projectRoot, quietTemporalRuntime, testConfig } from '../../harness/config.js';

const address = process.env.TEMPORAL_ADDRESS!;
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
});
process.stdout.write('worker ready\n');
await worker.run();
