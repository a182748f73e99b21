/**
 * Turns zod issues into located, plain-language issues: each one placed at the YAML node its path names
 * (or the nearest parent that exists), with messages written for the people who edit the file.
 */
import type { z } from 'zod';
import { describeValue, type DocPath, type Issue, type PathSegment } from './located-issue.js';
import { valueAt, type SourceDocument } from './yaml-source.js';

type ZodIssue = z.core.$ZodIssue;

/** What to do with a failed union: report one branch's issues, or one message instead. */
export type UnionChoice = { branch: number } | { message: string; path?: DocPath; key?: boolean };

/** Options for mapping zod issues onto a source document. */
export interface MapIssueOptions {
  /** Where the parsed value sits in the document. */
  base?: DocPath;
  /** The value that was parsed (defaults to the document's value at `base`). */
  value?: unknown;
  /** Picks the branch of a failed union that the author meant (for steps: the one named by the kind key). */
  resolveUnion?: (path: DocPath, raw: unknown) => UnionChoice | undefined;
  /** Drops issues whose raw value matches, such as `${{ }}` templates only known at run time. */
  skip?: (raw: unknown) => boolean;
  /** The step an issue at this document path belongs to. */
  stepIdAt?: (path: DocPath) => string | undefined;
}

/** Maps zod issues to located issues. */
export function mapZodIssues(
  issues: readonly ZodIssue[],
  source: SourceDocument,
  options: MapIssueOptions = {},
): Issue[] {
  const base = options.base ?? [];
  const root = 'value' in options ? options.value : valueAt(source.value, base);
  const out: Issue[] = [];
  const visit = (issue: ZodIssue, prefix: DocPath): void => {
    const relative = [...prefix, ...(issue.path as PathSegment[])];
    const raw = valueAt(root, relative);
    if (options.skip?.(raw)) return;
    const at = (path: DocPath, message: string, key = false) => {
      const full = [...base, ...path];
      const stepId = options.stepIdAt?.(full);
      out.push(source.issueAt(full, message, stepId === undefined ? { key } : { key, stepId }));
    };
    switch (issue.code) {
      case 'invalid_union': {
        const choice = options.resolveUnion?.(relative, raw) ?? { branch: closestBranch(issue.errors) };
        if ('message' in choice) at(choice.path ?? relative, choice.message, choice.key);
        else for (const nested of issue.errors[choice.branch] ?? []) visit(nested, relative);
        return;
      }
      case 'unrecognized_keys':
        for (const key of issue.keys) at([...relative, key], `unknown key \`${key}\``, true);
        return;
      case 'invalid_key':
        at(
          relative,
          `invalid name \`${String(relative[relative.length - 1])}\`: ${issue.issues[0]?.message ?? 'not allowed'}`,
          true,
        );
        return;
      case 'invalid_element':
        for (const nested of issue.issues) visit(nested, relative);
        return;
      default:
        at(relative, messageFor(issue, raw, relative));
    }
  };
  for (const issue of issues) visit(issue, []);
  return out;
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

// zod's own messages start with these words; anything else was written in a schema and is kept as is.
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Expected|Required)/;

function messageFor(issue: ZodIssue, raw: unknown, path: DocPath): string {
  const custom = !DEFAULT_MESSAGE.test(issue.message);
  switch (issue.code) {
    case 'invalid_type': {
      const name = path[path.length - 1];
      if (raw === undefined) return typeof name === 'string' ? `\`${name}\` is required` : 'a value is required';
      if (custom) return issue.message;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(raw)}`;
    }
    case 'invalid_value':
      if (custom) return issue.message;
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map(String).join(', ')}, got ${describeValue(raw)}`;
    case 'too_small':
      return custom ? issue.message : `must be at least ${String(issue.minimum)}${unitOf(issue.origin)}`;
    case 'too_big':
      return custom ? issue.message : `must be at most ${String(issue.maximum)}${unitOf(issue.origin)}`;
    case 'invalid_format':
      return custom ? issue.message : `${describeValue(raw)} is not a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function unitOf(origin: string): string {
  if (origin === 'array' || origin === 'set') return ' items';
  if (origin === 'string') return ' characters';
  return '';
}

/**
 * Without a resolver, the branch with the fewest problems is the likeliest intent; a branch of the wrong
 * type altogether (a text where a mapping is expected) is the least likely.
 */
function closestBranch(errors: readonly (readonly ZodIssue[])[]): number {
  const cost = (branch: readonly ZodIssue[] | undefined): number =>
    branch === undefined
      ? Infinity
      : branch.length + (branch.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0) ? 1e6 : 0);
  let best = 0;
  errors.forEach((branch, index) => {
    if (cost(branch) < cost(errors[best])) best = index;
  });
  return best;
}
