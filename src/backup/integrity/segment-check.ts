/**
 * Checking an object against its manifest's hash list (`segments`), segment by segment as its bytes
 * stream past: the one checker behind verification (verify.ts) and staging (../restore/staging.ts), so
 * the same corruption gets the same BACKUP_CORRUPT error wherever it is found.
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BackupManifest } from '../manifest.js';
import { SegmentDigest, segmentCount, type Segments } from './segment-hasher.js';

/** The manifest's hash list, when it has one that fits its size. */
export function usableSegments(manifest: BackupManifest): Segments | undefined {
  const segments = manifest.segments;
  if (segments === undefined) return undefined;
  return segments.sha256.length === segmentCount(manifest.size, segments.size) ? segments : undefined;
}

/** Hashes bytes segment by segment and checks each completed segment against the manifest's digest. */
export class SegmentChecker {
  readonly #manifest: BackupManifest;
  readonly #segments: Segments;
  readonly #digest: SegmentDigest;
  readonly #onVerified: ((verified: number) => void) | undefined;
  #verified: number;

  /**
   * `verified`: segments already checked before the first byte fed in (a resumed read starts at their end);
   * `onVerified` is called with the new count after each segment that matches.
   */
  constructor(
    manifest: BackupManifest,
    segments: Segments,
    options: { verified?: number; onVerified?: (verified: number) => void } = {},
  ) {
    this.#manifest = manifest;
    this.#segments = segments;
    this.#digest = new SegmentDigest(segments.size);
    this.#verified = options.verified ?? 0;
    this.#onVerified = options.onVerified;
  }

  /** Segments checked so far, from the start of the object. */
  get verified(): number {
    return this.#verified;
  }

  /** Feeds the next bytes; throws BACKUP_CORRUPT at the first segment whose digest is not the manifest's. */
  update(buffer: Buffer): void {
    this.#digest.update(buffer, (actual) => this.#check(actual));
  }

  /** Checks the final, shorter segment if one is open; call once, after the last byte. */
  finish(): void {
    const last = this.#digest.finish();
    if (last !== undefined) this.#check(last);
  }

  #check(actual: string): void {
    const index = this.#verified;
    if (actual !== this.#segments.sha256[index]) throw segmentMismatch(this.#manifest, this.#segments, index, actual);
    this.#verified += 1;
    this.#onVerified?.(this.#verified);
  }
}

/** BACKUP_CORRUPT for segment `index`, naming its byte range and both digests. */
function segmentMismatch(manifest: BackupManifest, segments: Segments, index: number, actual: string): FirebreakError {
  const start = index * segments.size;
  const end = Math.min(start + segments.size, manifest.size);
  const expected = segments.sha256[index] ?? '';
  return new FirebreakError(
    ErrorCode.BackupCorrupt,
    `backup ${manifest.id} of ${manifest.source} is corrupt: segment ${index} of ${segments.sha256.length} ` +
      `(bytes ${start}-${end - 1}) of ${manifest.key} has sha256 ${actual}, the manifest says sha256 ${expected}`,
    {
      segment: index,
      segments: segments.sha256.length,
      range: { start, end },
      expected: { size: manifest.size, sha256: manifest.sha256, segmentSha256: expected },
      actual: { segmentSha256: actual },
    },
  );
}
