/**
 * Limits failed authentications without locking out anyone who authenticates. Only failures are counted,
 * after the credential was checked, so a valid token (or correctly signed delivery) is always taken,
 * whatever others behind the same address (a NAT, a shared Alertmanager) got wrong. Failures count twice:
 *
 * - per presented credential (its SHA-256): the same bad token sent again and again gets 429 with
 *   `Retry-After` once it failed `max` times in the window, so a misconfigured client is told to back off;
 * - per client address: once an address failed `max` times in the window, each further failure from it is
 *   answered 429 only after a delay, so guessing across many credentials is slowed to the pace of the
 *   delay per connection, without refusing the address's valid credentials.
 */
import { createHash } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';

/** The limit: failures allowed per credential and per address within the window. */
export interface FailureLimiterOptions {
  max: number;
  windowMs: number;
  /** How long a failure from an address over its limit waits before its answer. */
  delayMs?: number;
}

/** Once a failure is over a limit: how long the client should wait (whole seconds, at least 1). */
export interface OverLimit {
  retryAfterSeconds: number;
}

/** The pause before answering a failure from an address over its limit. */
export const FAILURE_DELAY_MS = 1_000;

/** Counts failed authentications per credential and per address; see the module comment. */
export class FailureLimiter {
  private readonly byAddress: RateLimiterMemory;
  private readonly byCredential: RateLimiterMemory;

  constructor(private readonly options: FailureLimiterOptions) {
    const duration = Math.max(1, Math.ceil(options.windowMs / 1000));
    this.byAddress = new RateLimiterMemory({ keyPrefix: 'address', points: options.max, duration });
    this.byCredential = new RateLimiterMemory({ keyPrefix: 'credential', points: options.max, duration });
  }

  /**
   * Records a failure of `credential` from `address`. Undefined while both are within the limit (answer
   * 401); otherwise when to retry (answer 429), after the delay when the address is over its limit.
   */
  async failed(address: string, credential: string): Promise<OverLimit | undefined> {
    const fromAddress = await this.byAddress.penalty(address);
    if (fromAddress.consumedPoints > this.options.max) {
      // The credential is not counted too: an address past its limit cannot fill memory with keys.
      await new Promise((resolve) => setTimeout(resolve, this.options.delayMs ?? FAILURE_DELAY_MS));
      return { retryAfterSeconds: seconds(fromAddress.msBeforeNext) };
    }
    const key = createHash('sha256').update(credential, 'utf8').digest('hex');
    const ofCredential = await this.byCredential.penalty(key);
    if (ofCredential.consumedPoints > this.options.max) {
      return { retryAfterSeconds: seconds(ofCredential.msBeforeNext) };
    }
    return undefined;
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
