/**
 * Trigger-to-first-action latency of incidents, beside the same figure for a bare Temporal workflow
 * calling one no-op activity on the same server in the same run (the floor), plus a burst of incidents
 * started at once, which must all complete exactly once. Prints readable figures, then one JSON line.
 *
 *   npm run bench:trigger-latency [-- --runs 200 --burst 200]
 */
import { createSecretCatalog } from '../src/secrets/declared.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { builtinActions, createActionRegistry } from '../src/actions/registry.js';
import type { ActionDefinition } from '../src/actions/types.js';
import { IncidentClient } from '../src/incidents/client.js';
import { prepareIncident } from '../src/incidents/prepare.js';
import { createLogger, installTemporalLogging } from '../src/logging/logger.js';
import { compileRunbookSources } from '../src/runbook/index.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createIncidentWorker, workflowsEntry } from '../src/worker/worker.js';
import { z } from 'zod';
import { alice, projectRoot, roster, testConfig } from '../harness/config.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '200' }, burst: { type: 'string', default: '200' } },
});
const runs = Number(values.runs);
const burst = Number(values.burst);

/** When each run's first action (or the floor's activity) started, by workflow id. */
const marks = new Map<string, number[]>();
const mark = (id: string) => marks.set(id, [...(marks.get(id) ?? []), performance.now()]);

const benchMark: ActionDefinition = {
  name: 'bench.mark',
  description: 'Records when it ran (benchmark only)',
  input: z.strictObject({}),
  execute: (_input, ctx) => {
    mark(ctx.incidentId);
    return Promise.resolve({ output: null });
  },
};

const runbook = `
apiVersion: firebreak/v1
id: bench
title: Benchmark incident
version: 1
severity: sev3
roles:
  commander: {}
params:
  host: { type: string, default: web-1 }
steps:
  - { id: first, title: First action, action: bench.mark, with: {} }
  - { id: note, title: Note, action: timeline.note, with: { text: "contained \${{ params.host }}" } }
`;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(index, 0)] ?? NaN) * 10) / 10;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

const logger = createLogger({ level: 'error' });
installTemporalLogging(logger, 'ERROR');
const server = await startDevServer({
  projectRoot,
  logFile: path.join(mkdtempSync(path.join(tmpdir(), 'bench-')), 'temporal.log'),
});
const connection = await Connection.connect({ address: server.address });
const native = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection });
const config = testConfig(server.address);
const catalog = createActionRegistry([
  ...builtinActions({ http: config.actions.http, command: config.actions.command }),
  benchMark,
]);
const compiled = compileRunbookSources([{ file: 'bench.yaml', bytes: new TextEncoder().encode(runbook) }], {
  actions: catalog,
});
const compiledPlan = compiled.runbooks.get('bench')?.plan;
if (!compiledPlan) throw new Error(JSON.stringify(compiled.issues));
const plan = compiledPlan;

