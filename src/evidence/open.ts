/**
 * Opening the evidence store: the blob store `evidence.storage` names (else `<data dir>/evidence/blobs`)
 * and the custody ledger in Firebreak's SQL store: the PostgreSQL database of `store.postgres.url` (schema
 * `firebreak_evidence`), else PGlite under `<data dir>/evidence/ledger`. The ledger is migrated first.
 */
import path from 'node:path';
import type { EvidenceConfig } from '../config/evidence-schema.js';
import type { StoreConfig } from '../config/store-schema.js';
import { lockDirectory } from '../postmortems/store/dir-lock.js';
import { runMigrations } from '../postmortems/store/migrate.js';
import { createPgClient } from '../postmortems/store/pg-client.js';
import { createPgliteClient } from '../postmortems/store/pglite-client.js';
import type { SqlClient } from '../postmortems/store/sql-client.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { BlobStore } from '../storage/blob-store.js';
import { blobStoreFromConfig } from '../storage/from-config.js';
import { ensurePrivateDir } from '../storage/private-files.js';
import { createEvidenceStore, type EvidenceRetention, type EvidenceStore } from './evidence-store.js';
import { custodyLedger } from './ledger.js';
import { EVIDENCE_MIGRATIONS } from './migrations.js';

/** An evidence store holding its SQL client open. */
export interface OpenEvidenceStore extends EvidenceStore {
  close(): Promise<void>;
}

/** The evidence store over a blob store and an open SqlClient, after migrating the ledger (closing it on failure). */
export async function createSqlEvidenceStore(
  blobs: BlobStore,
  db: SqlClient,
  options: { retention?: EvidenceRetention | undefined; onClose?: () => Promise<void> } = {},
): Promise<OpenEvidenceStore> {
  const { retention, onClose = () => Promise.resolve() } = options;
  try {
    await runMigrations(db, EVIDENCE_MIGRATIONS);
  } catch (error) {
    await db.close().catch(() => undefined);
    await onClose().catch(() => undefined);
    throw error;
  }
  const store = createEvidenceStore({
    blobs,
    ledger: custodyLedger(db),
    ...(retention === undefined ? {} : { retention }),
  });
  return {
    ...store,
    async close() {
      try {
        await db.close();
      } finally {
        await onClose();
      }
    },
  };
}

/** What `openEvidenceStore` needs besides the config. */
export interface OpenEvidenceStoreDeps {
  dataDir: string;
  secrets: SecretResolver;
}

/** Opens the evidence store the config describes (`evidence` and `store`). */
export async function openEvidenceStore(
  config: { evidence?: EvidenceConfig | undefined; store?: StoreConfig | undefined },
  deps: OpenEvidenceStoreDeps,
): Promise<OpenEvidenceStore> {
  const root = path.join(deps.dataDir, 'evidence');
  const storage = config.evidence?.storage ?? { type: 'filesystem' as const, dir: path.join(root, 'blobs') };
  const blobs = await blobStoreFromConfig(storage, deps);
  const retention = storage.type === 's3' ? storage.retention : undefined;
  const reference = config.store?.postgres?.url;
  if (reference !== undefined) {
    return createSqlEvidenceStore(blobs, createPgClient(await deps.secrets.resolve(reference), { label: 'evidence ledger' }), { retention });
  }
  const dir = path.join(root, 'ledger');
  await ensurePrivateDir(dir);
  const release = await lockDirectory(dir);
  const client = await createPgliteClient(dir, 'evidence ledger').catch(async (error: unknown) => {
    await release().catch(() => undefined);
    throw error;
  });
  // createSqlEvidenceStore releases the lock itself when migrating fails.
  return createSqlEvidenceStore(blobs, client, { retention, onClose: release });
}
