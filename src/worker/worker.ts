/**
 * Worker bootstrap: the one place that knows the concrete adapters. It builds the built-in and backup
 * actions from the config, the secret resolver over this process's environment, the message router over
 * the configured channels and blob store, and the activities over them, and registers the workflow bundle
 * (prebuilt, or bundled from source).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { builtinActions, createActionRegistry } from '../actions/registry.js';
import type { ActionDefinition } from '../actions/types.js';
import { backupActions } from '../actions/backup/index.js';
import { infraActions } from '../actions/infra/index.js';
import type { EvidenceStore } from '../evidence/evidence-store.js';
import { infraProvidersFromConfig, type InfraProviders } from '../infra/from-config.js';
import { postmortemActions } from '../actions/postmortem/index.js';
import type { BackupDeps } from '../backup/deps.js';
import { backupDepsFromConfig } from '../backup/from-config.js';
import { messageRouterFromConfig } from '../channels/from-config.js';
import type { MessageRouter } from '../channels/types.js';
import { PostmortemsConfigSchema, type FirebreakConfig, type RosterUser } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { LazyPostmortemStore } from '../postmortems/store/index.js';
import type { RunbookCatalog } from '../runbook/catalog.js';
import { rosterMembers } from '../runbook/roster.js';
import { createDeclaredSecretResolver, createSecretCatalog } from '../secrets/declared.js';
import { createSecretResolver, type SecretResolver } from '../secrets/resolver.js';
import type { BlobStore } from '../storage/blob-store.js';
import { blobStoreFromConfig } from '../storage/from-config.js';
import { INCIDENT_TASK_QUEUE } from '../temporal/names.js';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  config: FirebreakConfig;
  logger: Logger;
  /** Directory relative paths in the config resolve against (the config file's directory). */
  baseDir: string;
  /** Where the worker keeps files: the `.eml` outbox and the default blob store. Default `<baseDir>/.firebreak`. */
  dataDir?: string;
  /** The channels messages are sent through; built from `channels` and `storage` in the config by default. */
  messages?: MessageRouter;
  /** Environment secrets resolve from (`env:NAME`); the process environment by default. */
  env?: Readonly<Record<string, string | undefined>>;
  taskQueue?: string;
  /** A prebuilt workflow bundle; when absent the workflows are bundled from source at start. */
  workflowBundlePath?: string;
  /** What the backup and restore actions work on; built from `backups` and `storage` in the config by default. */
  backups?: BackupDeps;
  /** Extra actions beyond the built-ins (plugins, tests). */
  extraActions?: ActionDefinition[];
  /** Loads the runbooks as they are now; scheduled runs call it to prepare each incident from the current runbook. */
  runbooks?: () => Promise<RunbookCatalog>;
  /** Users besides the configured ones (the dev admin), on the roster scheduled runs bind their plans to. */
  extraUsers?: readonly RosterUser[];
  /**
   * The post-mortem store closing incidents' drafts are written to (opened on first use). The caller owns
   * it and closes it after the worker has stopped. Absent: the drafting activity fails, saying so.
   */
  postmortems?: LazyPostmortemStore;
  /**
   * The evidence store `infra.capture` streams into and `infra.destroy` verifies (opened on first use; the
   * caller owns and closes it). Absent: those actions fail, saying so.
   */
  evidence?: { get(): Promise<EvidenceStore> };
  /** The infrastructure providers; built from `infra` in the config by default. */
  infra?: InfraProviders;
  /** Worker tuning passed through (e.g. maxConcurrentActivityTaskExecutions). */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxCachedWorkflows'
      | 'stickyQueueScheduleToStartTimeout'
    >
  >;
}

/** The workflows entry point next to this file: `workflows/index.ts` in source, `.js` once built. */
export function workflowsEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const extension = path.extname(fileURLToPath(import.meta.url));
  return path.resolve(here, '../../workflows', `index${extension}`);
}

/** The router over the configured channels, publishing the status page to the configured blob store. */
function buildMessageRouter(options: IncidentWorkerOptions, shared: SharedPorts): Promise<MessageRouter> {
  return messageRouterFromConfig(options.config, { ...shared, logger: options.logger });
}

/** The ports several parts of the worker share: one secret resolver and one blob store. */
interface SharedPorts {
  dataDir: string;
  secrets: SecretResolver;
  store: BlobStore;
}

async function sharedPorts(options: IncidentWorkerOptions): Promise<SharedPorts> {
  const dataDir = options.dataDir ?? path.join(options.baseDir, '.firebreak');
  const secrets = createSecretResolver({ env: options.env ?? process.env, baseDir: options.baseDir });
  const store = await blobStoreFromConfig(options.config.storage, { dataDir, secrets });
  return { dataDir, secrets, store };
}

/** Creates (but does not run) the incident worker. */
export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  const { config, baseDir } = options;
  const shared = await sharedPorts(options);
  const { secrets } = shared;
  const backups = options.backups ?? backupDepsFromConfig(config.backups, shared);
  const commandScripts = path.resolve(baseDir, config.actions.command.scriptsDir);
  const actions = createActionRegistry([
    ...builtinActions({
      http: config.actions.http,
      command: { ...config.actions.command, scriptsDir: commandScripts },
    }),
    ...backupActions(backups),
    ...infraActions({
      providers: options.infra ?? infraProvidersFromConfig(config.infra, { secrets, scriptsDir: commandScripts }),
      ...(options.evidence ? { evidence: options.evidence } : {}),
      // What Temporal calls a worker by default: the custody record names who captured each artefact.
      workerIdentity: `${process.pid}@${os.hostname()}`,
    }),
    // The digest reads the drill records `drill.record` keeps in the backup store, and the runbooks as they are now.
    ...postmortemActions({
      drills: backups.store,
      ...(options.postmortems ? { postmortems: options.postmortems } : {}),
      ...(options.runbooks ? { runbooks: options.runbooks } : {}),
    }),
    ...(options.extraActions ?? []),
  ]);
  const messages = options.messages ?? (await buildMessageRouter(options, shared));
  const roster = rosterMembers([...config.users, ...(options.extraUsers ?? [])]);
  const scheduled = { roster, ...(options.runbooks ? { runbooks: options.runbooks } : {}) };
  const secretCatalog = createSecretCatalog(config.secrets);
  const activities = createActivities({
    actions,
    declaredSecrets: createDeclaredSecretResolver(secretCatalog, secrets),
    secretCatalog,
    logger: options.logger,
    messages,
    ...scheduled,
    postmortems: {
      config: config.postmortems ?? PostmortemsConfigSchema.parse({}),
      ...(options.postmortems ? { store: options.postmortems } : {}),
    },
  });
  return Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? INCIDENT_TASK_QUEUE,
    activities,
    // Heartbeats carry cancellation to a running action: by default they are throttled to 80% of the
    // heartbeat timeout (24 s), so cancelling a restore would take that long to stop pg_restore.
    maxHeartbeatThrottleInterval: '5s',
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: workflowsEntry() }),
    ...options.tuning,
  });
}
