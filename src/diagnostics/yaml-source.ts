/**
 * YAML documents that remember where each value was written, so that every later problem (schema,
 * references, expressions) can be reported at a line and column of the file people edit.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath, type DocPath, type Issue, type Result } from './located-issue.js';

/** A line and a column, both starting at 1. */
export interface Position {
  line: number;
  col: number;
}

/** A parsed YAML file: its plain value and a way back from a path to a position. */
export interface SourceDocument {
  file: string;
  text: string;
  /** The document as plain data (YAML 1.2 core schema: dates stay strings). */
  value: unknown;
  /** Position of the node at `path`, or of its nearest existing parent. With `key`, the key's own position. */
  locate(path: DocPath, options?: { key?: boolean }): Position;
  /** Builds an issue located at `path`. */
  issueAt(path: DocPath, message: string, extra?: { stepId?: string; key?: boolean }): Issue;
}

/** Parses YAML text; syntax errors (and duplicate keys) come back as located issues. */
export function parseYamlSource(file: string, text: string): Result<SourceDocument> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    // After the first syntax error the parser's view of the rest is unreliable, so later syntax errors
    // are mostly echoes of it; duplicate keys are independent and are all reported.
    const firstSyntax = doc.errors.find((error) => error.code !== 'DUPLICATE_KEY');
    const reported = doc.errors.filter((error) => error.code === 'DUPLICATE_KEY' || error === firstSyntax);
    const issues = reported.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const key = keyAt(text, error.pos[0]);
      const path = error.code === 'DUPLICATE_KEY' ? formatPath([...pathAtOffset(doc.contents, error.pos[0]), key]) : '';
      return { file, line, col, path, message: yamlMessage(error.code, error.message, key) };
    });
    return { ok: false, issues };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Alias bombs and unresolvable aliases surface only when converting.
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [{ file, line: 1, col: 1, path: '', message: `cannot read the document: ${message}` }],
    };
  }
  return { ok: true, value: createSourceDocument(file, text, doc, lineCounter, value) };
}

function createSourceDocument(
  file: string,
  text: string,
  doc: Document,
  lines: LineCounter,
  value: unknown,
): SourceDocument {
  const locate = (path: DocPath, options?: { key?: boolean }): Position => {
    const offset = offsetOf(doc, path, options?.key === true);
    const { line, col } = lines.linePos(offset);
    return { line, col };
  };
  return {
    file,
    text,
    value,
    locate,
    issueAt(path, message, extra) {
      const { line, col } = locate(path, { key: extra?.key === true });
      const issue: Issue = { file, line, col, path: formatPath(path), message };
      if (extra?.stepId !== undefined) issue.stepId = extra.stepId;
      return issue;
    },
  };
}

/** Finds the source offset of the node at `path`, stopping at the deepest node that exists. */
function offsetOf(doc: Document, path: DocPath, wantKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return offset;
      const keyStart = rangeStart(pair.key);
      const valueStart = rangeStart(pair.value);
      if (last && wantKey && keyStart !== undefined) return keyStart;
      offset = valueStart ?? keyStart ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      const start = rangeStart(item);
      if (start === undefined) return offset;
      offset = start;
      node = item;
    } else {
      return offset;
    }
    if (isAlias(node)) return offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range ? range[0] : undefined;
}

function yamlMessage(code: string, message: string, snippet: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
  if (code === 'DUPLICATE_KEY') return `duplicate key \`${snippet}\`: each key may appear once in a mapping`;
  if (code === 'MULTIPLE_DOCS') return 'YAML syntax error: a file holds one YAML document (remove the extra `---`)';
  return `YAML syntax error: ${first}`;
}

/** The path of the innermost collection holding `offset` (where a duplicate key was written). */
function pathAtOffset(node: unknown, offset: number): (string | number)[] {
  const contains = (item: unknown): boolean => {
    const range = (item as Node | null)?.range;
    return range !== undefined && range !== null && range[0] <= offset && offset < range[2];
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key) && contains(pair.value) && (isMap(pair.value) || isSeq(pair.value))) {
        return [String(pair.key.value), ...pathAtOffset(pair.value, offset)];
      }
    }
  } else if (isSeq(node)) {
    const index = node.items.findIndex((item) => contains(item));
    if (index >= 0) return [index, ...pathAtOffset(node.items[index], offset)];
  }
  return [];
}

// The parser points at a duplicate key without naming it: read the key from the source text.
function keyAt(text: string, offset: number): string {
  const match = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:\n,{}[\]]+?)\s*:/.exec(text.slice(offset));
  return match?.[1]?.trim() ?? text.slice(offset, offset + 20).split('\n')[0] ?? '';
}

/** Reads the plain value at `path`, or undefined when there is none. */
export function valueAt(root: unknown, path: DocPath): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
