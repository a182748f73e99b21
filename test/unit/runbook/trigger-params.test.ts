/** Trigger inputs against a plan's params: defaults, required, types, enums, secrets, CLI text. */
import { describe, expect, it } from 'vitest';
import type { ParamPlan } from '../../../src/domain/plan.js';
import { validateTriggerParams as validate } from '../../../src/runbook/trigger-params.js';
import { createSecretCatalog } from '../../../src/secrets/declared.js';

const secrets = createSecretCatalog({
  'api-token': { reference: 'env:API_TOKEN' },
  'billing-only': { reference: 'env:BILLING', runbooks: ['billing'] },
});
const validateTriggerParams = (
  plan: { params: Record<string, ParamPlan>; runbookId?: string },
  input: Record<string, unknown>,
) => validate({ runbookId: 'test', ...plan }, input, secrets);

const params: Record<string, ParamPlan> = {
  host: { type: 'string', required: true },
  count: { type: 'integer', required: false, default: 2 },
  ratio: { type: 'number', required: false },
  dryRun: { type: 'boolean', required: false },
  since: { type: 'datetime', required: false },
  hosts: { type: 'list', required: false },
  mode: { type: 'string', required: false, enum: ['fast', 'safe'], default: 'safe' },
  token: { type: 'secret', required: false },
};

describe('validateTriggerParams', () => {
  it('applies defaults and leaves optional params without a default out', () => {
    expect(validateTriggerParams({ params }, { host: 'web-1' })).toEqual({
      ok: true,
      value: { host: 'web-1', count: 2, mode: 'safe' },
    });
  });

  it('accepts typed values and normalises date-times to UTC ISO strings', () => {
    const input = {
      host: 'a',
      count: 5,
      ratio: 0.5,
      dryRun: false,
      since: '2024-05-01T12:00:00+02:00',
      hosts: ['a', 'b'],
      mode: 'fast',
      token: 'api-token',
    };
    expect(validateTriggerParams({ params }, input)).toEqual({
      ok: true,
      value: { ...input, since: '2024-05-01T10:00:00.000Z' },
    });
  });

  it('converts the text the CLI gives', () => {
    const input = {
      host: 'a',
      count: '7',
      ratio: '1.5',
      dryRun: 'true',
      hosts: 'a, b,c',
      token: 'api-token',
    };
    expect(validateTriggerParams({ params }, input)).toEqual({
      ok: true,
      value: {
        host: 'a',
        count: 7,
        ratio: 1.5,
        dryRun: true,
        hosts: ['a', 'b', 'c'],
        mode: 'safe',
        token: 'api-token',
      },
    });
    expect(validateTriggerParams({ params }, { host: 'a', hosts: '["x", 2]' })).toMatchObject({
      ok: true,
      value: { hosts: ['x', 2] },
    });
    expect(validateTriggerParams({ params }, { host: 'a', hosts: '' })).toMatchObject({
      ok: true,
      value: { hosts: [] },
    });
  });

  it('reports every problem at once, by param path', () => {
    const input = {
      count: '1.5',
      ratio: 'many',
      dryRun: 'yes',
      since: '2024-05-01 10:00',
      hosts: '[oops',
      mode: 'slow',
      extra: 1,
    };
    expect(validateTriggerParams({ params }, input)).toEqual({
      ok: false,
      issues: [
        {
          path: 'params.extra',
          message: 'unknown param `extra` (declared: host, count, ratio, dryRun, since, hosts, mode, token)',
        },
        { path: 'params.host', message: 'missing required param `host`' },
        { path: 'params.count', message: 'expected a whole number, got "1.5"' },
        { path: 'params.ratio', message: 'expected a number, got "many"' },
        { path: 'params.dryRun', message: 'expected true or false, got "yes"' },
        {
          path: 'params.since',
          message: 'expected an ISO-8601 date-time with a time zone (2024-05-01T10:00:00Z), got "2024-05-01 10:00"',
        },
        { path: 'params.hosts', message: 'expected a list (a JSON array or comma-separated text), got "[oops"' },
        { path: 'params.mode', message: 'expected one of fast, safe, got "slow"' },
      ],
    });
  });

  it('refuses a date-time without a time zone', () => {
    expect(validateTriggerParams({ params }, { host: 'a', since: '2024-05-01T10:00:00' })).toMatchObject({ ok: false });
  });

  it('takes a secret only as the name of a declared secret, and never repeats what was given', () => {
    const problem = (token: string) => {
      const result = validateTriggerParams({ params }, { host: 'a', token });
      // Only a declared name is ever repeated: anything else may be a secret pasted by mistake.
      if (token !== 'billing-only') expect(JSON.stringify(result)).not.toContain(token);
      return result.ok ? undefined : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
    };
    const notAName =
      'params.token: a secret param takes the name of a secret declared under `secrets` in firebreak.yaml, ' +
      'never a reference (env:, file:) or the secret itself';
    // References of any scheme, and anything else that is not a name, are refused before any lookup.
    for (const given of [
      'env:API_TOKEN',
      'file:/etc/passwd',
      'file:.firebreak/admin.token',
      '\u27e6secret:env:HOME\u27e7',
      'hunter2 super secret',
    ]) {
      expect(problem(given)).toEqual([notAName]);
    }
    expect(problem('hunter2-super-secret')).toEqual([
      'params.token: no secret of that name is declared in firebreak.yaml (available: api-token)',
    ]);
    expect(problem('billing-only')).toEqual([
      'params.token: secret `billing-only` is not declared for runbook `test` (available: api-token)',
    ]);
    expect(problem('constructor')).toEqual([
      'params.token: no secret of that name is declared in firebreak.yaml (available: api-token)',
    ]);
    expect(validate({ runbookId: 'billing', params }, { host: 'a', token: 'billing-only' }, secrets)).toMatchObject({
      ok: true,
    });
  });

  it('rejects a non-integer number and an unsafe integer', () => {
    expect(validateTriggerParams({ params }, { host: 'a', count: 1.5 })).toMatchObject({ ok: false });
    expect(validateTriggerParams({ params }, { host: 'a', count: '9007199254740993' })).toMatchObject({ ok: false });
  });
});
