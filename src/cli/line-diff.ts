/**
 * A unified diff of two texts by lines (no diff library is a dependency): the longest common subsequence
 * of lines, then hunks with three lines of context, as `diff -u` prints them.
 */

/** Above this many line pairs, the diff is one hunk replacing everything (bounded memory and time). */
const MAX_CELLS = 25_000_000;
const CONTEXT = 3;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The unified diff from `before` to `after` under the two labels; empty when the texts are the same. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = a.length * b.length > MAX_CELLS ? replaceAll(a, b) : lcsOps(a, b);
  const lines = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks(ops)) lines.push(...hunk);
  return `${lines.join('\n')}\n`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function replaceAll(a: readonly string[], b: readonly string[]): Op[] {
  return [...a.map((line) => ({ kind: '-' as const, line })), ...b.map((line) => ({ kind: '+' as const, line }))];
}

/** The edit script of the longest common subsequence (suffix table, so the walk goes forwards). */
function lcsOps(a: readonly string[], b: readonly string[]): Op[] {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * width + j] =
        a[i] === b[j]
          ? (table[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(table[(i + 1) * width + j] ?? 0, table[i * width + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i] ?? '' });
      i++;
      j++;
    } else if ((table[(i + 1) * width + j] ?? 0) >= (table[i * width + j + 1] ?? 0)) {
      ops.push({ kind: '-', line: a[i++] ?? '' });
    } else {
      ops.push({ kind: '+', line: b[j++] ?? '' });
    }
  }
  while (i < a.length) ops.push({ kind: '-', line: a[i++] ?? '' });
  while (j < b.length) ops.push({ kind: '+', line: b[j++] ?? '' });
  return ops;
}

/** Groups the changes with their context into `@@ -l,s +l,s @@` hunks. */
function hunks(ops: readonly Op[]): string[][] {
  const changed = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]));
  const result: string[][] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, (changed[k] ?? 0) - CONTEXT);
    let end = Math.min(ops.length, (changed[k] ?? 0) + CONTEXT + 1);
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - CONTEXT <= end) {
      k++;
      end = Math.min(ops.length, (changed[k] ?? 0) + CONTEXT + 1);
    }
    k++;
    const before = ops.slice(0, start);
    const aStart = before.filter((op) => op.kind !== '+').length;
    const bStart = before.filter((op) => op.kind !== '-').length;
    const body = ops.slice(start, end);
    const aLen = body.filter((op) => op.kind !== '+').length;
    const bLen = body.filter((op) => op.kind !== '-').length;
    result.push([`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`, ...body.map((op) => `${op.kind}${op.line}`)]);
  }
  return result;
}

/** A hunk range as `diff -u` writes it: 1-based start, the length left out when it is 1, `n,0` when empty. */
function range(start: number, length: number): string {
  if (length === 0) return `${start},0`;
  return length === 1 ? `${start + 1}` : `${start + 1},${length}`;
}
