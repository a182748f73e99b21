/**
 * The backup actions' dependencies as an entry point builds them from `backups` in the config (paths
 * already resolved by loadConfig), over the blob store it built from `storage`.
 */
import path from 'node:path';
import type { BackupsConfig } from '../config/index.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { BackupDeps } from './deps.js';
import { DEFAULT_LAYOUT } from './manifest.js';

/** What `backupDepsFromConfig` needs besides the config. */
export interface BackupDepsInit {
  store: BlobStore;
  secrets: SecretResolver;
  /** The data directory; scratch file restores default to `<dataDir>/restore`. */
  dataDir: string;
}

/** Builds BackupDeps from `backups` (absent: no sources, restores under `<dataDir>/restore`, staged in `<dataDir>/restore-staging`). */
export function backupDepsFromConfig(backups: BackupsConfig | undefined, init: BackupDepsInit): BackupDeps {
  const restoreUrl = backups?.restore.postgres?.url;
  return {
    store: init.store,
    secrets: init.secrets,
    layout: {
      dataPrefix: backups?.dataPrefix ?? DEFAULT_LAYOUT.dataPrefix,
      manifestPrefix: backups?.manifestPrefix ?? DEFAULT_LAYOUT.manifestPrefix,
    },
    postgres: { ...backups?.postgres },
    directories: { ...backups?.directories },
    restore: {
      directory: backups?.restore.directory ?? path.join(init.dataDir, 'restore'),
      staging: backups?.restore.staging ?? path.join(init.dataDir, 'restore-staging'),
      ...(restoreUrl === undefined ? {} : { postgresUrl: restoreUrl }),
    },
    ...(backups?.postgresBinDir === undefined ? {} : { postgresBinDir: backups.postgresBinDir }),
  };
}
