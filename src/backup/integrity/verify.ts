/**
 * Verifying a backup object against its manifest: one streaming SHA-256 (node:crypto) over the object's
 * bytes, compared with the manifest's digest and size. The object is never held in memory (the store
 * streams it in chunks of about 1 MiB). Every `checkpointBytes` the hash state is snapshotted in the
 * process (see hash-checkpoints.ts) and the offset is reported as progress, so a retried attempt in the
 * same process reads only the rest of the object with a ranged GET.
 *
 * When the manifest carries a hash list (`segments`, see segment-hasher.ts) the object is verified segment
 * by segment instead: each segment is hashed (node:crypto) as it streams and compared with its digest in
 * the manifest, and the number of segments verified is reported after each. The whole-object `sha256` is
 * then not recomputed: every byte of the object lies in exactly one segment whose digest the manifest
 * vouches for, the segments cover exactly `size` bytes, and the manifest is kept apart from the data, so
 * matching every segment proves the same bytes as matching the whole. What it buys: a retry in any worker
 * process (after a crash too) resumes at the last verified segment boundary with a ranged GET, since no
 * hash state has to survive. A manifest without segments (or with a list that does not fit its size) is
 * verified with the whole-object digest as before.
 */
import { createHash, type Hash } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import { z } from 'zod';
import { abortReason } from '../../domain/abort.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { HashCheckpoints, processCheckpoints } from './hash-checkpoints.js';
import type { BackupManifest } from '../manifest.js';
import { SegmentChecker, usableSegments } from './segment-check.js';
import type { Segments } from './segment-hasher.js';

/** Default distance between hash snapshots (and progress reports). */
export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** The progress a whole-object verification reports: enough to resume it, bound to the object it is about. */
export const CheckpointProgressSchema = z.strictObject({
  kind: z.literal('backup.verify'),
  key: z.string(),
  size: z.int().min(0),
  sha256: z.string(),
  /** Bytes hashed so far; a snapshot of the hash after exactly these bytes is held under `checkpoint`. */
  offset: z.int().min(0),
  /** Opaque token of the in-process hash snapshot (node:crypto state cannot be serialised). */
  checkpoint: z.string().regex(/^[0-9a-f]{32}$/),
});

/** The progress a segment-by-segment verification reports: usable by a retry in any process. */
export const SegmentProgressSchema = z.strictObject({
  kind: z.literal('backup.verify'),
  key: z.string(),
  size: z.int().min(0),
  sha256: z.string(),
  /** The manifest's segment length. */
  segmentBytes: z.int().min(1),
  /** Segments from the start of the object whose digests matched the manifest's. */
  segmentsVerified: z.int().min(0),
  /** Bytes those segments cover: min(segmentsVerified * segmentBytes, size). */
  offset: z.int().min(0),
});

/** The progress a verification reports (either kind). */
export const VerifyProgressSchema = z.union([CheckpointProgressSchema, SegmentProgressSchema]);
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
  /** The digest recomputed; with a hash list, the manifest's, vouched for by every segment's digest. */
  sha256: string;
  /** Present when the object was verified against the manifest's hash list. */
  segments?: { size: number; count: number };
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
  const segments = usableSegments(manifest);
  if (segments !== undefined) return verifySegments(store, manifest, segments, options, started);
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
  const parsed = CheckpointProgressSchema.safeParse(resumeFrom);
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

interface SegmentRun {
  /** Segments verified so far. */
  verified: number;
  /** Bytes read so far, from the start of the object. */
  offset: number;
}

/** Verifies the object against the manifest's hash list, from the segment the previous attempt reached. */
async function verifySegments(
  store: BlobStore,
  manifest: BackupManifest,
  segments: Segments,
  options: VerifyOptions,
  started: number,
): Promise<VerifyResult> {
  const resume = segmentResume(manifest, segments, options.resumeFrom);
  const from = coveredBytes(manifest, segments, resume.verified);
  const run: SegmentRun = { verified: resume.verified, offset: from };
  // Nothing left to read when the previous attempt verified every segment (and then stopped).
  if (run.verified < segments.sha256.length) {
    const stream = await store.get(manifest.key, from > 0 ? { start: from } : undefined);
    await checkSegments(stream, manifest, segments, run, options);
  }
  return {
    key: manifest.key,
    size: manifest.size,
    sha256: manifest.sha256,
    segments: { size: segments.size, count: segments.sha256.length },
    resumedFrom: from,
    ...(resume.skipped === undefined ? {} : { resumeSkipped: resume.skipped }),
    bytesRead: run.offset - from,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Bytes covered by the first `verified` segments. */
function coveredBytes(manifest: BackupManifest, segments: Segments, verified: number): number {
  return Math.min(verified * segments.size, manifest.size);
}

/** How many segments the previous attempt verified, when its progress is about this object's hash list. */
function segmentResume(
  manifest: BackupManifest,
  segments: Segments,
  resumeFrom: unknown,
): { verified: number; skipped?: string } {
  if (resumeFrom === undefined || resumeFrom === null) return { verified: 0 };
  const parsed = SegmentProgressSchema.safeParse(resumeFrom);
  if (!parsed.success) return { verified: 0, skipped: 'the previous progress is not a segment verification' };
  const progress = parsed.data;
  if (progress.key !== manifest.key || progress.size !== manifest.size || progress.sha256 !== manifest.sha256) {
    return { verified: 0, skipped: 'the previous progress is about another object' };
  }
  if (
    progress.segmentBytes !== segments.size ||
    progress.segmentsVerified > segments.sha256.length ||
    progress.offset !== coveredBytes(manifest, segments, progress.segmentsVerified)
  ) {
    return { verified: 0, skipped: "the previous progress does not fit the manifest's segments" };
  }
  return { verified: progress.segmentsVerified };
}

/** Streams the rest of the object, checking each segment as it completes and reporting progress after it. */
async function checkSegments(
  stream: Readable,
  manifest: BackupManifest,
  segments: Segments,
  run: SegmentRun,
  options: VerifyOptions,
): Promise<void> {
  const checker = new SegmentChecker(manifest, segments, {
    verified: run.verified,
    onVerified: (verified) => {
      run.verified = verified;
      options.progress?.(segmentProgressOf(manifest, segments, verified));
    },
  });
  const { signal } = options;
  // Destroys the stream on abort, so a read stalled on a dead server ends too.
  if (signal) addAbortSignal(signal, stream);
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      // More bytes than the manifest says: the object changed under us; stop rather than read it all.
      if (run.offset + buffer.length > manifest.size) {
        throw sizeMismatch(manifest, run.offset + buffer.length, 'at least ');
      }
      checker.update(buffer);
      run.offset += buffer.length;
    }
  } catch (error) {
    stream.destroy();
    if (signal?.aborted) throw abortReason(signal);
    if (error instanceof FirebreakError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new FirebreakError(ErrorCode.Transient, `reading ${manifest.key} failed at byte ${run.offset}: ${why}`);
  }
  // Fewer bytes than the manifest says (the object shrank while it was read).
  if (run.offset !== manifest.size) throw sizeMismatch(manifest, run.offset);
  checker.finish();
}

function segmentProgressOf(manifest: BackupManifest, segments: Segments, verified: number): VerifyProgress {
  return {
    kind: 'backup.verify',
    key: manifest.key,
    size: manifest.size,
    sha256: manifest.sha256,
    segmentBytes: segments.size,
    segmentsVerified: verified,
    offset: coveredBytes(manifest, segments, verified),
  };
}
