/**
 * The blob-store port: where restore drills keep manifests and samples and the status page keeps its
 * snapshots. Adapters (`fs-store.ts`, `s3-store.ts`) share the key rules and the streaming SHA-256 here,
 * so every adapter refuses the same keys and reports the same digest for the same bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ErrorCode, FirebreakError } from '../domain/errors.js';

/** Optional attributes stored with a blob. */
export interface PutOptions {
  /** A MIME type such as `application/json`; returned by `head`. */
  contentType?: string;
  /** Small string attributes: lowercase `[a-z0-9-]` names, printable ASCII values, 2 KiB in all. */
  metadata?: Record<string, string>;
  /**
   * S3 Object Lock: the blob cannot be deleted or overwritten until `until` (`governance`: except with the
   * right to bypass it; `compliance`: by no one). The bucket must have Object Lock enabled; the filesystem
   * store has no such lock and refuses it (UNSUPPORTED).
   */
  retention?: { mode: 'governance' | 'compliance'; until: Date };
}

/** What `put` stored: the byte count and the SHA-256 (hex) computed while the body streamed. */
export interface PutResult {
  key: string;
  size: number;
  sha256: string;
}

/** A blob's attributes without its body. `sha256` is absent for blobs not written through a BlobStore. */
export interface BlobHead {
  size: number;
  sha256?: string;
  contentType?: string;
  metadata: Record<string, string>;
  modifiedAt: Date;
}

/**
 * A byte range of a blob for `get`: `start` is inclusive, `end` exclusive (like `Buffer.subarray`, unlike an
 * HTTP Range header), both optional. An `end` past the blob's size reads to its end; a `start` equal to the
 * size (or to `end`) reads nothing; a `start` past the size is INVALID_INPUT.
 */
export interface GetOptions {
  start?: number;
  end?: number;
}

/** One entry of a listing. */
export interface BlobEntry {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** A flat namespace of immutable-per-write blobs addressed by `/`-separated keys. */
export interface BlobStore {
  /** Stores the body under `key`, replacing any blob already there. */
  put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<PutResult>;
  /** Streams the blob's bytes, or the range `opts` names; throws NOT_FOUND when there is none. */
  get(key: string, opts?: GetOptions): Promise<Readable>;
  /** The blob's attributes, or `undefined` when there is none. */
  head(key: string): Promise<BlobHead | undefined>;
  /**
   * Every blob whose key starts with `prefix`, across pages. Keys under one `/`-directory come in ascending
   * byte order; how keys of different directories interleave depends on the backend.
   */
  list(prefix: string): AsyncIterable<BlobEntry>;
  /** Removes the blob; removing an absent blob is not an error. */
  delete(key: string): Promise<void>;
}

/** Longest key accepted, in UTF-8 bytes (S3's own limit). */
export const MAX_KEY_BYTES = 1024;
/** Largest total size of user metadata names and values, in bytes (S3 allows 2 KiB of headers). */
export const MAX_METADATA_BYTES = 2048;
/** Metadata name the adapters keep the digest under; callers may not set it. */
export const SHA256_METADATA = 'sha256';

const METADATA_NAME = /^[a-z0-9][a-z0-9-]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const CONTENT_TYPE = /^[\x21-\x7e]+\/[\x21-\x7e]+(?:;[\x20-\x7e]*)?$/;
// Control characters (NUL included) break file names, HTTP headers and log lines alike.
const CONTROL = /[\x00-\x1f\x7f]/;

function invalid(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, message);
}

/** Checks a key (relative, `/`-separated, no empty, `.` or `..` segments, no control characters). */
export function validateKey(key: string): string {
  if (key === '') throw invalid('blob key is empty');
  validatePrefix(key);
  if (key.endsWith('/')) throw invalid(`blob key ${JSON.stringify(key)} ends with "/"`);
  return key;
}

/** Checks a listing prefix: the key rules, except that it may be empty or end with `/`. */
export function validatePrefix(prefix: string): string {
  const shown = JSON.stringify(prefix.slice(0, 80));
  if (Buffer.byteLength(prefix, 'utf8') > MAX_KEY_BYTES)
    throw invalid(`blob key ${shown}… is over ${MAX_KEY_BYTES} bytes`);
  if (CONTROL.test(prefix)) throw invalid(`blob key ${shown} contains a control character`);
  if (prefix.startsWith('/')) throw invalid(`blob key ${shown} starts with "/"`);
  // Backslashes are separators on Windows file systems; refusing them keeps keys portable and in the root.
  if (prefix.includes('\\')) throw invalid(`blob key ${shown} contains "\\"`);
  const segments = prefix.split('/');
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '..' || segment === '.' || (segment === '' && !last)) {
      throw invalid(`blob key ${shown} has an empty, "." or ".." segment`);
    }
  });
  return prefix;
}

/** A checked byte range: `start` defaults to 0; `end` (exclusive) is absent when reading to the blob's end. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Checks `get` options: whole, non-negative offsets with `end` not before `start`. */
export function validateRange(opts: GetOptions | undefined): ByteRange {
  const start = opts?.start ?? 0;
  const end = opts?.end;
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw invalid(`range ${name} must be a whole number of bytes >= 0, not ${String(value)}`);
    }
  }
  if (end !== undefined && end < start) throw invalid(`range end ${end} is before its start ${start}`);
  return end === undefined ? { start } : { start, end };
}

/** The INVALID_INPUT error for a range that starts past the blob's end. */
export function rangePastEnd(key: string, start: number, size: number): FirebreakError {
  return invalid(`range start ${start} is past the end of blob ${JSON.stringify(key)} (${size} bytes)`);
}

/** A stream with no bytes: what `get` returns for an empty range. */
export function emptyBody(): Readable {
  return Readable.from([]);
}

/** Checks put options and returns the metadata with names as given (already lowercase). */
export function validatePutOptions(opts: PutOptions | undefined): Record<string, string> {
  if (opts?.contentType !== undefined && !CONTENT_TYPE.test(opts.contentType)) {
    throw invalid(`content type ${JSON.stringify(opts.contentType)} is not a valid MIME type`);
  }
  const metadata = opts?.metadata ?? {};
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name)) throw invalid(`metadata name ${JSON.stringify(name)} must match [a-z0-9-]+`);
    if (name === SHA256_METADATA) throw invalid(`metadata name "${SHA256_METADATA}" is reserved for the digest`);
    if (!PRINTABLE_ASCII.test(value)) throw invalid(`metadata ${name} must be printable ASCII`);
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) throw invalid(`metadata is over ${MAX_METADATA_BYTES} bytes`);
  return { ...metadata };
}

/** Counts bytes and computes SHA-256 over a body as it streams. */
export class Digest {
  #hash: Hash = createHash('sha256');
  size = 0;

  /** Feeds one chunk and returns it as a Buffer. */
  update(chunk: unknown): Buffer {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);
    this.#hash.update(buffer);
    this.size += buffer.length;
    return buffer;
  }

  /** The hex digest; call once, after the last chunk. */
  hex(): string {
    return this.#hash.digest('hex');
  }
}

/** Yields a body's chunks as Buffers, whether it is one Buffer or a stream. */
export async function* chunksOf(body: Buffer | Readable): AsyncGenerator<unknown> {
  if (Buffer.isBuffer(body)) {
    yield body;
    return;
  }
  for await (const chunk of body) yield chunk;
}

/** The NOT_FOUND error `get` throws for an absent key. */
export function notFound(key: string): FirebreakError {
  return new FirebreakError(ErrorCode.NotFound, `no blob at ${JSON.stringify(key)}`);
}
