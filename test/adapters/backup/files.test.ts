/**
 * Directory backups and restores through the filesystem blob store: a round trip whose per-file hashes
 * match the source, scratch directories that never outlive the restore, and archives whose entries try
 * to escape the target, which are refused.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFilesAction } from '../../../src/actions/backup/backup-files.js';
import { restoreFilesAction } from '../../../src/actions/backup/restore-files.js';
import { restorePostgresAction } from '../../../src/actions/backup/restore-postgres.js';
import { readManifest } from '../../../src/backup/catalog.js';
import type { BackupDeps } from '../../../src/backup/deps.js';
import { restoreFiles, withScratchDirectory } from '../../../src/backup/restore/files.js';
import { backupFiles } from '../../../src/backup/write/files.js';
import { DEFAULT_LAYOUT, type BackupManifest } from '../../../src/backup/manifest.js';
import { verifyBackup } from '../../../src/backup/integrity/verify.js';
import { ErrorCode } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { rejection, testContext } from '../../unit/actions/support.js';
import { segmentsOf } from '../../unit/backup/support.js';

let scratch: string;
let source: string;
let restoreRoot: string;
let store: BlobStore;
let deps: BackupDeps;

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-files-backup-'));
  source = path.join(scratch, 'site');
  restoreRoot = path.join(scratch, 'restore');
  mkdirSync(path.join(source, 'assets', 'img'), { recursive: true });
  mkdirSync(path.join(source, 'empty-dir'));
  writeFileSync(path.join(source, 'index.html'), '<h1>hello</h1>\n');
  writeFileSync(path.join(source, 'assets', 'app.js'), 'console.log(1);\n'.repeat(5000));
  writeFileSync(
    path.join(source, 'assets', 'img', 'logo.bin'),
    Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
  );
  writeFileSync(path.join(source, 'empty.txt'), '');
  writeFileSync(path.join(source, 'name with spaces é.txt'), 'unicode\n');
  symlinkSync('index.html', path.join(source, 'current'));
  linkSync(path.join(source, 'index.html'), path.join(source, 'index-hardlink.html'));
  store = await createFsStore({ dir: path.join(scratch, 'blobs') });
  deps = {
    store,
    layout: DEFAULT_LAYOUT,
    postgres: {},
    directories: { site: { path: source } },
    restore: { directory: restoreRoot, staging: path.join(scratch, 'staging') },
    secrets: createSecretResolver({ env: {}, baseDir: scratch }),
  };
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const EXPECTED_FILES = [
  'assets/app.js',
  'assets/img/logo.bin',
  'empty.txt',
  'index-hardlink.html',
  'index.html',
  'name with spaces é.txt',
];

describe('backup.files', () => {
  it('archives a directory with the SHA-256 of every file in the manifest', async () => {
    const { ctx } = testContext();
    const result = await backupFilesAction(deps).execute({ source: 'site' }, ctx);
    const output = result.output as { backup: { id: string; size: number; sha256: string }; files: { count: number } };
    const manifest = await readManifest(store, DEFAULT_LAYOUT, 'site', output.backup.id);
    expect(Object.keys(manifest.files?.sha256 ?? {})).toEqual(EXPECTED_FILES);
    expect(manifest.files?.count).toBe(EXPECTED_FILES.length);
    for (const file of EXPECTED_FILES) {
      expect(manifest.files?.sha256[file], file).toBe(sha256(readFileSync(path.join(source, file))));
    }
    expect(await store.head(manifest.key)).toMatchObject({ size: manifest.size, sha256: manifest.sha256 });
    expect(output.backup).toMatchObject({ size: manifest.size, sha256: manifest.sha256 });
    expect(result.note).toContain(`backup ${manifest.id}`);
  });

  it('writes a hash list of the archive into the manifest, which verifies', async () => {
    const { manifest } = await backupFiles({ ...deps, segmentBytes: 256 }, 'site');
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(manifest.key)) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    expect(data.length).toBe(manifest.size);
    expect(data.length).toBeGreaterThan(2 * 256);
    expect(manifest.segments).toEqual(segmentsOf(data, 256));
    const stored = await readManifest(store, DEFAULT_LAYOUT, 'site', manifest.id);
    expect(stored.segments).toEqual(manifest.segments);
    const result = await verifyBackup(store, stored);
    expect(result.segments).toEqual({ size: 256, count: Math.ceil(data.length / 256) });
  });

  it('round-trips through a scratch directory that is removed afterwards', async () => {
    const { manifest } = await backupFiles(deps, 'site');
    const run = await withScratchDirectory(deps, manifest, (dir) => {
      const hashes: Record<string, string> = {};
      for (const file of EXPECTED_FILES) hashes[file] = sha256(readFileSync(path.join(dir, file)));
      return Promise.resolve({
        hashes,
        link: readFileSync(path.join(dir, 'current'), 'utf8'),
        dirs: existsSync(path.join(dir, 'empty-dir')),
      });
    });
    expect(run.value.hashes).toEqual(manifest.files?.sha256);
    expect(run.value.link).toBe('<h1>hello</h1>\n');
    expect(run.value.dirs).toBe(true);
    expect(run.restore.sha256).toBe(manifest.sha256);
    expect(readdirSync(restoreRoot)).toEqual([]);
  });

  it('restore.files checks every file hash in a scratch directory and removes it', async () => {
    const { manifest } = await backupFiles(deps, 'site');
    const { ctx } = testContext();
    const checks = [
      { name: 'up', kind: 'starts' as const },
      { name: 'hashes', kind: 'file-hashes' as const },
    ];
    const result = await restoreFilesAction(deps).execute({ source: 'site', backup: manifest.id, checks }, ctx);
    expect(result.output).toMatchObject({
      removed: true,
      bytes: manifest.size,
      sha256: manifest.sha256,
      verdict: { passed: true, counts: { PASS: 2, FAIL: 0, SKIPPED: 0 } },
    });
    expect(readdirSync(restoreRoot)).toEqual([]);
  });

  it('restore.postgres refuses a files backup, naming both kinds, before anything is restored', async () => {
    const { manifest } = await backupFiles(deps, 'site');
    const error = await rejection(
      restorePostgresAction(deps).execute({ source: 'site', backup: manifest.id }, testContext().ctx),
    );
    expect([error.code, error.message]).toEqual([
      ErrorCode.InvalidInput,
      `backup ${manifest.id} of site is a files backup; restore.postgres restores postgres backups`,
    ]);
    expect(readdirSync(restoreRoot)).toEqual([]);
  });

  it('refuses a restore target outside the restore directory, or one that exists', async () => {
    const { manifest } = await backupFiles(deps, 'site');
    const outside = await rejection(restoreFiles(deps, manifest, path.join(scratch, 'elsewhere')));
    expect(outside.code).toBe(ErrorCode.InvalidInput);
    mkdirSync(path.join(restoreRoot, 'taken'), { recursive: true });
    const taken = await rejection(restoreFiles(deps, manifest, path.join(restoreRoot, 'taken')));
    expect(taken.code).toBe(ErrorCode.Conflict);
    rmSync(path.join(restoreRoot, 'taken'), { recursive: true });
  });
});

/** A tar archive (gzipped) built entry by entry, so entries can say what a real directory never would. */
function craftedArchive(entries: { path: string; type?: 'File' | 'SymbolicLink'; linkpath?: string; body?: string }[]) {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const type = entry.type ?? 'File';
    const header = Buffer.alloc(512);
    new Header({
      path: entry.path,
      type,
      size: type === 'File' ? body.length : 0,
      mode: 0o644,
      mtime: new Date(0),
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    }).encode(header);
    blocks.push(header);
    if (type === 'File') blocks.push(Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

async function storeCrafted(name: string, archive: Buffer): Promise<BackupManifest> {
  const id = `20260101T000000000Z-${name}`;
  const key = `backups/site/${id}.tar.gz`;
  const put = await store.put(key, archive);
  const at = new Date(0).toISOString();
  return {
    version: 1,
    id,
    kind: 'files',
    source: 'site',
    key,
    sha256: put.sha256,
    size: put.size,
    createdAt: at,
    finishedAt: at,
    tools: {},
    files: { count: 1, sha256: {} },
  };
}

describe('restoring a hostile archive', () => {
  const cases = [
    {
      name: '0000dd01',
      why: 'a .. path',
      entries: [
        { path: 'ok.txt', body: 'fine' },
        { path: '../escaped.txt', body: 'x' },
      ],
    },
    { name: '0000dd02', why: 'an absolute path', entries: [{ path: `${'/tmp'}/escaped-abs.txt`, body: 'x' }] },
    {
      name: '0000dd03',
      why: 'a write through a symbolic link',
      entries: [
        { path: 'up', type: 'SymbolicLink' as const, linkpath: '..' },
        { path: 'up/escaped-link.txt', body: 'x' },
      ],
    },
  ];
  for (const { name, why, entries } of cases) {
    it(`refuses ${why}, writes nothing outside and removes the target`, async () => {
      const manifest = await storeCrafted(name, craftedArchive(entries));
      const target = path.join(restoreRoot, `firebreak_drill_hostile_${name}`);
      const error = await rejection(restoreFiles(deps, manifest, target));
      expect(error.code).toBe(ErrorCode.InvalidInput);
      expect(error.message).toMatch(/refused/);
      expect(existsSync(target)).toBe(false);
      expect(existsSync(path.join(restoreRoot, 'escaped.txt'))).toBe(false);
      expect(existsSync(path.join(restoreRoot, 'escaped-link.txt'))).toBe(false);
      expect(existsSync('/tmp/escaped-abs.txt')).toBe(false);
    });
  }
});
