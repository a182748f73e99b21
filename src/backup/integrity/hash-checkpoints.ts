/**
 * SHA-256 states of verifications in progress, kept in the worker process so that a retried attempt can
 * carry on from the offset its predecessor last reported instead of hashing the object again.
 *
 * Why in memory: node:crypto's Hash (OpenSSL, about 1.4 GiB/s here) cannot export its state, and a
 * SHA-256 whose state can be serialised (pure JS) runs at about a tenth of that speed on this machine. So
 * the state lives in the process as `hash.copy()` snapshots, and the heartbeat carries only an opaque
 * token and the offset. A retry in the same process (the store went away for a while, a read timed out)
 * resumes with a ranged GET; a retry in another process (the worker died) finds no snapshot and starts
 * over, which costs one more read of the object but is never wrong.
 */
import { randomBytes, type Hash } from 'node:crypto';

/** Limits on what the registry keeps. */
export interface CheckpointLimits {
  /** Verifications with snapshots at once; the least recently used are dropped. */
  runs: number;
  /** Snapshots per verification (the heartbeat Temporal kept may lag the newest one). */
  perRun: number;
  /** Snapshots unused for this long are dropped. */
  ttlMs: number;
}

/** Default limits: a snapshot is a few hundred bytes, so these cost well under a megabyte. */
export const DEFAULT_CHECKPOINT_LIMITS: CheckpointLimits = { runs: 32, perRun: 256, ttlMs: 6 * 3_600_000 };

interface Run {
  usedAt: number;
  byOffset: Map<number, Hash>;
}

/** A registry of SHA-256 snapshots by verification token and byte offset. */
export class HashCheckpoints {
  readonly #runs = new Map<string, Run>();
  readonly #limits: CheckpointLimits;
  readonly #now: () => number;

  constructor(limits: Partial<CheckpointLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_CHECKPOINT_LIMITS, ...limits };
    this.#now = now;
  }

  /** A fresh token naming one verification (and its retries). */
  static newToken(): string {
    return randomBytes(16).toString('hex');
  }

  /** Keeps a snapshot of `hash` after `offset` bytes; the caller keeps updating its own hash. */
  save(token: string, offset: number, hash: Hash): void {
    this.#expire();
    const run = this.#runs.get(token) ?? { usedAt: 0, byOffset: new Map<number, Hash>() };
    run.usedAt = this.#now();
    run.byOffset.set(offset, hash.copy());
    if (run.byOffset.size > this.#limits.perRun) run.byOffset.delete(run.byOffset.keys().next().value as number);
    // Re-inserted so that Map order is least recently used first.
    this.#runs.delete(token);
    this.#runs.set(token, run);
    if (this.#runs.size > this.#limits.runs) this.#runs.delete(this.#runs.keys().next().value as string);
  }

  /** A copy of the snapshot at exactly `offset`, or undefined; the snapshot stays for a later retry. */
  take(token: string, offset: number): Hash | undefined {
    this.#expire();
    const run = this.#runs.get(token);
    const hash = run?.byOffset.get(offset);
    if (run === undefined || hash === undefined) return undefined;
    run.usedAt = this.#now();
    return hash.copy();
  }

  /** Forgets a verification (it finished, either way). */
  drop(token: string): void {
    this.#runs.delete(token);
  }

  /** Number of verifications with snapshots (tests). */
  get size(): number {
    return this.#runs.size;
  }

  #expire(): void {
    const oldest = this.#now() - this.#limits.ttlMs;
    for (const [token, run] of this.#runs) if (run.usedAt < oldest) this.#runs.delete(token);
  }
}

/** The registry of this process, shared by every verification the worker runs. */
export const processCheckpoints = new HashCheckpoints();
