/** The committed JSON Schema must match the zod schema (run `npm run schema` after changing it). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRunbookJsonSchema,
  renderRunbookJsonSchema,
  RUNBOOK_JSON_SCHEMA_PATH,
} from '../../../src/runbook/json-schema.js';

const committed = path.resolve(import.meta.dirname, '../../..', RUNBOOK_JSON_SCHEMA_PATH);

describe('runbook JSON Schema', () => {
  it('is up to date (regenerate with `npm run schema`)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderRunbookJsonSchema());
  });

  it('describes strict objects and every kind, postmortem included', () => {
    const schema = buildRunbookJsonSchema() as {
      additionalProperties: boolean;
      required: string[];
      $defs: Record<string, unknown>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['apiVersion', 'id', 'title', 'version', 'severity', 'steps']);
    expect(Object.keys(schema.$defs)).toEqual(
      expect.arrayContaining([
        'Step',
        'ActionStep',
        'TaskStep',
        'DecisionStep',
        'ApprovalStep',
        'NotifyStep',
        'ParallelStep',
        'RunbookStep',
        'WaitStep',
        'PostmortemStep',
      ]),
    );
    const spec = schema.$defs.PostmortemSpec as { additionalProperties: boolean; properties: Record<string, unknown> };
    expect(spec.additionalProperties).toBe(false);
    expect(Object.keys(spec.properties)).toEqual([
      'facilitator',
      'owner',
      'reviewers',
      'audience',
      'due',
      'containedBy',
      'tags',
    ]);
  });
});
