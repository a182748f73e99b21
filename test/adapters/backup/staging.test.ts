/**
 * Staging a backup on local disk before a restore (src/backup/staging.ts), through the filesystem blob
 * store: a download checked against the manifest, resumed by the next attempt from the bytes already on
 * disk (ranged GET for the rest), started over when the file is gone or damaged, refused when the disk is
 * too small, and cleaned up by the janitor. The store is real; a wrapper breaks one read mid-way the way a
 * dropped connection does.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackupDeps } from '../../../src/backup/deps.js';
import { restoreFiles } from '../../../src/backup/restore/files.js';
import { backupFiles } from '../../../src/backup/write/files.js';
import { DEFAULT_LAYOUT, type BackupManifest } from '../../../src/backup/manifest.js';
import {
  removeStaleStagedFiles,
  stageBackup,
  StagingProgressSchema,
  type StagingProgress,
} from '../../../src/backup/restore/staging.js';
import { ErrorCode } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { BreakingStore } from '../../support/breaking-store.js';
import { rejection } from '../../unit/actions/support.js';

const SEGMENT = 256 * 1024;

let scratch: string;
let store: BlobStore;
let manifest: BackupManifest;
let object: Buffer;

function depsOver(blobStore: BlobStore, overrides: Partial<BackupDeps> = {}): BackupDeps {
  return {
    store: blobStore,
    layout: DEFAULT_LAYOUT,
    postgres: {},
    directories: { site: { path: path.join(scratch, 'site') } },
    restore: { directory: path.join(scratch, 'restore'), staging: path.join(scratch, 'staging') },
    secrets: createSecretResolver({ env: {}, baseDir: scratch }),
    segmentBytes: SEGMENT,
    ...overrides,
  };
}

function stagedFiles(): string[] {
  const dir = path.join(scratch, 'staging');
  return existsSync(dir) ? readdirSync(dir) : [];
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-staging-'));
  mkdirSync(path.join(scratch, 'site'));
  // Random bytes do not compress: the archive spans several segments.
  writeFileSync(path.join(scratch, 'site', 'data.bin'), randomBytes(2 * 1024 * 1024));
  writeFileSync(path.join(scratch, 'site', 'readme.txt'), 'canary\n');
  store = await createFsStore({ dir: path.join(scratch, 'blobs') });
  ({ manifest } = await backupFiles(depsOver(store), 'site'));
  object = await readAll(await store.get(manifest.key));
  expect(manifest.segments?.sha256.length).toBeGreaterThan(4);
});

beforeEach(() => {
  rmSync(path.join(scratch, 'staging'), { recursive: true, force: true });
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Buffer comparison (vitest's deep equality walks megabytes byte by byte). */
function sameAsObject(bytes: Buffer): boolean {
  return bytes.equals(object);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('stageBackup', () => {
  it('downloads the object into a private file checked against the manifest', async () => {
    const progress: StagingProgress[] = [];
    const staged = await stageBackup(depsOver(store), manifest, { progress: (p) => progress.push(p) });
    expect(sameAsObject(await readFile(staged.file))).toBe(true);
    expect(staged).toMatchObject({ size: manifest.size, sha256: manifest.sha256, resumedFrom: 0 });
    expect(staged.bytesRead).toBe(manifest.size);
    expect(statSync(staged.file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(staged.file)).mode & 0o777).toBe(0o700);
    expect(progress.at(-1)).toMatchObject({ kind: 'restore.download', offset: manifest.size, phase: 'download' });
    expect(StagingProgressSchema.parse(staged.restoring).phase).toBe('restore');
  });

  it('makes a staging directory created wider than 0700 private before writing backup data into it', async () => {
    mkdirSync(path.join(scratch, 'staging'), { mode: 0o755 });
    chmodSync(path.join(scratch, 'staging'), 0o755);
    const staged = await stageBackup(depsOver(store), manifest);
    expect(statSync(path.dirname(staged.file)).mode & 0o777).toBe(0o700);
  });

  it('resumes a broken download from the bytes on disk, asking the store only for the rest', async () => {
    const breaking = new BreakingStore(store);
    const deps = depsOver(breaking.store);
    const progress: StagingProgress[] = [];
    breaking.failAfter = 3 * SEGMENT + 1000;
    const first = await rejection(stageBackup(deps, manifest, { progress: (p) => progress.push(p) }));
    expect(first.code).toBe(ErrorCode.Transient);
    expect(first.message).toMatch(/failed at byte \d+: connection reset by peer/);
    // The file stays for the retry.
    expect(stagedFiles()).toHaveLength(1);
    const last = progress.at(-1);
    const staged = await stageBackup(deps, manifest, { resumeFrom: last });
    const kept = breaking.starts.at(-1) ?? 0;
    // What reached the disk before the break (at most what the store sent) is kept.
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(3 * SEGMENT + 1000);
    expect(staged.resumedFrom).toBe(kept);
    expect(staged.bytesRead).toBe(manifest.size - kept);
    expect(staged.resumeSkipped).toBeUndefined();
    expect(sameAsObject(await readFile(staged.file))).toBe(true);
    expect(path.basename(staged.file)).toBe(last?.file);
  });

  it('starts over when the previous file is gone (another worker) or damaged on disk', async () => {
    const breaking = new BreakingStore(store);
    const deps = depsOver(breaking.store);
    let last: StagingProgress | undefined;
    breaking.failAfter = 2 * SEGMENT + 10;
    await rejection(stageBackup(deps, manifest, { progress: (p) => (last = p) }));
    const partial = path.join(scratch, 'staging', last?.file ?? '');
    // Flip a byte inside the first segment of what the previous attempt wrote.
    const bytes = await readFile(partial);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(partial, bytes);
    const damaged = await stageBackup(deps, manifest, { resumeFrom: last });
    expect(damaged.resumedFrom).toBe(0);
    expect(damaged.resumeSkipped).toMatch(/could not be reused: .*corrupt.*segment 0/);
    expect(sameAsObject(await readFile(damaged.file))).toBe(true);
    expect(stagedFiles()).toEqual([path.basename(damaged.file)]);

    rmSync(damaged.file);
    const gone = await stageBackup(deps, manifest, { resumeFrom: { ...last, phase: 'download' } });
    expect(gone.resumedFrom).toBe(0);
    expect(gone.resumeSkipped).toMatch(/not on this worker/);
    expect(gone.bytesRead).toBe(manifest.size);
  });

  it('keeps nothing when no retry follows: the last attempt deletes its file', async () => {
    const breaking = new BreakingStore(store);
    breaking.failAfter = SEGMENT + 10;
    const error = await rejection(stageBackup(depsOver(breaking.store), manifest, { lastAttempt: true }));
    expect(error.code).toBe(ErrorCode.Transient);
    expect(stagedFiles()).toEqual([]);
  });

  it('ignores progress about another object', async () => {
    const staged = await stageBackup(depsOver(store), manifest, {
      resumeFrom: { kind: 'backup.verify', key: manifest.key, offset: 10 },
    });
    expect(staged.resumeSkipped).toMatch(/not a staging download/);
    expect(staged.bytesRead).toBe(manifest.size);
  });

  it('fails a corrupt object at its first bad segment and deletes the file', async () => {
    const key = `${manifest.key}.tampered`;
    const tampered = Buffer.from(object);
    tampered[2 * SEGMENT + 5] = (tampered[2 * SEGMENT + 5] ?? 0) ^ 0x01;
    await store.put(key, tampered);
    const error = await rejection(stageBackup(depsOver(store), { ...manifest, key }));
    expect(error.code).toBe(ErrorCode.BackupCorrupt);
    expect(error.message).toMatch(/segment 2 of \d+ \(bytes 524288-786431\)/);
    expect(stagedFiles()).toEqual([]);
    await store.delete(key);
  });

  it('refuses before downloading when the staging disk cannot hold the object', async () => {
    const huge = { ...manifest, size: 2 ** 52, segments: undefined };
    const error = await rejection(stageBackup(depsOver(store), huge));
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.message).toMatch(
      /staging directory .* MiB free, the backup needs \d+ MiB more.*backups\.restore\.staging/,
    );
    expect(stagedFiles()).toEqual([]);
  });

  it('stops and deletes the file when the restore is cancelled', async () => {
    const controller = new AbortController();
    const error = await rejection(
      stageBackup(depsOver(store), manifest, {
        signal: controller.signal,
        progressIntervalMs: 0,
        progress: (p) => {
          if (p.offset > SEGMENT) controller.abort(new Error('cancelled by the test'));
        },
      }),
    );
    expect(error.message).toBe('cancelled by the test');
    expect(stagedFiles()).toEqual([]);
  });
});

