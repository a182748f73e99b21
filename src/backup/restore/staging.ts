/**
 * Staging a backup object on local disk before it is restored. The object is downloaded into a file under
 * the staging directory (`backups.restore.staging`) and checked on the way: segment by segment against the
 * manifest's hash list as each segment completes (a corrupt backup stops at the first bad segment, before
 * anything is restored), and as a whole against the manifest's size and SHA-256 at the end. Only then does
 * the restore read it (pg_restore with parallel jobs, or the tar extractor).
 *
 * Resumption: the download reports the file it writes as progress (an activity heartbeat). A retried
 * attempt that finds that file keeps what it holds: it re-reads the prefix from local disk to rebuild the
 * hashes (and re-checks its segments, so a file damaged on disk is started over, not trusted), then asks
 * the store for the rest with a ranged GET. A retry on another host, where the file is not, starts over
 * and says why. A retry after the download finished (pg_restore failed) restores from the file at once.
 *
 * Staged files hold backup data: the directory is created 0700 and files 0600. A finished restore, a
 * cancelled one and a corrupt backup delete their file; a failure worth retrying keeps it for the retry,
 * and the janitor (`removeStaleStagedFiles`, run before every staging) deletes files nobody has written
 * or touched for a while.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rm, stat, statfs, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { abortReason } from '../../domain/abort.js';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../../domain/errors.js';
import { Digest } from '../../storage/blob-store.js';
import { ensurePrivateDir } from '../../storage/private-files.js';
import type { BackupDeps } from '../deps.js';
import type { BackupManifest } from '../manifest.js';
import { elapsedMs, progressCounter, type StreamOptions } from '../progress.js';
import { SegmentChecker, usableSegments } from '../integrity/segment-check.js';

/** How a restore gets the object: staged on disk first (resumable, parallel pg_restore) or streamed. */
export const STAGING_MODES = ['file', 'stream'] as const;
export type StagingMode = (typeof STAGING_MODES)[number];

/** A staged file nobody has written or touched for this long is deleted by the janitor. */
export const DEFAULT_STALE_STAGED_MS = 6 * 60 * 60_000;

/** Free space kept beyond the object's size, so a restore does not fill the disk to the last byte. */
const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

/** How often a restore reading a staged file touches it, so the janitor sees it in use. */
export const TOUCH_INTERVAL_MS = 60_000;

const STAGED_NAME = /^(\d{8}T\d{9}Z-[0-9a-f]{8})-([0-9a-f]{16})\.staged$/;

/** The progress a staging download reports: enough for a retry to find the file and carry on. */
export const StagingProgressSchema = z.strictObject({
  kind: z.literal('restore.download'),
  key: z.string(),
  size: z.int().min(0),
  sha256: z.string(),
  /** The staged file's name in the staging directory (never a path). */
  file: z.string().regex(STAGED_NAME),
  /** Bytes downloaded so far. */
  offset: z.int().min(0),
  /** `download` while bytes arrive, `restore` once the file is complete and being restored. */
  phase: z.enum(['download', 'restore']),
  /** Time spent getting this file so far, over every attempt (and a verify step that staged it). */
  downloadMs: z.int().min(0).optional(),
});
export type StagingProgress = z.infer<typeof StagingProgressSchema>;

/** How a staging runs. */
export interface StageOptions {
  signal?: AbortSignal;
  /** Called with progress to heartbeat, at most once per `progressIntervalMs` while downloading. */
  progress?: (progress: StagingProgress) => void;
  /** Default 1 s. */
  progressIntervalMs?: number;
  /** The previous attempt's last progress (heartbeat details); ignored unless it is about this object. */
  resumeFrom?: unknown;
  /** Minimum idle time before the janitor deletes a staged file. Default 6 hours. */
  staleAfterMs?: number;
  /** No retry follows a failure: the file is deleted whatever the failure. */
  lastAttempt?: boolean;
}

/** A backup object on local disk, checked against its manifest. */
export interface StagedObject {
  /** Absolute path of the staged file. */
  file: string;
  size: number;
  sha256: string;
  /** Where this attempt's download started (0 unless it resumed). */
  resumedFrom: number;
  /** Why the previous attempt's file could not be used, when there was one. */
  resumeSkipped?: string;
  /** Bytes this attempt read from the store. */
  bytesRead: number;
  /**
   * Time spent getting the file complete: this attempt's (re-reading a resumed prefix included) plus what
   * the attempts (or verify step) it resumed from spent. Part of a restore's RTO.
   */
  downloadMs: number;
  /** Progress to report while the file is being restored (phase `restore`). */
  restoring: StagingProgress;
}

