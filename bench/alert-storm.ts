/**
 * An alert storm through the generic webhook: a bounded loopback client (fixed concurrency) sends signed
 * deliveries of a few distinct alerts, interleaved, to the real API on its own dev server and worker.
 * Afterwards every alert must have exactly one incident and every delivery must be on a timeline. The
 * floor is the same client against a trivial route that verifies the HMAC and answers 200, in the same
 * run. The client runs in a process of its own (alert-storm-client.ts), like an external load generator. Prints readable figures, then one JSON line.
 *
 *   npm run bench:alert-storm [-- --deliveries 5000 --alerts 50 --concurrency 128]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import Fastify, { type FastifyInstance } from 'fastify';
import { verifySignature } from '../src/alerts/signature.js';
import { WebhooksConfigSchema } from '../src/config/index.js';
import { IncidentClient } from '../src/incidents/client.js';
import { createLogger, installTemporalLogging } from '../src/logging/logger.js';
import { buildApp } from '../src/server/app.js';
import { createFileAuditLog } from '../src/server/audit.js';
import { createSecretResolver } from '../src/secrets/resolver.js';
import { builtinActionCatalog } from '../src/actions/registry.js';
import { compileRunbookSources } from '../src/runbook/index.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createIncidentWorker, workflowsEntry } from '../src/worker/worker.js';
import { projectRoot, testConfig } from '../harness/config.js';
import type { StormJob, StormResult } from './alert-storm-client.js';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '5000' },
    alerts: { type: 'string', default: '50' },
    // Group commit coalesces deliveries of one alert that are in flight together; with 50 alerts, 128 in
    // flight gives it about 2.5 per alert. `--concurrency 64` shows the nearly unbatched case.
    concurrency: { type: 'string', default: '128' },
  },
});
const total = Number(values.deliveries);
const alertCount = Number(values.alerts);
const concurrency = Number(values.concurrency);
const runId = randomBytes(4).toString('hex');
const secret = randomBytes(32).toString('hex');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const runbook = `
apiVersion: firebreak/v1
id: storm
title: Alert storm
version: 1
severity: sev2
params:
  host: { type: string, required: true }
roles:
  commander: {}
steps:
  - { id: triage, title: Triage, task: "Triage \${{ params.host }}", assignee: role:commander }
`;

/** Runs the load client in its own process (see alert-storm-client.ts) and returns what it measured. */
function storm(port: number, urlPath: string, prefix: string, count: number): Promise<StormResult> {
  const job: StormJob = { port, path: urlPath, prefix, runId, secret, count, alerts: alertCount, concurrency };
  const child = fork(path.join(import.meta.dirname, 'alert-storm-client.ts'), [], {
    env: { ...process.env, ALERT_STORM_JOB: JSON.stringify(job) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as StormResult));
    child.once('exit', (code) => reject(new Error(`the load client exited with code ${code ?? 'null'}`)));
  });
}

/** The floor: a bare fastify route that verifies the signature over the raw body and answers 200. */
async function floorApp(): Promise<FastifyInstance> {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/floor', async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verified = verifySignature({ headers: req.headers, body: raw }, { secrets: [secret] });
    return reply.code(verified.ok ? 200 : 401).send({ ok: verified.ok });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(index, 0)] ?? NaN) * 10) / 10;
}

function port(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return address.port;
}