describe('removeStaleStagedFiles', () => {
  it('deletes staged files idle past the limit and nothing else', async () => {
    const dir = path.join(scratch, 'staging');
    mkdirSync(dir, { recursive: true });
    const old = `${manifest.id}-0123456789abcdef.staged`;
    const fresh = `${manifest.id}-fedcba9876543210.staged`;
    for (const name of [old, fresh, 'notes.txt']) writeFileSync(path.join(dir, name), 'x');
    const longAgo = new Date(Date.now() - 7 * 60 * 60_000);
    utimesSync(path.join(dir, old), longAgo, longAgo);
    utimesSync(path.join(dir, 'notes.txt'), longAgo, longAgo);
    expect(await removeStaleStagedFiles(depsOver(store))).toEqual([old]);
    expect(readdirSync(dir).sort()).toEqual([fresh, 'notes.txt'].sort());
  });
});

describe('restoreFiles with staging', () => {
  it('extracts only once the whole archive checked out, and resumes a broken download', async () => {
    const breaking = new BreakingStore(store);
    const deps = depsOver(breaking.store);
    let last: StagingProgress | undefined;
    breaking.failAfter = 4 * SEGMENT;
    const target = path.join(scratch, 'restore', 'firebreak_drill_20260101t000000000z_aaaaaaaa');
    const first = await rejection(restoreFiles(deps, manifest, target, { stagingProgress: (p) => (last = p) }));
    expect(first.code).toBe(ErrorCode.Transient);
    // Nothing was extracted from a download that did not finish.
    expect(existsSync(target)).toBe(false);
    const restored = await restoreFiles(deps, manifest, target, { resumeFrom: last });
    const kept = breaking.starts.at(-1) ?? 0;
    expect(kept).toBeGreaterThan(0);
    expect(restored.staging).toMatchObject({ mode: 'file', resumedFrom: kept });
    expect(restored.staging.bytesRead).toBe(manifest.size - kept);
    expect(await readFile(path.join(target, 'readme.txt'), 'utf8')).toBe('canary\n');
    expect(stagedFiles()).toEqual([]);
    rmSync(target, { recursive: true });
  });

  it('still streams when asked to, with no staged file', async () => {
    const target = path.join(scratch, 'restore', 'firebreak_drill_20260101t000000000z_bbbbbbbb');
    const restored = await restoreFiles(depsOver(store), manifest, target, { staging: 'stream' });
    expect(restored.staging).toEqual({ mode: 'stream', resumedFrom: 0, bytesRead: manifest.size });
    expect(await readFile(path.join(target, 'readme.txt'), 'utf8')).toBe('canary\n');
    expect(stagedFiles()).toEqual([]);
    rmSync(target, { recursive: true });
  });
});