/** The staging directory, created if missing and kept 0700 (it holds backup data) even if made wider. */
async function stagingDir(deps: BackupDeps): Promise<string> {
  const dir = path.resolve(deps.restore.staging);
  try {
    await ensurePrivateDir(dir);
  } catch (error) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `cannot create the staging directory ${dir} (backups.restore.staging): ${String(error)}`,
    );
  }
  return dir;
}

/**
 * Downloads `manifest`'s object into the staging directory (or finishes the previous attempt's download),
 * checking it against the manifest. Throws BACKUP_CORRUPT on a mismatch (the file is deleted), a retryable
 * error naming the offset when the store fails mid-way (the file is kept for the retry).
 */
export async function stageBackup(
  deps: BackupDeps,
  manifest: BackupManifest,
  options: StageOptions = {},
): Promise<StagedObject> {
  const started = performance.now();
  const dir = await stagingDir(deps);
  await removeStaleStagedFiles(deps, options.staleAfterMs);
  let resume = await resumePoint(dir, manifest, options.resumeFrom);
  let state = new StagingState(manifest, resume.name, started, resume.priorMs);
  if (resume.offset > 0) {
    try {
      await rehashPrefix(path.join(dir, resume.name), resume.offset, state, options.signal);
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      // The file on this disk is damaged (or unreadable): it is started over, not trusted.
      await rm(path.join(dir, resume.name), { force: true });
      const why = error instanceof Error ? error.message : String(error);
      resume = { ...freshName(manifest), skipped: `the staged file ${resume.name} could not be reused: ${why}` };
      state = new StagingState(manifest, resume.name, started, 0);
    }
  }
  const file = path.join(dir, resume.name);
  try {
    if (resume.offset === 0) await createStagedFile(file);
    const from = state.offset;
    if (from < manifest.size) {
      await ensureSpace(dir, manifest.size - from);
      await download(deps, manifest, file, state, options);
    }
    state.finish();
    return {
      file,
      size: manifest.size,
      sha256: manifest.sha256,
      resumedFrom: from,
      ...(resume.skipped === undefined ? {} : { resumeSkipped: resume.skipped }),
      bytesRead: state.offset - from,
      downloadMs: state.downloadMs(),
      restoring: state.progress('restore'),
    };
  } catch (error) {
    if (!keepForRetry(error, options)) await rm(file, { force: true });
    throw error;
  }
}

/**
 * Deletes the staged file a previous attempt's progress names (when it is one and is here): called when an
 * attempt with no retry after it fails before reaching that file, which no one else would then use.
 */
export async function discardStagedFrom(deps: BackupDeps, resumeFrom: unknown): Promise<void> {
  const parsed = StagingProgressSchema.safeParse(resumeFrom);
  if (!parsed.success) return;
  await rm(path.join(path.resolve(deps.restore.staging), parsed.data.file), { force: true });
}

/** Runs a restore; when it fails on an attempt no retry follows, discards the previous attempt's file too. */
export async function lastAttemptCleanup<T>(
  deps: BackupDeps,
  ctx: { lastAttempt?: boolean; resumeFrom?: unknown },
  restore: () => Promise<T>,
): Promise<T> {
  try {
    return await restore();
  } catch (error) {
    if (ctx.lastAttempt === true) await discardStagedFrom(deps, ctx.resumeFrom);
    throw error;
  }
}

/**
 * Stages the object, then calls `use` with the staged file, keeping it touched while `use` runs. The file
 * is deleted afterwards, unless `use` failed in a way a retry may fix and a retry follows: then the retry
 * restores from it without downloading again.
 */
export async function withStagedBackup<T>(
  deps: BackupDeps,
  manifest: BackupManifest,
  options: StreamOptions & StagingChoice,
  use: (staged: StagedObject) => Promise<T>,
): Promise<T> {
  const staged = await stageBackup(deps, manifest, stageOptions(options));
  options.stagingProgress?.(staged.restoring);
  const alive = keepStagedAlive(staged);
  let keep = false;
  try {
    return await use(staged);
  } catch (error) {
    keep = keepForRetry(error, options);
    throw error;
  } finally {
    alive.stop();
    if (!keep) await rm(staged.file, { force: true });
  }
}

/** Keeps `staged` from looking abandoned while it is read: touches it every `TOUCH_INTERVAL_MS`. */
function keepStagedAlive(staged: StagedObject): { stop(): void } {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(staged.file, now, now).catch(() => undefined);
  }, TOUCH_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Whether a staged file is worth keeping after `error`: a retry follows (not cancelled, not the last
 * attempt) and may succeed, i.e. the error is not one Temporal is told never to retry (NON_RETRYABLE_CODES).
 */