const [incidentBundle, floorBundle] = await Promise.all([
  bundleWorkflowCode({
    workflowsPath: workflowsEntry(),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  }),
  bundleWorkflowCode({
    workflowsPath: path.join(projectRoot, 'bench/floor-workflow.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  }),
]);
const bundleDir = mkdtempSync(path.join(tmpdir(), 'bench-bundle-'));
writeFileSync(path.join(bundleDir, 'incident.js'), incidentBundle.code);
const incidentWorker = await createIncidentWorker({
  connection: native,
  config,
  logger,
  baseDir: projectRoot,
  env: {},
  taskQueue: 'bench-incidents',
  workflowBundlePath: path.join(bundleDir, 'incident.js'),
  extraActions: [benchMark],
});
const floorWorker = await Worker.create({
  connection: native,
  taskQueue: 'bench-floor',
  workflowBundle: floorBundle,
  activities: { noop: (input: { id: string }) => Promise.resolve(void mark(input.id)) },
});
const running = Promise.all([incidentWorker.run(), floorWorker.run()]);
const incidents = new IncidentClient(client, 'bench-incidents');

async function triggerIncident(id: string): Promise<void> {
  const prepared = prepareIncident(
    new Map([['bench', { plan }]]),
    roster,
    {
      runbook: 'bench',
      params: { host: id },
      actor: alice,
    },
    createSecretCatalog(),
  );
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.problems));
  await incidents.trigger(prepared.start, id);
}

/** Waits (at most 60 s) for a run's mark; polls with setImmediate so the wait adds no timer granularity. */
async function untilMarked(id: string): Promise<number> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const at = marks.get(id)?.[0];
    if (at !== undefined) return at;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${id} never reached its first action within 60 s`);
}

try {
  // Warm up both paths (bundles loaded, connections open, caches filled).
  for (let i = 0; i < 10; i++) {
    await triggerIncident(`warm-incident-${i}`);
    await client.workflow.start('floorWorkflow', {
      taskQueue: 'bench-floor',
      workflowId: `warm-floor-${i}`,
      args: [{ id: `warm-floor-${i}` }],
    });
    await Promise.all([untilMarked(`warm-incident-${i}`), untilMarked(`warm-floor-${i}`)]);
  }
  const incidentLatencies: number[] = [];
  const floorLatencies: number[] = [];
  // Interleaved, one at a time, so both see the same server load.
  for (let i = 0; i < runs; i++) {
    const incidentId = `lat-incident-${i}`;
    let start = performance.now();
    await triggerIncident(incidentId);
    incidentLatencies.push((await untilMarked(incidentId)) - start);
    const floorId = `lat-floor-${i}`;
    start = performance.now();
    await client.workflow.start('floorWorkflow', {
      taskQueue: 'bench-floor',
      workflowId: floorId,
      args: [{ id: floorId }],
    });
    floorLatencies.push((await untilMarked(floorId)) - start);
  }

  // A burst: every incident started at once; each must complete, and run its first action exactly once.
  const burstIds = Array.from({ length: burst }, (_, i) => `burst-${i}`);
  const burstStart = performance.now();
  await Promise.all(burstIds.map((id) => triggerIncident(id)));
  const results = await Promise.allSettled(burstIds.map((id) => incidents.result(id)));
  const burstMs = performance.now() - burstStart;
  const completed = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'completed').length;
  const duplicated = burstIds.filter((id) => (marks.get(id)?.length ?? 0) > 1).length;

  const incident = summary(incidentLatencies);
  const floor = summary(floorLatencies);
  const ratio = Math.round((incident.p95 / floor.p95) * 100) / 100;
  console.log(`Trigger-to-first-action latency over ${runs} incidents (ms), Temporal dev server on loopback`);
  console.log(
    `  machine         ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  console.log(`  incident        p50 ${incident.p50}   p95 ${incident.p95}   p99 ${incident.p99}`);
  console.log(
    `  floor           p50 ${floor.p50}   p95 ${floor.p95}   p99 ${floor.p99}   (bare workflow, one no-op activity)`,
  );
  console.log(`  ratio p95       ${ratio}x (target: within 1.5x)`);
  console.log(
    `Burst of ${burst} incidents started at once: ${completed} completed, ${burst - completed} lost, ${duplicated} ran their first action twice, ${Math.round(burstMs)} ms`,
  );
  console.log(
    JSON.stringify({
      runs,
      p50_ms: incident.p50,
      p95_ms: incident.p95,
      p99_ms: incident.p99,
      floor_p50_ms: floor.p50,
      floor_p95_ms: floor.p95,
      floor_p99_ms: floor.p99,
      ratio_p95: ratio,
      started: burst,
      completed,
      lost: burst - completed,
      duplicated,
      burst_ms: Math.round(burstMs),
    }),
  );
} finally {
  incidentWorker.shutdown();
  floorWorker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await server.stop();
}
