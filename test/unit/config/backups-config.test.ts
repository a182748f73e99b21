/** loadConfig(env): the `backups` section, its resolved paths, and the BackupDeps a worker builds from it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDepsFromConfig } from '../../../src/backup/from-config.js';
import { loadConfig } from '../../../src/config/load.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { createFsStore } from '../../../src/storage/fs-store.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function problems(text: string): string[] {
  write('firebreak.yaml', text);
  const result = loadConfig({}, { cwd: dir });
  return result.ok ? [] : result.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
}

describe('loadConfig: backups', () => {
  it('reads sources and restore targets, paths resolved against the file', async () => {
    write(
      'conf/firebreak.yaml',
      `backups:
  manifestPrefix: vault/manifests
  postgresBinDir: /usr/lib/postgresql/15/bin
  postgres:
    orders: { url: env:ORDERS_DB_URL }
  directories:
    uploads: { path: ../srv/uploads }
  restore:
    postgres: { url: file:secrets/scratch-url }
    directory: scratch
    staging: /mnt/big/staging
`,
    );
    const result = loadConfig({}, { cwd: dir, configPath: 'conf/firebreak.yaml' });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.backups).toEqual({
      manifestPrefix: 'vault/manifests',
      postgresBinDir: '/usr/lib/postgresql/15/bin',
      postgres: { orders: { url: 'env:ORDERS_DB_URL' } },
      directories: { uploads: { path: path.join(dir, 'srv/uploads') } },
      restore: {
        postgres: { url: 'file:secrets/scratch-url' },
        directory: path.join(dir, 'conf/scratch'),
        staging: '/mnt/big/staging',
      },
    });
    const store = await createFsStore({ dir: path.join(dir, 'blobs') });
    const secrets = createSecretResolver({ env: {}, baseDir: dir });
    const deps = backupDepsFromConfig(result.value.backups, { store, secrets, dataDir: path.join(dir, 'data') });
    expect(deps.layout).toEqual({ dataPrefix: 'backups', manifestPrefix: 'vault/manifests' });
    expect(deps.restore).toEqual({
      postgresUrl: 'file:secrets/scratch-url',
      directory: path.join(dir, 'conf/scratch'),
      staging: '/mnt/big/staging',
    });
  });

  it('defaults to no sources and restores under the data directory', async () => {
    const store = await createFsStore({ dir: path.join(dir, 'blobs') });
    const secrets = createSecretResolver({ env: {}, baseDir: dir });
    const deps = backupDepsFromConfig(undefined, { store, secrets, dataDir: '/var/lib/firebreak' });
    expect(deps).toMatchObject({
      layout: { dataPrefix: 'backups', manifestPrefix: 'manifests' },
      postgres: {},
      directories: {},
      restore: { directory: '/var/lib/firebreak/restore', staging: '/var/lib/firebreak/restore-staging' },
    });
    expect(deps.restore.postgresUrl).toBeUndefined();
  });

  it('locates bad source names, secrets written inline and manifests inside the data', () => {
    expect(
      problems(`backups:
  postgres:
    Orders: { url: env:X }
    billing: { url: 'postgres://u:p@db/billing' }
  directories:
    billing: { path: /srv }
`),
    ).toEqual([
      '3:13 backups.postgres.Orders expected a source name: a-z, 0-9, _ . -',
      '4:21 backups.postgres.billing.url expected a secret reference (env:NAME or file:PATH)',
      '6:14 backups.directories.billing source billing is also a postgres source',
    ]);
    expect(problems('backups: { dataPrefix: manifests/data }\n')).toEqual([
      '1:24 backups.dataPrefix manifests must be kept apart from the data: manifests and manifests/data overlap',
    ]);
  });
});
