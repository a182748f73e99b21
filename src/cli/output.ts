/** Text output for people: aligned columns, located issues, and text from outside made safe to print. */
import path from 'node:path';
import type { Issue } from '../diagnostics/located-issue.js';

/**
 * How messages name the CLI in a command to paste: what runs from the project directory without a global
 * install, as the README shows (`firebreak` alone is not on PATH).
 */
export const CLI = 'npx firebreak';

/**
 * Characters that let text from outside (an alert, a fact, a server's message) change what a terminal
 * shows: C0 controls (escape sequences, carriage return, backspace), DEL and C1 controls, bidi
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and marks (U+200E, U+200F, U+061C),
 * and zero-width characters (U+200B-U+200D, U+2060-U+2064, U+FEFF).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
/** The same, except the newline and tab that lay out multi-line output. */
const UNSAFE_IN_LAYOUT =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Text as it may be printed: each character above becomes a visible `\uXXXX` escape (the form JSON uses,
 * so `--json` output still parses to the same values). With `layout`, newlines and tabs are kept; that is
 * how every byte the CLI writes passes (runCli). Without it, the text stays on one line: a table cell.
 */
export function terminalSafe(text: string, options: { layout?: boolean } = {}): string {
  const unsafe = options.layout === true ? UNSAFE_IN_LAYOUT : UNSAFE;
  return text.replace(unsafe, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Aligns rows into columns separated by two spaces; the last column is never padded. Cells are made safe. */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const safe = rows.map((row) => row.map((cell) => terminalSafe(cell)));
  const widths: number[] = [];
  for (const row of safe) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return safe
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
