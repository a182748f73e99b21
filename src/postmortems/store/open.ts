/**
 * Opening the post-mortem store: PostgreSQL when `store.postgres.url` is configured, else PGlite under
 * `<data dir>/postmortems`. Either way the migrations run first, so a store that opens is at this code's
 * schema version.
 */
import { lazyOpen, type LazyOpen } from '../../storage/lazy-open.js';
import path from 'node:path';
import type { StoreConfig } from '../../config/store-schema.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import { ensurePrivateDir } from '../../storage/private-files.js';
import { actionItemOps } from './action-item-ops.js';
import { digestOps } from './digest-ops.js';
import { lockDirectory } from './dir-lock.js';
import { migrate } from './migrate.js';
import { createPgClient } from './pg-client.js';
import { createPgliteClient } from './pglite-client.js';
import { postmortemOps } from './postmortem-ops.js';
import { searchOps } from './search-ops.js';
import type { SqlClient } from './sql-client.js';
import type { PostmortemStore } from './types.js';

/** The store over an open SqlClient, after migrating it (closing the client when migration fails). */
export async function createSqlStore(db: SqlClient): Promise<PostmortemStore> {
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return { ...postmortemOps(db), ...actionItemOps(db), ...searchOps(db), ...digestOps(db), close: () => db.close() };
}

/** The store on a PostgreSQL server (`url` resolved: it holds the password, never log it). */
export function openPostgresStore(url: string): Promise<PostmortemStore> {
  return createSqlStore(createPgClient(url));
}

/** The embedded store: PGlite persisted under `dir`, or in memory when `dir` is `memory`. */
export async function openPgliteStore(dir: string): Promise<PostmortemStore> {
  if (dir === 'memory') return createSqlStore(await createPgliteClient(dir));
  // Post-mortems hold incident data: owner-only, like the rest of the data directory.
  await ensurePrivateDir(dir);
  const release = await lockDirectory(dir);
  try {
    const store = await createSqlStore(await createPgliteClient(dir));
    return {
      ...store,
      close: async () => {
        try {
          await store.close();
        } finally {
          await release();
        }
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** What `openPostmortemStore` needs besides the config. */
export interface PostmortemStoreDeps {
  /** The data directory; the embedded store lives in `<dataDir>/postmortems`. */
  dataDir: string;
  /** Resolves `store.postgres.url` (a secret reference). */
  secrets: SecretResolver;
}

/** Opens the store `store` in the config describes: PostgreSQL when `store.postgres.url` is set, else PGlite. */
export async function openPostmortemStore(
  store: StoreConfig | undefined,
  deps: PostmortemStoreDeps,
): Promise<PostmortemStore> {
  const reference = store?.postgres?.url;
  if (reference === undefined) return openPgliteStore(path.join(deps.dataDir, 'postmortems'));
  return openPostgresStore(await deps.secrets.resolve(reference));
}

/** The post-mortem store opened on first use and kept (src/storage/lazy-open.ts). */
export type LazyPostmortemStore = LazyOpen<PostmortemStore>;

export function lazyPostmortemStore(open: () => Promise<PostmortemStore>): LazyPostmortemStore {
  return lazyOpen(open);
}
