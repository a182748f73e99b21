/**
 * Restoring a directory backup into a scratch directory under `backups.restore.directory`. By default the
 * archive is staged first (staging.ts: downloaded, checked against the manifest, resumable), so nothing is
 * extracted from bytes the manifest does not vouch for; with `staging: stream` it streams from the store
 * and is hashed on the way, checked once extracted. Either way it goes through gunzip into node-tar's
 * extractor in strict mode, so any entry it would otherwise skip or rewrite (a `..` path, an absolute path
 * or link target, a link escaping the target, a write through a symbolic link) fails the restore instead.
 * A failed restore removes what it wrote.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Unpack } from 'tar';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BackupDeps } from '../deps.js';
import type { BackupManifest } from '../manifest.js';
import { byteMeter, elapsedMs, type StreamOptions } from '../progress.js';
import { scratchName, scratchNameTime } from './scratch-name.js';
import { stagingReport, withStagedBackup, type StagingChoice, type StagingReport } from './staging.js';

/** How a file restore went. */
export interface FilesRestoreOutcome {
  directory: string;
  /** Archive entries extracted (directories and links included). */
  entries: number;
  bytes: number;
  sha256: string;
  staging: StagingReport;
  /** `restoreMs` runs from the start of the download to the last entry written; `downloadMs` is staging. */
  timings: { downloadMs: number; restoreMs: number };
}

/** Options of a files restore. */
export type FilesRestoreOptions = StreamOptions & StagingChoice;

/** Scratch directories younger than this are left alone by the janitor (they have no lock to ask). */
export const DEFAULT_LEFTOVER_DIRECTORY_AGE_MS = 6 * 60 * 60_000;

function inside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Restores a files backup into `targetDir`, which must lie under `deps.restore.directory` and not exist yet. */
export async function restoreFiles(
  deps: BackupDeps,
  manifest: BackupManifest,
  targetDir: string,
  options: FilesRestoreOptions = {},
): Promise<FilesRestoreOutcome> {
  if (manifest.kind !== 'files') {
    throw new FirebreakError(ErrorCode.InvalidInput, `backup ${manifest.id} is a ${manifest.kind} backup, not files`);
  }
  const root = path.resolve(deps.restore.directory);
  const target = path.resolve(targetDir);
  if (!inside(root, target)) {
    throw new FirebreakError(ErrorCode.InvalidInput, `restore target ${target} is not under ${root}`);
  }
  const started = performance.now();
  if ((options.staging ?? 'file') === 'stream') {
    const body = await deps.store.get(manifest.key);
    const extracted = await extractInto(manifest, body, target, options, true);
    const staging: StagingReport = { mode: 'stream', resumedFrom: 0, bytesRead: extracted.bytes };
    return { ...extracted, staging, timings: { downloadMs: 0, restoreMs: elapsedMs(started) } };
  }
  return withStagedBackup(deps, manifest, options, async (staged) => {
    const ready = performance.now();
    const body = createReadStream(staged.file, { highWaterMark: 1024 * 1024 });
    // No byte progress here: the heartbeat keeps the staging progress, which a retry resumes from.
    const extracted = await extractInto(manifest, body, target, { ...stageSignal(options) }, false);
    return {
      ...extracted,
      staging: stagingReport(staged),
      // The download counts even when an earlier attempt or a verify step did it.
      timings: { downloadMs: staged.downloadMs, restoreMs: staged.downloadMs + elapsedMs(ready) },
    };
  });
}

function stageSignal(options: StreamOptions): StreamOptions {
  return options.signal === undefined ? {} : { signal: options.signal };
}

