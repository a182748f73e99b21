/** The CLI's unified line diff: hunks with three lines of context, ranges as `diff -u` writes them. */
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/cli/line-diff.js';

const labels = { from: 'a', to: 'b' };
const lines = (n: number, change?: [number, string]) =>
  Array.from({ length: n }, (_, i) => (change && change[0] === i ? change[1] : `line ${i + 1}`)).join('\n') + '\n';

describe('unifiedDiff', () => {
  it('is empty for the same text', () => {
    expect(unifiedDiff('x\n', 'x\n', labels)).toBe('');
  });

  it('shows a change with three lines of context on each side', () => {
    expect(unifiedDiff(lines(10), lines(10, [5, 'changed']), labels)).toBe(
      [
        '--- a',
        '+++ b',
        '@@ -3,7 +3,7 @@',
        ' line 3',
        ' line 4',
        ' line 5',
        '-line 6',
        '+changed',
        ' line 7',
        ' line 8',
        ' line 9',
        '',
      ].join('\n'),
    );
  });

  it('diffs from and to nothing (revision 0 is the empty draft)', () => {
    expect(unifiedDiff('', 'one\ntwo\n', labels)).toBe('--- a\n+++ b\n@@ -0,0 +1,2 @@\n+one\n+two\n');
    expect(unifiedDiff('one\n', '', labels)).toBe('--- a\n+++ b\n@@ -1 +0,0 @@\n-one\n');
  });

  it('keeps changes far apart in separate hunks', () => {
    const out = unifiedDiff(
      lines(30),
      lines(30).replace('line 2\n', 'two\n').replace('line 28\n', 'twenty-eight\n'),
      labels,
    );
    expect(out.match(/^@@ .* @@$/gm)).toEqual(['@@ -1,5 +1,5 @@', '@@ -25,6 +25,6 @@']);
  });
});
