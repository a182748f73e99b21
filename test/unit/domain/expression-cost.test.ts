/**
 * Bounded cost for expressions (issue 10, finding 4): each static limit refuses at validation, the
 * evaluation budget stops explosive expressions with "over budget", and `matches()` runs on RE2.
 */
import { describe, expect, it } from 'vitest';
import { EXPRESSION_LIMITS } from '../../../src/domain/expression-cost.js';
import {
  checkExpression,
  createExpressionEnvironment,
  evaluateCondition,
  evaluateExpression,
  ExpressionEvaluationError,
  type ExpressionDeclarations,
  type ExpressionScope,
} from '../../../src/domain/expressions.js';

const decl: ExpressionDeclarations = {
  params: { hosts: { type: 'list' }, text: { type: 'string' }, pattern: { type: 'string' } },
  facts: {},
  decisions: {},
  stepIds: [],
};
const env = createExpressionEnvironment(decl);
const HOSTS = Array.from({ length: 100 }, (_, i) => `host-${i}`);
const scopeWith = (params: Record<string, string | string[]>): ExpressionScope => ({
  params: { hosts: HOSTS, text: '', pattern: '', ...params },
  facts: {},
  decisions: {},
  steps: {},
  incident: { id: 'inc-1', severity: 'sev2', startedAt: '2024-06-10T02:00:00.000Z' },
});
const evaluate = (expression: string, params: Record<string, string | string[]> = {}) =>
  evaluateExpression(env, decl, expression, scopeWith(params));
const failure = (expression: string) => {
  const result = checkExpression(env, expression);
  return result.ok ? undefined : result.message;
};
const overBudget = (run: () => unknown) => {
  expect(run).toThrow(ExpressionEvaluationError);
  expect(run).toThrow(/over budget: evaluating takes more than 1000000 steps/);
};

describe('limits checked at validation', () => {
  it('refuses an expression longer than 1000 characters', () => {
    expect(EXPRESSION_LIMITS.length).toBe(1000);
    const comparison = (length: number) => `params.text == "${'x'.repeat(length - 17)}"`;
    expect(failure(comparison(1001))).toBe('the expression is 1001 characters long, over the limit of 1000 characters');
    expect(failure(comparison(1000))).toBeUndefined();
  });

  it('refuses nesting deeper than 32 levels', () => {
    const nested = (depth: number) => `${'('.repeat(depth)}1${')'.repeat(depth)} == 1`;
    expect(failure(nested(40))).toBe('the expression nests deeper than the limit of 32 levels');
    expect(failure(nested(20))).toBeUndefined();
  });

  it('refuses more than 500 nodes', () => {
    const sum = (terms: number) => `${Array.from({ length: terms }, () => '1').join('+')} > 0`;
    expect(failure(sum(400))).toBe('the expression has more than the limit of 500 nodes (operators, names and values)');
    expect(failure(sum(200))).toBeUndefined();
  });

  it('refuses comprehensions nested more than 2 deep, counting only bodies', () => {
    expect(failure('params.hosts.all(a, params.hosts.exists(b, params.hosts.map(c, a + b + c).size() > 0))')).toBe(
      'comprehensions (all, exists, exists_one, map, filter) nest 3 deep, over the limit of 2',
    );
    expect(failure('params.hosts.exists(a, params.hosts.exists(b, a == b))')).toBeUndefined();
    // A chain runs one comprehension after another, not inside: no nesting.
    expect(failure('params.hosts.map(a, a).filter(b, b != "").map(c, c + "x").size() > 0')).toBeUndefined();
  });

  it('refuses a regex literal that RE2 does not accept, in both forms of matches()', () => {
    expect(failure('params.text.matches("^(?!prod)")')).toBe(
      'invalid regular expression "^(?!prod)" in matches() (RE2 syntax: no lookaround or backreferences): invalid or unsupported Perl syntax: `(?!`',
    );
    expect(failure('matches(params.text, "(a")')).toMatch(
      /^invalid regular expression "\(a" in matches\(\).*missing closing \)/,
    );
    expect(failure('params.text.matches("^web-[0-9]+$") && matches(params.text, "web")')).toBeUndefined();
  });
});

