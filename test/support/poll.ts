/**
 * The one way tests wait for something to become true: vitest's `vi.waitFor`, with deadlines generous
 * enough for a loaded 2-core machine, returning the value the check found. Use `vi.waitFor` (or
 * `expect.poll`) directly when the check is an assertion and no value is needed.
 *
 * Vitest only: `vi.waitFor` needs the test runner, so code that also runs outside it (bench/, scripts/)
 * cannot use this.
 */
import { vi } from 'vitest';

/** How long to poll, how often, and what to say when the condition never held. */
export interface PollOptions {
  /** The overall deadline; default 20 s. */
  timeoutMs?: number;
  /** The pause between two checks; default 150 ms. */
  intervalMs?: number;
  /**
   * The error's message when the deadline passes, or a function that gives it then (to show the last value
   * seen); the last check's error, if any, is appended.
   */
  what?: string | (() => string);
}

/**
 * Polls `check` until it returns a value other than undefined and returns that value. A check that throws
 * is retried; at the deadline this fails with `what` and the last error seen.
 */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  options: PollOptions | number = {},
): Promise<T> {
  const {
    timeoutMs = 20_000,
    intervalMs = 150,
    what = 'condition never held',
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const notYet = new Error('not yet');
  try {
    return await vi.waitFor(
      async () => {
        const value = await check();
        if (value === undefined) throw notYet;
        return value;
      },
      { timeout: timeoutMs, interval: intervalMs },
    );
  } catch (error) {
    const message = typeof what === 'string' ? what : what();
    if (error === notYet) throw new Error(message);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}: ${reason}`, { cause: error });
  }
}
