/** The JSON Schema of the runbook format, generated from the zod schema for editor completion. */
import { z } from 'zod';
import { RunbookSchema } from './runbook-schema.js';

/** Where the generated schema is committed, relative to the repository root. */
export const RUNBOOK_JSON_SCHEMA_PATH = 'runbooks/runbook.schema.json';

/** Builds the JSON Schema (draft 2020-12) of a runbook file as authors write it (defaults optional). */
export function buildRunbookJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RunbookSchema, { io: 'input', target: 'draft-2020-12' });
}

/** The schema as the committed file holds it: two-space JSON with a final newline. */
export function renderRunbookJsonSchema(): string {
  return `${JSON.stringify(buildRunbookJsonSchema(), null, 2)}\n`;
}
