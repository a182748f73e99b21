/** What the HTTP API is built over: configuration, runbooks, Temporal, the incident client, audit and logging. */
import type { Client } from '@temporalio/client';
import type { FirebreakConfig, RosterUser } from '../config/schema.js';
import { createSecretCatalog, type SecretCatalog } from '../secrets/declared.js';
import type { IncidentClient } from '../incidents/client.js';
import type { Logger } from '../logging/logger.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { LazyEvidenceStore } from '../evidence/lazy.js';
import type { LazyPostmortemStore } from '../postmortems/store/index.js';
import type { LoadedRunbook } from '../runbook/catalog.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { AuditLog } from './audit.js';

/** The dependencies of `buildApp`; entry points (`firebreak dev`, `firebreak server`) and tests provide them. */
export interface AppDeps {
  config: FirebreakConfig;
  runbooks: { get(id: string): LoadedRunbook | undefined; list(): LoadedRunbook[] };
  temporal: { client: Client; namespace: string; taskQueue: string };
  incidents: IncidentClient;
  audit: AuditLog;
  logger: Logger;
  /** Users besides the configured roster (the dev admin), same shape as config users. */
  extraUsers?: RosterUser[];
  /** Ids of users who read every incident, schedule and drill history whatever their roles (the dev admin). */
  admins?: readonly string[];
  now?: () => Date;
  /** Where the status-page channel publishes; when given, the public `/status` pages are served from it. */
  statusPage?: { store: BlobStore; prefix?: string; title?: string };
  /**
   * Where the generic webhook remembers answered deliveries for the signature window (`<dataDir>/webhook-deliveries.jsonl`),
   * so a replay is refused after a restart too; memory only when absent.
   */
  webhookDeliveriesFile?: string;
  /** The blob store drill records are read from (`GET /drills/{runbook}`); usually the status page's. */
  store?: BlobStore;
  /**
   * Resolves the credential references written in the config itself (`webhooks.generic.secrets`): entry
   * points build it over their environment and the config file's directory, so the app reads neither.
   * Without it, an app whose config names generic webhook secrets refuses to start.
   */
  configSecrets?: SecretResolver;
  /**
   * The post-mortem store, opened on first use (`lazyPostmortemStore`); the entry point closes it at shutdown.
   * Without it, the post-mortem routes answer 503.
   */
  postmortems?: LazyPostmortemStore;
  /**
   * The evidence store, opened on first use (`lazyEvidenceStore`); the entry point closes it at shutdown.
   * Without it, the evidence routes answer 503.
   */
  evidence?: LazyEvidenceStore;
}

const catalogs = new WeakMap<FirebreakConfig, SecretCatalog>();

/** The declared secrets of the app's config, built once per config rather than per request. */
export function secretCatalogOf(deps: Pick<AppDeps, 'config'>): SecretCatalog {
  let catalog = catalogs.get(deps.config);
  if (catalog === undefined) {
    catalog = createSecretCatalog(deps.config.secrets);
    catalogs.set(deps.config, catalog);
  }
  return catalog;
}
