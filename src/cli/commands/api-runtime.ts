/**
 * Serving the HTTP API from a command (`dev`, `server`): the Temporal client, the runbooks (followed on
 * disk), the audit log and the listening address, wired once. Also the dev admin token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ChannelsConfigSchema, configBaseDir, type FirebreakConfig, type RosterUser } from '../../config/index.js';
import { IncidentClient } from '../../incidents/client.js';
import type { Logger } from '../../logging/logger.js';
import type { LazyEvidenceStore } from '../../evidence/lazy.js';
import type { LazyPostmortemStore } from '../../postmortems/store/index.js';
import type { RunbookCatalog } from '../../runbook/catalog.js';
import { createLiveCatalog, type WatchedPaths } from '../../runbook/live-catalog.js';
import { buildApp } from '../../server/app.js';
import { createFileAuditLog } from '../../server/audit.js';
import type { StatusPageDeps } from '../../server/routes/status.js';
import { createSecretResolver, type SecretResolver } from '../../secrets/resolver.js';
import { blobStoreFromConfig } from '../../storage/from-config.js';
import { INCIDENT_TASK_QUEUE } from '../../temporal/names.js';

export interface ApiOptions {
  config: FirebreakConfig;
  /** The runbooks loaded (and checked) at start. */
  catalog: RunbookCatalog;
  /** Loads them again, as at start; called when a file under `watch` changed. */
  loadCatalog: () => Promise<RunbookCatalog>;
  /** The runbook and template files and directories the API follows. */
  watch: WatchedPaths;
  temporalAddress: string;
  host: string;
  port: number;
  auditPath: string;
  /** Where the generic webhook remembers answered deliveries, so a replay is refused across a restart. */
  webhookDeliveriesFile?: string;
  logger: Logger;
  extraUsers?: RosterUser[];
  /** Ids of users who read everything whatever their roles (the dev admin). */
  admins?: readonly string[];
  /** Serve the public status page (`/status`) from this store. */
  statusPage?: StatusPageDeps;
  /** Resolves the config's own credential references (the generic webhook's secrets): `configSecretResolver`. */
  configSecrets: SecretResolver;
  /** The post-mortem store, opened on first use; the caller closes it (after the API). */
  postmortems?: LazyPostmortemStore;
  /** The evidence store, opened on first use; the caller closes it (after the API). */
  evidence?: LazyEvidenceStore;
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** Builds the app over a Temporal client and listens; `close` stops both. */
export async function serveApi(options: ApiOptions): Promise<RunningApi> {
  // The native (Rust) connection: gRPC off the JS thread, which the webhook receivers' load needs.
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const namespace = options.config.temporal.namespace;
  const client = new Client({ connection, namespace });
  // Edits apply to the next trigger (plans are frozen into each run at trigger), without a restart.
  const runbooks = createLiveCatalog({
    initial: options.catalog,
    load: options.loadCatalog,
    watch: options.watch,
    logger: options.logger,
  });
  const audit = createFileAuditLog(options.auditPath);
  const release = async () => {
    await runbooks.close();
    await audit.close();
    await connection.close();
  };
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp({
      config: options.config,
      runbooks,
      temporal: { client, namespace, taskQueue: INCIDENT_TASK_QUEUE },
      incidents: new IncidentClient(client, INCIDENT_TASK_QUEUE),
      audit,
      logger: options.logger,
      configSecrets: options.configSecrets,
      ...(options.webhookDeliveriesFile ? { webhookDeliveriesFile: options.webhookDeliveriesFile } : {}),
      ...(options.extraUsers ? { extraUsers: options.extraUsers } : {}),
      ...(options.admins ? { admins: options.admins } : {}),
      ...(options.statusPage ? { statusPage: options.statusPage } : {}),
      ...(options.postmortems ? { postmortems: options.postmortems } : {}),
      ...(options.evidence ? { evidence: options.evidence } : {}),
      // Drill records live in the same configured store the status page publishes to.
      ...(options.statusPage ? { store: options.statusPage.store } : {}),
    });
  } catch (error) {
    // Nothing listens yet: what was opened for it is closed, not leaked.
    await release();
    throw error;
  }
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    await release();
    const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use' : String(error);
    throw new Error(`cannot serve the API on ${options.host}:${options.port}: ${reason} (try --port)`);
  }
  runbooks.start();
  return {
    url: `http://${options.host}:${options.port}`,
    async close() {
      await app.close();
      await release();
    },
  };
}

/**
 * What the API serves `/status` from: the configured blob store (with the default filesystem store, the one
 * under `dataDir`, which the worker publishes to when it runs with the same data directory) and the page
 * settings of `channels.statuspage`.
 */
export async function statusPageFromConfig(
  config: FirebreakConfig,
  where: { dataDir: string; env: Readonly<Record<string, string | undefined>>; cwd: string },
): Promise<StatusPageDeps> {
  const secrets = configSecretResolver(config, where);
  const store = await blobStoreFromConfig(config.storage, { dataDir: where.dataDir, secrets });
  const { prefix, title } = (config.channels ?? ChannelsConfigSchema.parse({})).statuspage;
  return { store, prefix, title };
}

/** Resolves the config's own references: the command's environment, `file:` paths from the config's directory. */
export function configSecretResolver(
  config: FirebreakConfig,
  where: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): SecretResolver {
  return createSecretResolver({ env: where.env, baseDir: configBaseDir(config, where.cwd) });
}

/**
 * The dev admin: holds every role the loaded runbooks declare, and reads every incident (the dev stack
 * names it in the API's `admins`). Its token is created once per data directory (mode 0600) and reused,
 * so a restart keeps the CLI signed in.
 */
export function devAdmin(tokenFile: string, catalog: RunbookCatalog): RosterUser {
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();
  const roles = new Set<string>();
  for (const { plan } of catalog.runbooks.values()) for (const role of Object.keys(plan.roles)) roles.add(role);
  return {
    id: 'admin',
    // A mailbox of its own, so messages to any role land in the dev outbox instead of failing for want of one.
    email: 'admin@localhost',
    name: 'Firebreak admin',
    roles: [...roles].sort(),
    token: `sha256:${createHash('sha256').update(token).digest('hex')}`,
  };
}