const logger = createLogger({ level: 'error' });
installTemporalLogging(logger, 'ERROR');
const workDir = mkdtempSync(path.join(tmpdir(), 'bench-storm-'));
const server = await startDevServer({ projectRoot, logFile: path.join(workDir, 'temporal.log') });
const connection = await Connection.connect({ address: server.address });
const native = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection: native });
const bundle = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: quiet });
writeFileSync(path.join(workDir, 'workflows.js'), bundle.code);
const config = testConfig(server.address);
const worker = await createIncidentWorker({
  connection: native,
  config,
  logger,
  baseDir: projectRoot,
  env: {},
  taskQueue: 'bench-storm',
  workflowBundlePath: path.join(workDir, 'workflows.js'),
});
const running = worker.run();
const incidents = new IncidentClient(client, 'bench-storm');
writeFileSync(path.join(workDir, 'webhook.secret'), secret);
const compiled = compileRunbookSources([{ file: 'storm.yaml', bytes: new TextEncoder().encode(runbook) }], {
  actions: builtinActionCatalog,
});
const plan = compiled.runbooks.get('storm')?.plan;
if (!plan) throw new Error(JSON.stringify(compiled.issues));
const app = await buildApp({
  config: {
    ...config,
    users: [],
    webhooks: WebhooksConfigSchema.parse({
      generic: { secrets: [`file:${path.join(workDir, 'webhook.secret')}`] },
      routes: [
        { receiver: 'generic', match: 'alert.kind == "storm"', runbook: 'storm', params: { host: 'alert.host' } },
      ],
    }),
  },
  runbooks: { get: (id) => (id === 'storm' ? { file: 'storm.yaml', plan } : undefined), list: () => [] },
  temporal: { client, namespace: 'default', taskQueue: 'bench-storm' },
  incidents,
  audit: createFileAuditLog(path.join(workDir, 'audit.jsonl')),
  logger,
  configSecrets: createSecretResolver({ env: {}, baseDir: workDir }),
});
await app.listen({ host: '127.0.0.1', port: 0 });
const floor = await floorApp();

try {
  // Warm-up on both paths (connections, JIT, caches); the warm-up alerts are kept apart from the measured ones.
  await storm(port(floor), '/floor', 'warm', 500);
  await storm(port(app), '/api/v1/webhooks/generic', 'warm', 200);
  const floorRun = await storm(port(floor), '/floor', 'floor', total);
  const measured = await storm(port(app), '/api/v1/webhooks/generic', 'storm', total);

  const answered = measured.statuses['200'] ?? 0;
  const open = await Promise.all(
    Array.from({ length: alertCount }, (_, alert) => incidents.openIncidentFor(`storm-${runId}-${alert}`)),
  );
  const incidentIds = new Set(open.filter((id): id is string => id !== null));
  const states = await Promise.all([...incidentIds].map((id) => incidents.state(id)));
  const recorded = states.reduce((sum, state) => sum + (state.alerts ?? 0), 0);
  const latencies = [...measured.latencies].sort((a, b) => a - b);
  const floorLatencies = [...floorRun.latencies].sort((a, b) => a - b);
  const perSecond = Math.round(total / (measured.ms / 1000));
  const floorPerSecond = Math.round(total / (floorRun.ms / 1000));
  const p = (p: number) => percentile(latencies, p);

  console.log(
    `Alert storm: ${total} signed generic deliveries of ${alertCount} alerts (interleaved), ${concurrency} in flight`,
  );
  console.log(
    `  machine         ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  console.log(`  deliveries/s    ${perSecond} (${Math.round(measured.ms)} ms in all; target >= 500)`);
  console.log(`  latency ms      p50 ${p(50)}   p95 ${p(95)}   p99 ${p(99)}`);
  console.log(
    `  floor           ${floorPerSecond}/s, p50 ${percentile(floorLatencies, 50)} ms, p99 ${percentile(floorLatencies, 99)} ms (HTTP + HMAC only)`,
  );
  console.log(`  answered 2xx    ${answered} of ${total}`);
  console.log(
    `  incidents       ${incidentIds.size} open for ${alertCount} alerts (${measured.incidentIds.length} distinct in the answers)`,
  );
  console.log(`  recorded        ${recorded} alert deliveries on their timelines, ${total - recorded} lost`);
  console.log(
    JSON.stringify({
      deliveries: total,
      alerts: alertCount,
      concurrency,
      answered,
      incidents: incidentIds.size,
      recorded,
      lost: total - recorded,
      per_s: perSecond,
      p50_ms: p(50),
      p95_ms: p(95),
      p99_ms: p(99),
      floor_per_s: floorPerSecond,
      floor_p99_ms: percentile(floorLatencies, 99),
    }),
  );
} finally {
  await floor.close();
  await app.close();
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await server.stop();
}
