/**
 * Per-segment SHA-256 of a backup object (a hash list): the object is cut into consecutive segments of
 * `size` bytes (the last may be shorter) and each is hashed on its own. The manifest keeps the list, so a
 * verification can check the object segment by segment and a retry in any worker process can resume at a
 * segment boundary with a ranged GET: unlike a whole-object hash, no hash state has to survive the crash.
 *
 * The hashing is node:crypto's (OpenSSL) SHA-256; only the current segment's hash state is held, and
 * chunks are passed through as they come (a chunk is split at a boundary, never buffered).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';

/** Default segment length: 64 MiB. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** A manifest's hash list. */
export interface Segments {
  /** Segment length in bytes. */
  size: number;
  /** Hex SHA-256 of each consecutive segment; the last may be shorter. */
  sha256: string[];
}

/** The number of segments of an object of `total` bytes cut into `size`-byte segments. */
export function segmentCount(total: number, size: number): number {
  return Math.ceil(total / size);
}

/** Hashes bytes segment by segment as they are fed in. */
export class SegmentDigest {
  readonly size: number;
  #hash: Hash = createHash('sha256');
  /** Bytes of the current segment hashed so far. */
  #filled = 0;

  constructor(size: number = DEFAULT_SEGMENT_BYTES) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`segment size must be a positive integer`);
    this.size = size;
  }

  /** Feeds `buffer`; calls `done` with each segment digest completed by it, in order. */
  update(buffer: Buffer, done: (sha256: string) => void): void {
    let at = 0;
    while (at < buffer.length) {
      const take = Math.min(this.size - this.#filled, buffer.length - at);
      this.#hash.update(take === buffer.length ? buffer : buffer.subarray(at, at + take));
      at += take;
      this.#filled += take;
      if (this.#filled === this.size) done(this.#next());
    }
  }

  /** The digest of the final, shorter segment, if one is open; call once, at the end. */
  finish(): string | undefined {
    return this.#filled > 0 ? this.#next() : undefined;
  }

  #next(): string {
    const digest = this.#hash.digest('hex');
    this.#hash = createHash('sha256');
    this.#filled = 0;
    return digest;
  }
}

/** A pass-through stream that builds the hash list of what flows through it. */
export interface SegmentHasher {
  stream: Transform;
  /** The hash list; valid once the stream has ended (its final segment is closed on flush). */
  segments(): Segments;
}

/** Creates a segment hasher with `size`-byte segments. */
export function segmentHasher(size: number = DEFAULT_SEGMENT_BYTES): SegmentHasher {
  const digest = new SegmentDigest(size);
  const sha256: string[] = [];
  const push = (hex: string) => sha256.push(hex);
  const stream = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      digest.update(buffer, push);
      callback(null, buffer);
    },
    flush(callback) {
      const last = digest.finish();
      if (last !== undefined) push(last);
      callback();
    },
  });
  return { stream, segments: () => ({ size, sha256: [...sha256] }) };
}
