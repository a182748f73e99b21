/** The tests' one polling helper: returns what the check found, retries errors, and fails saying what it waited for. */
import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/poll.js';

describe('eventually', () => {
  it('returns the first value that is not undefined, retrying checks that throw', async () => {
    let calls = 0;
    const found = await eventually(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('not up yet');
        return calls < 4 ? undefined : `call ${calls}`;
      },
      { intervalMs: 5 },
    );
    expect(found).toBe('call 4');
  });

  it('fails at the deadline with what it waited for, the last error appended', async () => {
    await expect(eventually(() => undefined, { timeoutMs: 100, intervalMs: 10, what: 'no mail' })).rejects.toThrow(
      /^no mail$/,
    );
    const failing = () => Promise.reject(new Error('connection refused'));
    await expect(eventually(failing, { timeoutMs: 100, intervalMs: 10 })).rejects.toThrow(
      /^condition never held: connection refused$/,
    );
  });

  it('describes the failure at the deadline, with the last value seen', async () => {
    let seen = 0;
    const waiting = eventually(() => void (seen += 1), { timeoutMs: 100, intervalMs: 10, what: () => `seen ${seen}` });
    await expect(waiting).rejects.toThrow(/^seen [1-9]\d*$/);
    expect(seen).toBeGreaterThan(1);
  });
});
