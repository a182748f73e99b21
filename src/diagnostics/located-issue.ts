/**
 * Expected failures as values: every problem found in a runbook (or a config file, or trigger input)
 * is an issue with where it was written and a plain message, and results carry all of them at once.
 */

/** One problem, located in its source file. `path` is dotted with indexes: `steps[3].with.url`. */
export interface Issue {
  file: string;
  line: number;
  col: number;
  path: string;
  stepId?: string;
  message: string;
}

/** A value, or every reason there is none. */
export type Result<T, I = Issue> = { ok: true; value: T } | { ok: false; issues: I[] };

/** A path inside a parsed document, as zod and the YAML library address it. */
export type PathSegment = string | number;
export type DocPath = readonly PathSegment[];

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Formats a path the way messages show it: `steps[3].with.url`, `headers["Content Type"]`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Orders issues by file, then position, then path, so output is stable and reads top to bottom. */
export function sortIssues<T extends Issue>(issues: readonly T[]): T[] {
  return [...issues].sort(
    (a, b) =>
      compareText(a.file, b.file) ||
      a.line - b.line ||
      a.col - b.col ||
      compareText(a.path, b.path) ||
      compareText(a.message, b.message),
  );
}

/** One issue as a line for people: `file:line:col  path  message`. */
export function formatIssue(issue: Issue): string {
  return `${issue.file}:${issue.line}:${issue.col}  ${issue.path || '(root)'}  ${issue.message}`;
}

/** Describes a parsed value for messages: `"abc"`, `5`, `a list`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
