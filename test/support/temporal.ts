/**
 * Helpers for tests against the real dev server started by global-setup: a client, a worker on a task
 * queue unique to the test file, runbooks compiled from YAML by the real compiler, and polling helpers.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import type { ActionDefinition } from '../../src/actions/types.js';
import type { Plan } from '../../src/domain/plan.js';
import type { IncidentState } from '../../src/domain/state.js';
import { IncidentClient } from '../../src/incidents/client.js';
import { createLogger } from '../../src/logging/logger.js';
import type { MessageRouter } from '../../src/channels/types.js';
import type { FirebreakConfig } from '../../src/config/index.js';
import type { LazyPostmortemStore } from '../../src/postmortems/store/index.js';
import type { RunbookCatalog } from '../../src/runbook/catalog.js';
import { compileRunbookSources } from '../../src/runbook/index.js';
import { loadTemplateDirs, type TemplateCatalog } from '../../src/templating/index.js';
import { createIncidentWorker } from '../../src/worker/worker.js';
import type { EvidenceStore } from '../../src/evidence/evidence-store.js';
import type { InfraProviders } from '../../src/infra/from-config.js';
import { projectRoot, quietTemporalRuntime, startInput, testConfig } from '../../harness/config.js';
import { eventually } from './poll.js';

export * from '../../harness/config.js';

export interface TestEnv {
  client: Client;
  incidents: IncidentClient;
  taskQueue: string;
  address: string;
  worker: Worker;
  workerRun: Promise<void>;
  /** Compiles YAML runbooks (the first is the one returned) with the real compiler. */
  compile(yaml: string, ...children: string[]): Plan;
  /** Prepares and triggers an incident of a compiled plan. */
  trigger(
    plan: Plan,
    params?: Record<string, unknown>,
    options?: { dedupKey?: string; severity?: string },
  ): Promise<string>;
  close(): Promise<void>;
}

/** How a test file wants its worker and compiler. */
export interface TestEnvOptions {
  env?: Record<string, string>;
  extraActions?: ActionDefinition[];
  /** Adjusts the test config (channels, storage) before the worker is built. */
  configure?: (config: FirebreakConfig) => FirebreakConfig;
  /** Template directories `compile` embeds messages from (notify steps). */
  templates?: string[];
  /** The channels messages go through, instead of those built from the config. */
  messages?: MessageRouter;
  /** The worker's data directory (the .eml outbox and the filesystem blob store live there). */
  dataDir?: string;
  /** Loads the runbooks scheduled runs prepare their incidents from. */
  runbooks?: () => Promise<RunbookCatalog>;
  /** The post-mortem store closing incidents are drafted into (the test closes it). */
  postmortems?: LazyPostmortemStore;
  /** The evidence store `infra.capture` writes to and `infra.destroy` verifies (the test closes it). */
  evidence?: { get(): Promise<EvidenceStore> };
  /** The infrastructure providers, instead of those built from the config. */
  infra?: InfraProviders;
}

/** Connects to the shared dev server and runs a worker on a task queue of this test file's own. */
export async function startTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  quietTemporalRuntime();
  const address = inject('temporalAddress');
  const taskQueue = `test-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const config = (options.configure ?? ((base) => base))(testConfig(address));
  const templates = options.templates ? await loadTemplateDirs(options.templates) : undefined;
  if (templates && templates.problems.length > 0) throw new Error(JSON.stringify(templates.problems));
  const worker = await createIncidentWorker({
    connection: nativeConnection,
    config,
    logger: createLogger({ level: 'error' }),
    baseDir: projectRoot,
    env: options.env ?? {},
    taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    ...(options.extraActions ? { extraActions: options.extraActions } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.messages ? { messages: options.messages } : {}),
    ...(options.runbooks ? { runbooks: options.runbooks } : {}),
    ...(options.postmortems ? { postmortems: options.postmortems } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}),
    ...(options.infra ? { infra: options.infra } : {}),
  });
  const workerRun = worker.run();
  const incidents = new IncidentClient(client, taskQueue);
  return {
    client,
    incidents,
    taskQueue,
    address,
    worker,
    workerRun,
    compile: (yaml, ...children) => compileYamlWith(templates, yaml, ...children),
    async trigger(plan, params = {}, extra = {}) {
      const start = startInput(plan, params, extra, config.secrets);
      const { incidentId } = await incidents.trigger(start, `it-${randomUUID()}`);
      return incidentId;
    },
    async close() {
      worker.shutdown();
      await workerRun;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Compiles YAML runbooks with the built-in action catalog; throws with every issue when invalid. */
export function compileYaml(yaml: string, ...children: string[]): Plan {
  return compileYamlWith(undefined, yaml, ...children);
}

/** Compiles YAML runbooks, embedding `notify` messages from `templates`. */
export function compileYamlWith(templates: TemplateCatalog | undefined, yaml: string, ...children: string[]): Plan {
  const sources = [yaml, ...children].map((text, index) => ({
    file: `test-${index}.yaml`,
    bytes: new TextEncoder().encode(text),
  }));
  const catalog = compileRunbookSources(sources, {
    actions: builtinActionCatalog,
    ...(templates ? { templates } : {}),
  });
  if (catalog.issues.length > 0)
    throw new Error(catalog.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.path} ${i.message}`).join('\n'));
  const id = catalog.declaredIds.get('test-0.yaml');
  const plan = id === undefined ? undefined : catalog.runbooks.get(id)?.plan;
  if (!plan) throw new Error('runbook did not compile');
  return plan;
}

/** Polls the incident state until `predicate` holds (or fails with the last state seen). */
export async function waitForState(
  incidents: IncidentClient,
  incidentId: string,
  predicate: (state: IncidentState) => boolean,
  timeoutMs = 30_000,
): Promise<IncidentState> {
  let last: IncidentState | undefined;
  return eventually(
    async () => {
      // Throws until the first workflow task has run; eventually retries it.
      last = await incidents.state(incidentId);
      return predicate(last) ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 100,
      what: () => `state never matched; last: ${JSON.stringify(last, null, 1)?.slice(0, 4000)}`,
    },
  );
}

/** Waits until a step is in a status. */
export function waitForStep(
  incidents: IncidentClient,
  incidentId: string,
  step: string,
  status: string,
  timeoutMs?: number,
) {
  return waitForState(incidents, incidentId, (s) => s.steps.find((x) => x.id === step)?.status === status, timeoutMs);
}

/** A step's state record (throws when absent). */
export function stepOf(state: IncidentState, id: string) {
  const step = state.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
}