describe('the evaluation budget', () => {
  it('stops nested comprehensions over a param list with "over budget"', () => {
    // 100 × 100 × 100 iterations, if the validator's nesting limit were not there to refuse it first.
    overBudget(() => evaluate('params.hosts.map(a, params.hosts.map(b, params.hosts.map(c, a + b + c))).size() > 0'));
    expect(evaluate('params.hosts.exists(a, params.hosts.exists(b, a + b == "host-99host-99"))')).toBe(true);
  });

  it('counts the size of values read: doubling a string runs over budget', () => {
    const text = 'x'.repeat(50_000);
    const doubling =
      'cel.bind(a, params.text + params.text, cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, cel.bind(e, d + d, cel.bind(f, e + e, size(f + f) > 0))))))';
    overBudget(() => evaluate(doubling, { text }));
    expect(evaluate(doubling, { text: 'x' })).toBe(true);
  });

  it('counts the lists a comprehension builds and the caller converts', () => {
    overBudget(() => evaluate('params.hosts.map(a, params.hosts.map(b, params.hosts))'));
  });

  it('is not absorbed by || or exists, which absorb other errors', () => {
    const heavy = 'params.hosts.map(a, params.hosts.map(b, params.hosts)).size() == 0';
    overBudget(() => evaluate(`${heavy} || true`));
    overBudget(() => evaluate(`params.hosts.exists(h, ${heavy})`));
  });

  it('starts again at each evaluation (the same program, deterministic)', () => {
    const expression = 'params.hosts.exists(a, params.hosts.exists(b, a + b == "none"))';
    for (let i = 0; i < 5; i++) expect(evaluate(expression)).toBe(false);
    const explosive = 'params.hosts.map(a, params.hosts.map(b, params.hosts)).size() > 0';
    const messages = [0, 1].map(() => {
      try {
        return evaluate(explosive);
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(messages[0]).toMatch(/over budget/);
    expect(messages[1]).toBe(messages[0]);
  });

  it('fails a when: condition over budget with ExpressionEvaluationError', () => {
    const when = 'params.hosts.all(a, params.hosts.all(b, size(params.hosts.filter(c, c != a + b)) > 0))';
    expect(checkExpression(env, when)).toMatchObject({ ok: false }); // 3 deep: the validator refuses it
    const run = () => evaluateCondition(env, decl, when, scopeWith({}));
    overBudget(run);
  });
});

describe('matches() on RE2', () => {
  it('answers (a+)+$ over 50,000 characters correctly (a linear-time engine; no timing asserted)', () => {
    const text = `${'a'.repeat(50_000)}!`;
    expect(evaluate('params.text.matches("(a+)+$")', { text })).toBe(false);
    expect(evaluate('matches(params.text, "(a+)+!$")', { text })).toBe(true);
    expect(evaluate('params.text.matches(params.pattern)', { text, pattern: '(a|aa)+$' })).toBe(false);
  });

  it('searches anywhere in the text, as CEL and cel-js did', () => {
    expect(evaluate('params.text.matches("web-[0-9]+")', { text: 'host web-12 eu' })).toBe(true);
    expect(evaluate('params.text.matches("^web")', { text: 'host web-12' })).toBe(false);
  });

  it('fails a pattern from a param that RE2 refuses, naming RE2', () => {
    const run = () => evaluate('params.text.matches(params.pattern)', { text: 'aa', pattern: '(a)\\1' });
    expect(run).toThrow(ExpressionEvaluationError);
    expect(run).toThrow(/invalid regular expression "\(a\)\\\\1" in matches\(\) \(RE2 syntax/);
  });

  it('keeps the backtracking engine for incidents replaying from before RE2', () => {
    const legacy = createExpressionEnvironment(decl, { legacyRegex: true });
    const scope = scopeWith({ text: 'prod-1', pattern: '^(?!prod)' });
    expect(evaluateExpression(legacy, decl, 'params.text.matches(params.pattern)', scope)).toBe(false);
  });
});
