/**
 * Records the histories replayed by test/workflows/replay.test.ts: starts a dev server and a worker,
 * runs each scenario in harness/history-scenarios.ts to its end, and writes its history as JSON.
 * Recording keeps what is there: `npm run record-histories -- <name>...` records only the named scenarios
 * (new ones). Re-record an existing one only when a change is meant to be incompatible with runs in flight.
 */
import { createSecretCatalog } from '../src/secrets/declared.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection } from '@temporalio/worker';
import { SCENARIO_TEMPLATES, scenarios } from '../harness/history-scenarios.js';
import { loadTemplateDirs } from '../src/templating/index.js';
import { builtinActionCatalog } from '../src/actions/registry.js';
import { IncidentClient } from '../src/incidents/client.js';
import { prepareIncident } from '../src/incidents/prepare.js';
import { createLogger } from '../src/logging/logger.js';
import { compileRunbookSources } from '../src/runbook/index.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createIncidentWorker } from '../src/worker/worker.js';
import { postmortemWorkflowId } from '../src/domain/postmortem.js';
import { lazyPostmortemStore, openPgliteStore } from '../src/postmortems/store/index.js';
import { alice, projectRoot, quietTemporalRuntime, roster, testConfig } from '../harness/config.js';

quietTemporalRuntime();
const out = path.join(projectRoot, 'test/fixtures/histories');
const server = await startDevServer({
  projectRoot,
  logFile: path.join(mkdtempSync(path.join(tmpdir(), 'record-')), 'temporal.log'),
});
const connection = await Connection.connect({ address: server.address });
const native = await NativeConnection.connect({ address: server.address });
const taskQueue = 'record-histories';
const only = process.argv.slice(2);
const unknown = only.filter((name) => !scenarios.some((scenario) => scenario.name === name));
if (unknown.length > 0) throw new Error(`no scenario ${unknown.join(', ')}`);
const templates = await loadTemplateDirs([path.join(projectRoot, SCENARIO_TEMPLATES)]);
const postmortems = lazyPostmortemStore(() => openPgliteStore('memory'));
const worker = await createIncidentWorker({
  dataDir: mkdtempSync(path.join(tmpdir(), 'record-data-')),
  connection: native,
  config: testConfig(server.address),
  logger: createLogger({ level: 'error' }),
  baseDir: projectRoot,
  env: {},
  taskQueue,
  postmortems,
});
const running = worker.run();
const client = new Client({ connection });
const incidents = new IncidentClient(client, taskQueue);
try {
  for (const scenario of scenarios.filter((entry) => only.length === 0 || only.includes(entry.name))) {
    const sources = scenario.runbooks.map((text, i) => ({
      file: `${scenario.name}-${i}.yaml`,
      bytes: new TextEncoder().encode(text),
    }));
    const catalog = compileRunbookSources(sources, { actions: builtinActionCatalog, templates });
    if (catalog.issues.length > 0) throw new Error(`${scenario.name}: ${JSON.stringify(catalog.issues)}`);
    const prepared = prepareIncident(
      catalog.runbooks,
      roster,
      {
        runbook: scenario.name,
        params: scenario.params,
        actor: alice,
      },
      createSecretCatalog(),
    );
    if (!prepared.ok) throw new Error(`${scenario.name}: ${JSON.stringify(prepared.problems)}`);
    const { incidentId } = await incidents.trigger(prepared.start, `replay-${scenario.name}`);
    const waitFor = async (step: string) => {
      for (;;) {
        const state = await incidents.state(incidentId).catch(() => undefined);
        if (state?.steps.find((s) => s.id === step)?.status === 'waiting') return state;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await scenario.drive(incidents, incidentId, waitFor);
    await incidents.result(incidentId).catch(() => undefined);
    const history = await client.workflow.getHandle(incidentId).fetchHistory();
    writeFileSync(path.join(out, `${scenario.name}.json`), `${historyToJSON(history)}\n`);
    console.log(`recorded ${scenario.name} (${history.events?.length ?? 0} events)`);
    if (scenario.postmortem === true) {
      // The post-mortem workflow the closing incident started, as a history of its own.
      const handle = client.workflow.getHandle(postmortemWorkflowId(incidentId));
      await handle.result();
      const drafted = await handle.fetchHistory();
      writeFileSync(path.join(out, `${scenario.name}.postmortem.json`), `${historyToJSON(drafted)}\n`);
      console.log(`recorded ${scenario.name}.postmortem (${drafted.events?.length ?? 0} events)`);
    }
  }
} finally {
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await postmortems.close();
  await server.stop();
}
