/** The table of backup formats (src/backup/formats.ts): one record per kind, looked up as own properties only. */
import { describe, expect, it } from 'vitest';
import { BACKUP_FORMATS, backupFormat, backupFormats } from '../../../src/backup/formats.js';
import { BACKUP_KINDS } from '../../../src/backup/manifest.js';
import { ErrorCode } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { backupDeps } from './support.js';

describe('backup formats', () => {
  it('has one record per manifest kind, each under its own kind', () => {
    expect(Object.keys(BACKUP_FORMATS).sort()).toEqual([...BACKUP_KINDS].sort());
    for (const kind of BACKUP_KINDS) expect(backupFormat(kind).kind).toBe(kind);
    expect(backupFormats().map((format) => [format.kind, format.section, format.noun])).toEqual([
      ['postgres', 'postgres', 'database'],
      ['files', 'directories', 'directory'],
    ]);
  });

  it('refuses a kind that is not a format, inherited property names included', () => {
    for (const kind of ['tarball', 'constructor', 'toString', '__proto__']) {
      expect(() => backupFormat(kind)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
    }
  });

  it('finds a live target only in its own section', async () => {
    const deps = {
      // The store is never touched: these lookups read only the configured sources.
      ...backupDeps({} as BlobStore),
      postgres: { app: { url: 'env:APP_URL' } },
      directories: { site: { path: '/srv/site' } },
    };
    const files = backupFormat('files');
    expect(files.configured(deps, 'site')).toBe(true);
    expect(files.configured(deps, 'app')).toBe(false);
    expect(await files.liveTarget(deps, 'site')).toBe('/srv/site');
    expect(await files.liveTarget(deps, 'app')).toBeUndefined();
    expect(backupFormat('postgres').configured(deps, 'app')).toBe(true);
    expect(await backupFormat('postgres').liveTarget(deps, 'site')).toBeUndefined();
  });

  it('never takes an inherited property for a configured source', async () => {
    const deps = { ...backupDeps({} as BlobStore), postgres: {}, directories: {} };
    for (const kind of BACKUP_KINDS) {
      for (const source of ['constructor', 'toString', '__proto__']) {
        expect(backupFormat(kind).configured(deps, source)).toBe(false);
        expect(await backupFormat(kind).liveTarget(deps, source)).toBeUndefined();
      }
    }
  });
});
