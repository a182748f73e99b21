/** The value limits and the body nesting scan: where a value breaks a limit, measured without recursion. */
import { describe, expect, it } from 'vitest';
import { clipNote, MAX_NOTE_CHARS } from '../../../src/actions/timeline-note.js';
import { checkValueLimits, describeLimitProblem, jsonDeeperThan, VALUE_LIMITS } from '../../../src/domain/limits.js';
import type { JsonValue } from '../../../src/domain/plan.js';

const nested = (levels: number): JsonValue => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as JsonValue;

describe('checkValueLimits', () => {
  it('accepts values at every limit', () => {
    expect(checkValueLimits('x'.repeat(VALUE_LIMITS.textChars))).toBeUndefined();
    expect(checkValueLimits(Array.from({ length: VALUE_LIMITS.items }, (_, i) => i))).toBeUndefined();
    expect(checkValueLimits(nested(VALUE_LIMITS.depth))).toBeUndefined();
    expect(checkValueLimits({ a: null, b: true, c: 1.5, d: [{ e: 'f' }] })).toBeUndefined();
  });

  it('names where the first problem is and which limit', () => {
    const long = checkValueLimits({ owner: { names: ['ok', 'x'.repeat(4001)] } });
    expect(long && describeLimitProblem(long)).toBe(
      'at owner.names[1]: text of 4001 characters is over the limit of 4000',
    );
    expect(checkValueLimits(Array.from({ length: 101 }, () => 1))?.message).toBe(
      'a list of 101 items is over the limit of 100',
    );
    expect(checkValueLimits(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])))?.message).toBe(
      'an object with 101 fields is over the limit of 100',
    );
    expect(checkValueLimits(nested(VALUE_LIMITS.depth + 1))?.path).toHaveLength(VALUE_LIMITS.depth);
    const big = Array.from({ length: 10 }, () => 'y'.repeat(4000));
    expect(checkValueLimits(big)?.message).toBe('over the limit of 32768 characters written as JSON');
  });

  it('measures JSON size exactly as JSON.stringify writes it', () => {
    // 8 strings of 4000 quoted characters and the brackets and commas: 32,025 characters, under the limit.
    const value = Array.from({ length: 8 }, () => 'z'.repeat(4000));
    expect(JSON.stringify(value).length).toBeLessThanOrEqual(VALUE_LIMITS.jsonChars);
    expect(checkValueLimits(value)).toBeUndefined();
  });

  it('measures a list nested 100,000 deep without exhausting the stack', () => {
    expect(checkValueLimits(nested(100_000))?.message).toMatch(/deeper than the limit of 8 levels/);
  });
});

describe('jsonDeeperThan', () => {
  it('counts brackets and braces outside strings only', () => {
    expect(jsonDeeperThan('{"a":[[1]]}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
    expect(jsonDeeperThan(`{"a":"${'['.repeat(50)}\\"{{{{"}`, 1)).toBe(false);
    expect(jsonDeeperThan(`${'['.repeat(20_000)}${']'.repeat(20_000)}`, 32)).toBe(true);
  });
});

describe('clipNote', () => {
  it('keeps a note within the limit as it is, and cuts a longer one saying so', () => {
    expect(clipNote('short')).toBe('short');
    const cut = clipNote('n'.repeat(10_000));
    expect(cut).toHaveLength(MAX_NOTE_CHARS);
    expect(cut.endsWith(' … [note cut at 4000 of 10000 characters]')).toBe(true);
  });
});