function keepForRetry(error: unknown, options: { signal?: AbortSignal; lastAttempt?: boolean }): boolean {
  if (options.signal?.aborted === true || options.lastAttempt === true) return false;
  return !(error instanceof FirebreakError && NON_RETRYABLE_CODES.includes(error.code));
}

/** Deletes staged files in the staging directory untouched for `olderThanMs`; returns their names. */
export async function removeStaleStagedFiles(
  deps: BackupDeps,
  olderThanMs: number = DEFAULT_STALE_STAGED_MS,
): Promise<string[]> {
  const dir = path.resolve(deps.restore.staging);
  const cutoff = (deps.now?.() ?? new Date()).getTime() - olderThanMs;
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!STAGED_NAME.test(name)) continue;
    const info = await stat(path.join(dir, name)).catch(() => undefined);
    if (info === undefined || Math.max(info.mtimeMs, info.atimeMs) > cutoff) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

interface Resume {
  name: string;
  offset: number;
  /** Download time the file already cost (earlier attempts, a verify step). */
  priorMs: number;
  skipped?: string;
}

function freshName(manifest: BackupManifest): Resume {
  return { name: `${manifest.id}-${randomBytes(8).toString('hex')}.staged`, offset: 0, priorMs: 0 };
}

/** The previous attempt's file and how much of it to keep, or a fresh name. */
async function resumePoint(dir: string, manifest: BackupManifest, resumeFrom: unknown): Promise<Resume> {
  const fresh = freshName(manifest);
  if (resumeFrom === undefined || resumeFrom === null) return fresh;
  const parsed = StagingProgressSchema.safeParse(resumeFrom);
  if (!parsed.success) return { ...fresh, skipped: 'the previous progress is not a staging download' };
  const progress = parsed.data;
  if (progress.key !== manifest.key || progress.size !== manifest.size || progress.sha256 !== manifest.sha256) {
    return { ...fresh, skipped: 'the previous progress is about another object' };
  }
  const info = await stat(path.join(dir, progress.file)).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    return { ...fresh, skipped: `the staged file ${progress.file} is not on this worker (another host, or removed)` };
  }
  if (info.size > manifest.size) {
    await rm(path.join(dir, progress.file), { force: true });
    return { ...fresh, skipped: `the staged file ${progress.file} is larger than the object` };
  }
  return { name: progress.file, offset: info.size, priorMs: progress.downloadMs ?? 0 };
}

async function createStagedFile(file: string): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  await handle.close();
}

/** Hashes as bytes arrive: the whole object, and segment by segment against the manifest's hash list. */
class StagingState {
  readonly #manifest: BackupManifest;
  readonly #name: string;
  readonly #whole = new Digest();
  readonly #segments: SegmentChecker | undefined;
  readonly #started: number;
  readonly #priorMs: number;

  /** `started`: a performance.now() reading when this attempt began; `priorMs`: earlier attempts' time. */
  constructor(manifest: BackupManifest, name: string, started: number, priorMs: number) {
    this.#manifest = manifest;
    this.#name = name;
    this.#started = started;
    this.#priorMs = priorMs;
    const segments = usableSegments(manifest);
    this.#segments = segments === undefined ? undefined : new SegmentChecker(manifest, segments);
  }

  get offset(): number {
    return this.#whole.size;
  }

