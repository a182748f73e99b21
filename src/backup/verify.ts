/**
 * Verifying a backup object against its manifest: one streaming SHA-256 (node:crypto) over the object's
 * bytes, compared with the manifest's digest and size. The object is never held in memory (the store
 * streams it in chunks of about 1 MiB). Every `checkpointBytes` the hash state is snapshotted in the
 * process (see hash-checkpoints.ts) and the offset is reported as progress, so a retried attempt in the
 * same process reads only the rest of the object with a ranged GET.
 */
import { createHash, type Hash } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import { z } from 'zod';
import { abortReason } from '../actions/abort.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { HashCheckpoints, processCheckpoints } from './hash-checkpoints.js';
import type { BackupManifest } from './manifest.js';

/** Default distance between hash snapshots (and progress reports). */
export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** The progress a verification reports: enough to resume it, bound to the object it is about. */
export const VerifyProgressSchema = z.strictObject({
  kind: z.literal('backup.verify'),
  key: z.string(),
  size: z.int().min(0),
  sha256: z.string(),
  /** Bytes hashed so far; a snapshot of the hash after exactly these bytes is held under `checkpoint`. */
  offset: z.int().min(0),
  /** Opaque token of the in-process hash snapshot (node:crypto state cannot be serialised). */
  checkpoint: z.string().regex(/^[0-9a-f]{32}$/),
});
export type VerifyProgress = z.infer<typeof VerifyProgressSchema>;

/** How a verification runs. */
export interface VerifyOptions {
  signal?: AbortSignal;
  /** Called at each checkpoint with progress to heartbeat. */
  progress?: (progress: VerifyProgress) => void;
  /** The previous attempt's last progress (heartbeat details); ignored unless it is about this object. */
  resumeFrom?: unknown;
  checkpoints?: HashCheckpoints;
  checkpointBytes?: number;
}

/** What a successful verification read and found. */
export interface VerifyResult {
  key: string;
  size: number;
  sha256: string;
  /** Where this attempt started reading (0 unless it resumed). */
  resumedFrom: number;
  /** Why a previous attempt's progress could not be used, when there was some. */
  resumeSkipped?: string;
  bytesRead: number;
  durationMs: number;
}

/**
 * Streams the manifest's object and checks its SHA-256 and size. Throws BACKUP_CORRUPT (not retried) on a
 * mismatch, naming both digests and sizes; NOT_FOUND when the object is missing; store errors otherwise.
 */
export async function verifyBackup(
  store: BlobStore,
  manifest: BackupManifest,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const started = performance.now();
  const checkpoints = options.checkpoints ?? processCheckpoints;
  const head = await store.head(manifest.key);
  if (head === undefined) {
    throw new FirebreakError(ErrorCode.NotFound, `backup object ${manifest.key} of ${manifest.id} is missing`);
  }
  if (head.size !== manifest.size) throw sizeMismatch(manifest, head.size);
  const resume = resumePoint(manifest, options.resumeFrom, checkpoints);
  const run = { token: resume.token, hash: resume.hash, offset: resume.offset };
  const stream = await store.get(manifest.key, run.offset > 0 ? { start: run.offset } : undefined);
  try {
    await hashStream(stream, manifest, run, { ...options, checkpoints });
  } catch (error) {
    if (error instanceof FirebreakError && error.code === ErrorCode.BackupCorrupt) checkpoints.drop(run.token);
    throw error;
  }
  const actual = run.hash.digest('hex');
  checkpoints.drop(run.token);
  if (run.offset !== manifest.size || actual !== manifest.sha256) throw digestMismatch(manifest, actual, run.offset);
  return {
    key: manifest.key,
    size: manifest.size,
    sha256: actual,
    resumedFrom: resume.offset,
    ...(resume.skipped === undefined ? {} : { resumeSkipped: resume.skipped }),
    bytesRead: run.offset - resume.offset,
    durationMs: Math.round(performance.now() - started),
  };
}

interface RunState {
  token: string;
  hash: Hash;
  offset: number;
}

interface ResumePoint extends RunState {
  skipped?: string;
}

/** Where to start: the previous attempt's snapshot when this process holds it, else byte 0. */
function resumePoint(manifest: BackupManifest, resumeFrom: unknown, checkpoints: HashCheckpoints): ResumePoint {
  const fresh = { token: HashCheckpoints.newToken(), hash: createHash('sha256'), offset: 0 };
  if (resumeFrom === undefined || resumeFrom === null) return fresh;
  const parsed = VerifyProgressSchema.safeParse(resumeFrom);
  if (!parsed.success) return { ...fresh, skipped: 'the previous progress is not a verification' };
  const progress = parsed.data;
  if (progress.key !== manifest.key || progress.size !== manifest.size || progress.sha256 !== manifest.sha256) {
    return { ...fresh, skipped: 'the previous progress is about another object' };
  }
  const hash = checkpoints.take(progress.checkpoint, progress.offset);
  if (hash === undefined) {
    return { ...fresh, skipped: `no hash state for offset ${progress.offset} in this worker process (restarted)` };
  }
  return { token: progress.checkpoint, hash, offset: progress.offset };
}

async function hashStream(
  stream: Readable,
  manifest: BackupManifest,
  run: RunState,
  options: VerifyOptions & { checkpoints: HashCheckpoints },
): Promise<void> {
  const every = options.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
  const { signal } = options;
  // Destroys the stream on abort, so a read stalled on a dead server ends too.
  if (signal) addAbortSignal(signal, stream);
  let next = run.offset + every;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      run.hash.update(buffer);
      run.offset += buffer.length;
      // More bytes than the manifest says: the object changed under us; stop rather than read it all.
      if (run.offset > manifest.size) throw sizeMismatch(manifest, run.offset, 'at least ');
      if (run.offset >= next) {
        next = run.offset + every;
        options.checkpoints.save(run.token, run.offset, run.hash);
        options.progress?.(progressOf(manifest, run));
      }
    }
  } catch (error) {
    stream.destroy();
    if (signal?.aborted) throw abortReason(signal);
    if (error instanceof FirebreakError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new FirebreakError(ErrorCode.Transient, `reading ${manifest.key} failed at byte ${run.offset}: ${why}`);
  }
}

function progressOf(manifest: BackupManifest, run: RunState): VerifyProgress {
  return {
    kind: 'backup.verify',
    key: manifest.key,
    size: manifest.size,
    sha256: manifest.sha256,
    offset: run.offset,
    checkpoint: run.token,
  };
}

function sizeMismatch(manifest: BackupManifest, actual: number, qualifier = ''): FirebreakError {
  return new FirebreakError(
    ErrorCode.BackupCorrupt,
    `backup ${manifest.id} of ${manifest.source} is corrupt: ${manifest.key} is ${qualifier}${actual} bytes, ` +
      `the manifest says ${manifest.size} bytes (expected sha256 ${manifest.sha256}; actual not computed)`,
    { expected: { size: manifest.size, sha256: manifest.sha256 }, actual: { size: actual } },
  );
}

function digestMismatch(manifest: BackupManifest, actual: string, size: number): FirebreakError {
  return new FirebreakError(
    ErrorCode.BackupCorrupt,
    `backup ${manifest.id} of ${manifest.source} is corrupt: ${manifest.key} has sha256 ${actual} over ${size} bytes, ` +
      `the manifest says sha256 ${manifest.sha256} over ${manifest.size} bytes`,
    { expected: { size: manifest.size, sha256: manifest.sha256 }, actual: { size, sha256: actual } },
  );
}
