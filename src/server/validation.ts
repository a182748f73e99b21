/**
 * Request validation with zod: every problem in a part of the request (body, query, path) is reported,
 * each with a dotted path and a message, and the part is replaced by its parsed value.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { formatPath, type PathSegment } from '../diagnostics/located-issue.js';
import { RequestValidationError, type ApiIssue } from './errors.js';

/** How issue paths start for each part of a request; body paths are relative to the body (`params.host`). */
const PART_PREFIX: Readonly<Record<string, PathSegment[]>> = {
  body: [],
  querystring: ['query'],
  params: ['path'],
  headers: ['headers'],
};

/** Turns zod issues into API issues; unknown keys become one issue each, at the key. */
export function apiIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PathSegment[] = []): ApiIssue[] {
  const out: ApiIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: `unknown field \`${key}\`` });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ path: formatPath(path), message: `required (${issue.expected})` });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** Parses a value with a schema, or gives every problem as API issues. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  prefix: readonly PathSegment[] = [],
): { ok: true; value: z.output<T> } | { ok: false; issues: ApiIssue[] } {
  // reportInput lets a missing field read as "required"; inputs are never copied into messages.
  const result = schema.safeParse(value, { reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: apiIssues(result.error.issues, prefix) };
}

/** The fastify validator compiler: zod schemas, all issues of the failing part in one 400. */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data: unknown) => {
    const parsed = parseWith(schema, data, PART_PREFIX[httpPart ?? 'body'] ?? []);
    return parsed.ok ? { value: parsed.value } : { error: new RequestValidationError(parsed.issues) };
  };