/** Extracts `body` (a tar.gz) into the new directory `target`; `check` compares its bytes with the manifest. */
async function extractInto(
  manifest: BackupManifest,
  body: Readable,
  target: string,
  options: StreamOptions,
  check: boolean,
): Promise<{ directory: string; entries: number; bytes: number; sha256: string }> {
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await mkdir(target);
  } catch (error) {
    body.destroy();
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw new FirebreakError(
      exists ? ErrorCode.Conflict : ErrorCode.Transient,
      `cannot create ${target}: ${String(error)}`,
    );
  }
  const meter = byteMeter(options);
  let entries = 0;
  const unpack = new Unpack({
    cwd: target,
    strict: true,
    preserveOwner: false,
    filter: () => {
      entries += 1;
      return true;
    },
  });
  try {
    await pipeline(body, meter.stream, createGunzip(), unpack, ...(options.signal ? [{ signal: options.signal }] : []));
    const sha256 = meter.sha256();
    if (check && (meter.bytes() !== manifest.size || sha256 !== manifest.sha256)) {
      throw new FirebreakError(
        ErrorCode.BackupCorrupt,
        `backup object ${manifest.key} does not match its manifest (${meter.bytes()} bytes, SHA-256 ${sha256})`,
      );
    }
    return { directory: target, entries, bytes: meter.bytes(), sha256: check ? sha256 : manifest.sha256 };
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw extractError(manifest, error);
  }
}

/** A refused or unreadable archive is not worth retrying; the store's own errors keep their codes. */
function extractError(manifest: BackupManifest, error: unknown): unknown {
  if (error instanceof FirebreakError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && (code.startsWith('TAR_') || code.startsWith('Z_'))) {
    return new FirebreakError(ErrorCode.InvalidInput, `archive ${manifest.key} refused: ${message}`);
  }
  if (error instanceof Error && error.name === 'AbortError') return error;
  return new FirebreakError(ErrorCode.Transient, `restoring ${manifest.key} failed: ${message}`);
}

/** Removes scratch directories under `deps.restore.directory` at least `olderThanMs` old; returns their paths. */
export async function removeLeftoverScratchDirectories(
  deps: BackupDeps,
  olderThanMs: number = DEFAULT_LEFTOVER_DIRECTORY_AGE_MS,
): Promise<string[]> {
  const root = path.resolve(deps.restore.directory);
  const cutoff = (deps.now?.() ?? new Date()).getTime() - olderThanMs;
  const names = await readdir(root).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const createdAt = scratchNameTime(name);
    if (createdAt === undefined || createdAt.getTime() > cutoff) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed.push(path.join(root, name));
  }
  return removed;
}

/** What `withScratchDirectory` did: the caller's value, the restore and timings. */
export interface ScratchDirectoryRun<T> {
  value: T;
  restore: FilesRestoreOutcome;
  leftoversRemoved: string[];
  timings: { downloadMs: number; restoreMs: number; checkMs: number; removeMs: number; totalMs: number };
}

/**
 * Restores `manifest` into a new scratch directory, calls `fn` with its path and removes the directory
 * afterwards, whether the restore or `fn` succeeded or not.
 */
export async function withScratchDirectory<T>(
  deps: BackupDeps,
  manifest: BackupManifest,
  fn: (directory: string, restore: FilesRestoreOutcome) => Promise<T>,
  options: FilesRestoreOptions & { leftoverAgeMs?: number } = {},
): Promise<ScratchDirectoryRun<T>> {
  const started = performance.now();
  const leftoversRemoved = await removeLeftoverScratchDirectories(deps, options.leftoverAgeMs);
  const directory = path.join(path.resolve(deps.restore.directory), scratchName(deps.now?.() ?? new Date()));
  try {
    const restore = await restoreFiles(deps, manifest, directory, options);
    const checkStarted = performance.now();
    const value = await fn(directory, restore);
    const checkMs = elapsedMs(checkStarted);
    const removeStarted = performance.now();
    await rm(directory, { recursive: true, force: true });
    const removeMs = elapsedMs(removeStarted);
    const { downloadMs, restoreMs } = restore.timings;
    const timings = { downloadMs, restoreMs, checkMs, removeMs, totalMs: elapsedMs(started) };
    return { value, restore, leftoversRemoved, timings };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
