/**
 * Byte meters for backup and restore streams: count and hash the bytes as they pass, and report progress
 * at most once per interval (each report becomes an activity heartbeat, which Temporal throttles anyway,
 * but there is no reason to call it for every 64 KiB chunk).
 */
import { Transform } from 'node:stream';
import { Digest } from '../storage/blob-store.js';

/** Receives the number of bytes that have passed so far. */
export type ProgressListener = (bytes: number) => void;

/** What streaming backup and restore functions accept besides their arguments. */
export interface StreamOptions {
  /** Aborting stops the child processes and fails the call with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the bytes moved so far, at most once per `progressIntervalMs`. */
  onProgress?: ProgressListener;
  /** Default 1 s. */
  progressIntervalMs?: number;
}

/** Returns a function to call with each chunk's size; it reports the running total, throttled. */
export function progressCounter(options: StreamOptions = {}): { add(bytes: number): void; total(): number } {
  const interval = options.progressIntervalMs ?? 1_000;
  let total = 0;
  let reportedAt = 0;
  return {
    add(bytes) {
      total += bytes;
      const now = Date.now();
      if (!options.onProgress || now - reportedAt < interval) return;
      reportedAt = now;
      options.onProgress(total);
    },
    total: () => total,
  };
}

/** A pass-through stream that counts and hashes what flows through it. */
export interface ByteMeter {
  stream: Transform;
  /** Bytes that have passed so far. */
  bytes(): number;
  /** The SHA-256 (hex) of everything that passed; call once, after the stream has finished. */
  sha256(): string;
}

/** Creates a meter that reports progress through `options.onProgress`. */
export function byteMeter(options: StreamOptions = {}): ByteMeter {
  const digest = new Digest();
  const counter = progressCounter(options);
  const stream = new Transform({
    transform(chunk: unknown, _encoding, callback) {
      const buffer = digest.update(chunk);
      counter.add(buffer.length);
      callback(null, buffer);
    },
  });
  return { stream, bytes: () => digest.size, sha256: () => digest.hex() };
}

/** Milliseconds elapsed since `started` (a `performance.now()` reading), rounded to whole milliseconds. */
export function elapsedMs(started: number): number {
  return Math.round(performance.now() - started);
}

/** Bytes per second for `bytes` moved in `ms`, rounded; 0 when nothing was measured. */
export function bytesPerSecond(bytes: number, ms: number): number {
  return ms > 0 ? Math.round((bytes * 1000) / ms) : 0;
}
