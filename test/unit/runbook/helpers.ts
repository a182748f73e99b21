/** Shared helpers for runbook tests: a small action catalog and compiling inline YAML. */
import path from 'node:path';
import { z } from 'zod';
import type { Plan } from '../../../src/domain/plan.js';
import { createActionCatalog } from '../../../src/runbook/action-catalog.js';
import { compileRunbook, compileRunbookSources, type RunbookCatalog } from '../../../src/runbook/catalog.js';
import type { Issue, Result } from '../../../src/diagnostics/located-issue.js';

/** Actions shaped like the built-ins, small enough to reason about in tests. */
export const testActions = createActionCatalog([
  {
    name: 'http.request',
    input: z.strictObject({
      method: z.enum(['GET', 'POST']).default('GET'),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
    }),
    secretInputs: [['url'], ['headers', '*']],
  },
  {
    name: 'command.run',
    input: z.strictObject({
      command: z.string(),
      args: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
    }),
    secretInputs: [['env', '*']],
  },
  { name: 'timeline.note', input: z.strictObject({ text: z.string() }) },
]);

/** The fixture directory of runbooks. */
export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/runbooks');

/** The fixture directory of message templates (small messages, independent of the starter wording). */
export const TEMPLATES = path.resolve(import.meta.dirname, '../../fixtures/templates');

/** Compiles YAML text as a single runbook file. */
export function compileText(text: string, file = 'inline.yaml', known?: ReadonlyMap<string, Plan>): Result<Plan> {
  return compileRunbook({ file, bytes: Buffer.from(text) }, { actions: testActions, ...(known && { known }) });
}

/** Compiles several YAML texts together, keyed by file name. */
export function compileTexts(files: Record<string, string>): RunbookCatalog {
  const sources = Object.entries(files).map(([file, text]) => ({ file, bytes: Buffer.from(text) }));
  return compileRunbookSources(sources, { actions: testActions });
}

/** The issues of a runbook expected to be invalid (fails the test when it compiles). */
export function issuesOf(text: string): Issue[] {
  const result = compileText(text);
  if (result.ok) throw new Error('expected the runbook to have problems, but it compiled');
  return result.issues;
}

/** The plan of a runbook expected to be valid (fails the test with its problems otherwise). */
export function planOf(text: string, known?: ReadonlyMap<string, Plan>): Plan {
  const result = compileText(text, 'inline.yaml', known);
  if (!result.ok)
    throw new Error(
      `expected a valid runbook, got:\n${result.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`).join('\n')}`,
    );
  return result.value;
}

/** Issues reduced to what tests compare: `line:col path message`. */
export function brief(issues: readonly Issue[]): string[] {
  return issues.map((issue) => `${issue.line}:${issue.col} ${issue.path} ${issue.message}`);
}

/** A minimal valid runbook header; append steps (indented by two spaces) to `steps:`. */
export function runbook(steps: string, extra = ''): string {
  return `apiVersion: firebreak/v1
id: inline
title: Inline
version: 1
severity: sev3
params:
  host: { type: string, required: true }
  count: { type: integer, default: 2 }
  token: { type: secret }
roles:
  commander: { escalateTo: ciso }
  ciso: {}
facts:
  hosts: { type: list }
  seenAt: { type: datetime }
${extra}steps:
${steps}`;
}
