/**
 * Trigger inputs checked against a plan's params before a run starts: defaults applied, required
 * params enforced, values coerced to their declared type (the CLI gives every value as text), and secret
 * params accepted only as names of secrets declared in firebreak.yaml, so that a trigger can neither put a
 * secret in workflow history nor reach one the deployment did not declare for the runbook.
 */
import { z } from 'zod';
import { checkValueLimits, describeLimitProblem } from '../domain/limits.js';
import { hasOwn, own } from '../domain/own.js';
import type { JsonValue, ParamType, Plan } from '../domain/plan.js';
import { SECRET_NAME, type SecretCatalog } from '../secrets/declared.js';
import { describeValue } from '../diagnostics/located-issue.js';

/** A problem with one trigger input: `path` is `params.<name>`. */
export interface ParamIssue {
  path: string;
  message: string;
}

/** The parts of a param declaration that decide which values it accepts. */
export interface ParamConstraint {
  type: ParamType;
  enum?: readonly string[];
}

/** One value checked against a param: the (converted) value, or why it does not fit. */
export type ParamCoercion = { ok: true; value: JsonValue } | { ok: false; message: string };

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const JsonList = z.array(z.json());

/**
 * Checks one value against a param's type, the value limits (`src/domain/limits.ts`) and the enum,
 * converting text where the type allows it.
 */
export function coerceParamValue(spec: ParamConstraint, value: unknown): ParamCoercion {
  const coerced = coerceByType(spec.type, value);
  if (!coerced.ok) return coerced;
  const limited = checkValueLimits(coerced.value);
  if (limited !== undefined) return { ok: false, message: describeLimitProblem(limited) };
  if (spec.enum === undefined) return coerced;
  const text = typeof coerced.value === 'string' ? coerced.value : JSON.stringify(coerced.value);
  if (spec.enum.includes(text)) return coerced;
  return { ok: false, message: `expected one of ${spec.enum.join(', ')}, got ${describeValue(coerced.value)}` };
}

/**
 * Applies defaults and checks every trigger input against the plan's params; unknown names are errors,
 * inherited ones such as `constructor` or `toString` included (only the plan's own params are declared). A
 * secret param's value (given or default) must name a secret that firebreak.yaml declares for this runbook.
 */
export function validateTriggerParams(
  plan: Pick<Plan, 'params' | 'runbookId'>,
  input: Readonly<Record<string, unknown>>,
  secrets: SecretCatalog,
): { ok: true; value: Record<string, JsonValue> } | { ok: false; issues: ParamIssue[] } {
  const issues: ParamIssue[] = [];
  const value: Record<string, JsonValue> = {};
  const declared = Object.keys(plan.params);
  for (const name of Object.keys(input)) {
    if (!hasOwn(plan.params, name)) {
      issues.push({
        path: `params.${name}`,
        message: `unknown param \`${name}\` (declared: ${declared.join(', ') || 'none'})`,
      });
    }
  }
  for (const [name, spec] of Object.entries(plan.params)) {
    const given = own(input, name);
    if (given === undefined || given === null) {
      if (spec.default !== undefined) value[name] = spec.default;
      else if (spec.required) issues.push({ path: `params.${name}`, message: `missing required param \`${name}\`` });
      continue;
    }
    const coerced = coerceParamValue(spec, given);
    if (coerced.ok) value[name] = coerced.value;
    else issues.push({ path: `params.${name}`, message: coerced.message });
  }
  for (const [name, spec] of Object.entries(plan.params)) {
    const named = value[name];
    if (spec.type !== 'secret' || named === undefined) continue;
    const problem = typeof named === 'string' ? secrets.problem(named, plan.runbookId) : 'expected a secret name';
    if (problem !== undefined) issues.push({ path: `params.${name}`, message: problem });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

function coerceByType(type: ParamType, value: unknown): ParamCoercion {
  const fail = (expected: string): ParamCoercion => ({
    ok: false,
    message: `expected ${expected}, got ${describeValue(value)}`,
  });
  switch (type) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : fail('text');
    case 'integer':
      return coerceInteger(value) ?? fail('a whole number');
    case 'number':
      return coerceNumber(value) ?? fail('a number');
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
      return fail('true or false');
    case 'datetime':
      return coerceDatetime(value) ?? fail('an ISO-8601 date-time with a time zone (2024-05-01T10:00:00Z)');
    case 'list':
      return coerceList(value) ?? fail('a list (a JSON array or comma-separated text)');
    case 'secret':
      // The value is never echoed: a literal secret given by mistake must not land in a log or a terminal.
      if (typeof value === 'string' && SECRET_NAME.test(value)) return { ok: true, value };
      return {
        ok: false,
        message:
          'a secret param takes the name of a secret declared under `secrets` in firebreak.yaml, never a reference (env:, file:) or the secret itself',
      };
  }
}

function coerceInteger(value: unknown): ParamCoercion | undefined {
  const number = typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? { ok: true, value: number } : undefined;
}

function coerceNumber(value: unknown): ParamCoercion | undefined {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const number = text !== undefined && text !== '' ? Number(text) : value;
  return typeof number === 'number' && Number.isFinite(number) ? { ok: true, value: number } : undefined;
}

function coerceDatetime(value: unknown): ParamCoercion | undefined {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : { ok: true, value: value.toISOString() };
  if (typeof value !== 'string' || !ISO_DATETIME.test(value.trim())) return undefined;
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? undefined : { ok: true, value: new Date(time).toISOString() };
}

function coerceList(value: unknown): ParamCoercion | undefined {
  let candidate = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        candidate = JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    } else {
      candidate = text === '' ? [] : text.split(',').map((item) => item.trim());
    }
  }
  // A list over the limits is handed back unchecked for coerceParamValue to refuse with where and which
  // limit: zod's recursive walk would exhaust the stack on a list nested deep enough.
  if (Array.isArray(candidate) && checkValueLimits(candidate as JsonValue[]) !== undefined) {
    return { ok: true, value: candidate as JsonValue[] };
  }
  const parsed = JsonList.safeParse(candidate);
  return parsed.success ? { ok: true, value: parsed.data as JsonValue[] } : undefined;
}
