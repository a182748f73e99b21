/** Text output for people: aligned columns and located issues. */
import path from 'node:path';
import type { Issue } from '../runbook/issues.js';

/** Aligns rows into columns separated by two spaces; the last column is never padded. */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
          .join('  ')
          .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Issues as aligned `file:line:col  path  message` lines, in the order given. */
export function formatIssueTable(issues: readonly Issue[], cwd: string): string {
  return table(
    issues.map((issue) => [
      `${displayPath(issue.file, cwd)}:${issue.line}:${issue.col}`,
      issue.path || '(root)',
      issue.message,
    ]),
  );
}

/** A file path as people should see it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** `1 problem`, `2 problems`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
