/**
 * Expressions at run time: what `${{ }}` gives back as JSON. Typed objects (a whole step, `steps`,
 * `incident`) convert with all their fields, not as the empty objects cel-js's lazy maps look like.
 */
import { describe, expect, it } from 'vitest';
import {
  createExpressionEnvironment,
  evaluateExpression,
  interpolate,
  interpolateWithSecrets,
  type ExpressionDeclarations,
  type ExpressionScope,
} from '../../../src/domain/expressions.js';

const decl: ExpressionDeclarations = {
  params: { count: { type: 'integer' } },
  facts: {},
  decisions: {},
  stepIds: ['select', 'restore', 'skipped', 'pending'],
};
const env = createExpressionEnvironment(decl);

const CHOSEN = { id: 'b-1', size: 42, tags: ['nightly', 'eu'] };
const scope: ExpressionScope = {
  params: { count: 3 },
  facts: {},
  decisions: {},
  steps: {
    select: { status: 'succeeded', output: { chosen: CHOSEN, durationMs: 12 } },
    restore: { status: 'failed', output: { checks: [{ name: 'up', status: 'FAIL' }], timings: { checkMs: 5 } } },
    skipped: { status: 'skipped' },
  },
  incident: { id: 'inc-1', severity: 'sev2', startedAt: '2024-06-10T02:00:00.000Z' },
};

const evaluate = (expression: string) => evaluateExpression(env, decl, expression, scope);

describe('evaluating expressions to JSON', () => {
  it('gives a whole step as a `with` value with its status and output', () => {
    expect(
      interpolateWithSecrets(env, decl, { restore: '${{ steps.restore }}', select: '${{ steps["select"] }}' }, scope)
        .value,
    ).toEqual({
      restore: scope.steps.restore,
      select: { status: 'succeeded', output: { chosen: CHOSEN, durationMs: 12 } },
    });
  });

  it('leaves out the output of a step that has none', () => {
    expect(evaluate('steps.skipped')).toEqual({ status: 'skipped' });
  });

  it('gives `steps` as every step that has a state', () => {
    expect(evaluate('steps')).toEqual(scope.steps);
  });

  it('gives `incident` with its start as an ISO time', () => {
    expect(evaluate('incident')).toEqual(scope.incident);
  });

  it('converts map literals, nested maps and lists of steps', () => {
    expect(evaluate('{"a": {"b": [1, {"c": true}]}, "n": params.count}')).toEqual({ a: { b: [1, { c: true }] }, n: 3 });
    expect(evaluate('{"phase": {"restore": steps.restore, "status": steps.select.status}}')).toEqual({
      phase: { restore: scope.steps.restore, status: 'succeeded' },
    });
    expect(evaluate('[steps.skipped, steps.select.output.chosen]')).toEqual([{ status: 'skipped' }, CHOSEN]);
  });

  it('embeds a whole step in text as JSON', () => {
    expect(interpolate(env, decl, 'was ${{ steps.skipped }}', scope)).toBe('was {"status":"skipped"}');
  });

  it('gives uints as numbers and durations as text', () => {
    expect(evaluate('7u')).toBe(7);
    expect(evaluate('duration("90s")')).toBe('90s');
  });
});