  /** Feeds the next bytes; throws BACKUP_CORRUPT as soon as they overrun the object or break a segment. */
  update(buffer: Buffer): void {
    if (this.#whole.size + buffer.length > this.#manifest.size) {
      throw corrupt(this.#manifest, `is more than the manifest's ${this.#manifest.size} bytes`);
    }
    this.#whole.update(buffer);
    this.#segments?.update(buffer);
  }

  /** Checks the end: every byte there, the last segment and the whole digest as the manifest says. */
  finish(): void {
    const manifest = this.#manifest;
    if (this.#whole.size !== manifest.size) {
      throw corrupt(manifest, `ended at ${this.#whole.size} bytes, the manifest says ${manifest.size}`);
    }
    this.#segments?.finish();
    const actual = this.#whole.hex();
    if (actual !== manifest.sha256) {
      throw corrupt(manifest, `has SHA-256 ${actual}, the manifest says ${manifest.sha256}`);
    }
  }

  /** Download time so far, this attempt's and the earlier ones'. */
  downloadMs(): number {
    return this.#priorMs + elapsedMs(this.#started);
  }

  progress(phase: StagingProgress['phase']): StagingProgress {
    const manifest = this.#manifest;
    return {
      kind: 'restore.download',
      key: manifest.key,
      size: manifest.size,
      sha256: manifest.sha256,
      file: this.#name,
      offset: this.#whole.size,
      phase,
      downloadMs: this.downloadMs(),
    };
  }
}

function corrupt(manifest: BackupManifest, what: string): FirebreakError {
  return new FirebreakError(
    ErrorCode.BackupCorrupt,
    `backup ${manifest.id} of ${manifest.source} is corrupt: ${manifest.key} ${what}`,
  );
}

/** Re-reads the first `offset` bytes of the staged file into the hashes (a damaged file fails its segment). */
async function rehashPrefix(file: string, offset: number, state: StagingState, signal?: AbortSignal): Promise<void> {
  // Bytes past the last whole segment the previous attempt wrote are kept too: they are hashed like the rest.
  const stream = createReadStream(file, { start: 0, end: offset - 1, highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream) state.update(chunk as Buffer);
  } catch (error) {
    stream.destroy();
    if (signal?.aborted) throw abortReason(signal);
    throw error;
  }
  if (state.offset !== offset) {
    throw new FirebreakError(ErrorCode.Transient, `re-reading the staged file ${file} stopped at ${state.offset}`);
  }
}

/** INVALID_INPUT when the staging directory's file system cannot hold `needed` more bytes. */
async function ensureSpace(dir: string, needed: number): Promise<void> {
  const fs = await statfs(dir).catch(() => undefined);
  if (fs === undefined) return;
  const free = fs.bavail * fs.bsize;
  if (free >= needed + SPACE_MARGIN_BYTES) return;
  throw new FirebreakError(
    ErrorCode.InvalidInput,
    `the staging directory ${dir} has ${mib(free)} MiB free, the backup needs ${mib(needed)} MiB more: ` +
      `point backups.restore.staging at a larger volume, or restore with staging: stream`,
  );
}

function mib(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/** Appends the rest of the object to the staged file with a ranged GET, hashing and reporting as it goes. */
async function download(
  deps: BackupDeps,
  manifest: BackupManifest,
  file: string,
  state: StagingState,
  options: StageOptions,
): Promise<void> {
  const from = state.offset;
  const counter = progressCounter({
    ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }),
    onProgress: () => options.progress?.(state.progress('download')),
  });
  options.progress?.(state.progress('download'));
  const body = await deps.store.get(manifest.key, from > 0 ? { start: from } : undefined);
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        state.update(chunk);
        counter.add(chunk.length);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const sink = createWriteStream(file, { flags: 'a', mode: 0o600 });
  try {
    await pipeline(body, check, sink, ...(options.signal ? [{ signal: options.signal }] : []));
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (error instanceof FirebreakError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new FirebreakError(ErrorCode.Transient, `downloading ${manifest.key} failed at byte ${state.offset}: ${why}`);
  }
  options.progress?.(state.progress('download'));
}

/** How a restore gets and restores the object (shared by the file and database restores). */
export interface StagingChoice {
  /** `file` (default): staged on disk first, resumable; `stream`: straight from the store. */
  staging?: StagingMode;
  /** The previous attempt's last progress, to resume its download (file staging). */
  resumeFrom?: unknown;
  /** Receives staging progress to heartbeat (file staging). */
  stagingProgress?: StageOptions['progress'];
  /** No retry follows a failure: a staged file is deleted whatever the failure (file staging). */
  lastAttempt?: boolean;
}

/** How the object reached the restore. */
export interface StagingReport {
  mode: StagingMode;
  /** Where this attempt's download started (0 unless it resumed a previous attempt's file). */
  resumedFrom: number;
  /** Bytes this attempt read from the store. */
  bytesRead: number;
  /** Why a previous attempt's file could not be reused, when there was one. */
  resumeSkipped?: string;
}

/** The StageOptions part of a restore's options. */
function stageOptions(options: StreamOptions & StagingChoice): StageOptions {
  return {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.resumeFrom === undefined ? {} : { resumeFrom: options.resumeFrom }),
    ...(options.stagingProgress === undefined ? {} : { progress: options.stagingProgress }),
    ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }),
    ...(options.lastAttempt === undefined ? {} : { lastAttempt: options.lastAttempt }),
  };
}

/** What the outcome says about a staged download. */
export function stagingReport(staged: StagedObject): StagingReport {
  return {
    mode: 'file',
    resumedFrom: staged.resumedFrom,
    bytesRead: staged.bytesRead,
    ...(staged.resumeSkipped === undefined ? {} : { resumeSkipped: staged.resumeSkipped }),
  };
}
