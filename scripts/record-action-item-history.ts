/**
 * Records the history of one action item watcher (`action-item:<id>`) for test/workflows/replay.test.ts, as
 * test/fixtures/histories/action-item-watch.json: a reminder and an overdue notice on timers, a `done` whose
 * verification incident completes with a failed step (the run fails, the item is reopened, the owner paged),
 * then won't-do, which ends the watcher. Watchers live for weeks, so a change that breaks this replay breaks
 * watchers in flight. Run `npx tsx scripts/record-action-item-history.ts` only when that is meant.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection } from '@temporalio/worker';
import { builtinActionCatalog } from '../src/actions/registry.js';
import { actionItemWorkflowId } from '../src/domain/action-items.js';
import { IncidentClient } from '../src/incidents/client.js';
import { prepareIncident } from '../src/incidents/prepare.js';
import { createLogger } from '../src/logging/logger.js';
import { signalItemChanged } from '../src/postmortems/action-item-watch.js';
import { lazyPostmortemStore, openPgliteStore, type ActionItem } from '../src/postmortems/store/index.js';
import { compileRunbookSources } from '../src/runbook/index.js';
import { createSecretCatalog } from '../src/secrets/declared.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createIncidentWorker } from '../src/worker/worker.js';
import { alice, projectRoot, quietTemporalRuntime, roster, testConfig } from '../harness/config.js';

const verifyRunbook = `
apiVersion: firebreak/v1
id: verify-fix
title: Verify the fix
version: 1
severity: sev4
roles:
  commander: {}
steps:
  - { id: check, title: Check by hand, task: Check it, assignee: role:commander }
  - id: probe
    title: Probe the service
    action: http.request
    with: { url: "http://127.0.0.1:1/health" }
    retry: { maxAttempts: 1 }
    onFailure: continue
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

quietTemporalRuntime();
const server = await startDevServer({
  projectRoot,
  logFile: path.join(mkdtempSync(path.join(tmpdir(), 'record-')), 'temporal.log'),
});
const connection = await Connection.connect({ address: server.address });
const native = await NativeConnection.connect({ address: server.address });
const taskQueue = 'record-histories';
const lazy = lazyPostmortemStore(() => openPgliteStore('memory'));
const config = {
  ...testConfig(server.address),
  // Short enough to record in seconds: remind 2s before the due date; the next overdue notice is an hour on.
  postmortems: {
    requiredFor: [],
    timeZone: 'UTC',
    blamelessWords: [],
    actionItems: { remindBefore: 2_000, overdueEvery: 3_600_000 },
  },
};
const worker = await createIncidentWorker({
  dataDir: mkdtempSync(path.join(tmpdir(), 'record-data-')),
  connection: native,
  config,
  logger: createLogger({ level: 'error' }),
  baseDir: projectRoot,
  env: {},
  taskQueue,
  postmortems: lazy,
});
const running = worker.run();
const client = new Client({ connection });
const incidents = new IncidentClient(client, taskQueue);
try {
  const store = await lazy.get();
  const [startedAt, endedAt] = ['2026-12-01T09:00:00.000Z', '2026-12-01T11:00:00.000Z'];
  const incident = {
    id: 'replay-incident',
    title: 'Outage',
    runbook: { id: 'outage', title: 'Outage', version: 1, contentHash: 'sha256:0' },
    severity: 'sev2' as const,
    params: {},
    triggeredBy: 'alice',
    startedAt,
    endedAt,
    durationMs: 7_200_000,
    outcome: 'completed' as const,
  };
  const { postmortem } = await store.createPostmortem({
    incidentId: incident.id,
    title: 'Health checks missed the outage',
    runbookId: incident.runbook.id,
    severity: incident.severity,
    startedAt,
    endedAt,
    outcome: 'completed',
    facts: {
      incident,
      impact: [],
      messages: [],
      timeline: [],
      durations: { toResolutionMs: 7_200_000, deadlines: [] },
      compensations: [],
      timeZone: 'UTC',
    },
    people: { facilitators: ['alice'], reviewers: [], audience: [] },
    tags: [],
    createdBy: 'alice',
    createdAt: '2026-12-01T12:00:00.000Z',
  });
  const now = () => new Date().toISOString();
  const watch = (item: ActionItem) => signalItemChanged({ client, taskQueue }, item);
  let item = await store.addActionItem({
    postmortemId: postmortem.id,
    title: 'Probe the service after deploys',
    owner: 'alice',
    dueAt: new Date(Date.now() + 4_000).toISOString(),
    priority: 'p2',
    verify: { runbook: 'verify-fix', params: {} },
    createdBy: 'alice',
    createdAt: now(),
  });
  await watch(item);
  await sleep(6_000); // the reminder, then the overdue notice

  const catalog = compileRunbookSources([{ file: 'verify-fix.yaml', bytes: new TextEncoder().encode(verifyRunbook) }], {
    actions: builtinActionCatalog,
  });
  const prepared = prepareIncident(
    catalog.runbooks,
    roster,
    { runbook: 'verify-fix', params: {}, actor: alice, dedupKey: `action-item:${item.id}` },
    createSecretCatalog(),
  );
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.problems));
  const { incidentId } = await incidents.trigger(prepared.start);
  const at = now();
  item = await store.updateActionItem(item.id, {
    baseVersion: item.version,
    actor: 'alice',
    at,
    patch: { status: 'done' },
    run: { incidentId, result: 'pending', at },
  });
  await watch(item);
  await sleep(1_000);
  for (;;) {
    const state = await incidents.state(incidentId);
    if (state.steps.find((step) => step.id === 'check')?.status === 'waiting') break;
    await sleep(100);
  }
  await incidents.completeTask(incidentId, { actor: alice, step: 'check' });
  for (;;) {
    const current = await store.getActionItem(item.id);
    if (current?.status === 'open') {
      item = current;
      break;
    }
    await sleep(200);
  }
  await sleep(2_000); // the page
  item = await store.updateActionItem(item.id, {
    baseVersion: item.version,
    actor: 'alice',
    at: now(),
    patch: { status: 'wont-do', statusReason: 'the service is retired' },
  });
  await watch(item);
  const handle = client.workflow.getHandle(actionItemWorkflowId(item.id));
  await handle.result();
  const history = await handle.fetchHistory();
  writeFileSync(
    path.join(projectRoot, 'test/fixtures/histories/action-item-watch.json'),
    `${historyToJSON(history)}\n`,
  );
  console.log(`recorded action-item-watch (${history.events?.length ?? 0} events)`);
} finally {
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await lazy.close();
  await server.stop();
}
