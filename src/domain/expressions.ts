/**
 * CEL expressions as runbooks use them: bare in `when:`, embedded as `${{ expr }}` in any string.
 * One environment per runbook declares exactly the names the runbook has, so an expression naming an
 * unknown param, fact, decision or step fails the type check at validation time. The same environment
 * evaluates at run time inside the workflow (the library is pure and deterministic).
 */
import { Environment } from '@marcbachmann/cel-js';
import {
  CEL_PARSE_LIMITS,
  checkExpressionCost,
  compileBounded,
  limitExpressionCost,
  type ExpressionCostOptions,
} from './expression-cost.js';
import type { FactType, JsonValue, ParamType } from './plan.js';
import { own } from './own.js';
import { placeholderText, type SecretPart, type SecretSlot } from './secret-slots.js';

/** The names a runbook declares, which is all an expression may refer to. */
export interface ExpressionDeclarations {
  params: Record<string, { type: ParamType }>;
  facts: Record<string, { type: FactType }>;
  /** Decision names; `true` when the decision has options (a string), `false` for an acknowledgement. */
  decisions: Record<string, boolean>;
  stepIds: string[];
}

/** The runtime values an expression sees, as JSON (the workflow's own state). */
export interface ExpressionScope {
  params: Record<string, JsonValue>;
  facts: Record<string, JsonValue>;
  /** Decision option, or the ISO time of an acknowledgement. */
  decisions: Record<string, string>;
  steps: Record<string, { status: string; output?: JsonValue }>;
  incident: { id: string; severity: string; startedAt: string };
}

// cel-js 8 names the timestamp type `google.protobuf.Timestamp` inside schemas: a `timestamp` field
// there crashes the registry while building its converters (and would not match `timestamp()` values).
const CEL_TIMESTAMP = 'google.protobuf.Timestamp';

const CEL_TYPE: Record<ParamType | FactType, string> = {
  string: 'string',
  integer: 'int',
  number: 'double',
  boolean: 'bool',
  datetime: CEL_TIMESTAMP,
  list: 'list',
  secret: 'string',
};

/**
 * cel-js recognises timestamps by `value.constructor`, and registered the global `Date` when it loaded.
 * Inside the Temporal workflow sandbox that global is the SDK's deterministic override, whose instances
 * are still built by the original `Date`, so their `constructor` is not the one cel-js knows. Pointing the
 * shared prototype's `constructor` at the override makes every timestamp recognisable. A no-op elsewhere.
 */
function alignDateConstructor(): void {
  if (Date.prototype.constructor !== Date) {
    Object.defineProperty(Date.prototype, 'constructor', { value: Date, writable: true, configurable: true });
  }
}

/** Builds the CEL environment for a runbook's declarations, with bounded cost (see expression-cost.ts). */
export function createExpressionEnvironment(
  decl: ExpressionDeclarations,
  options: ExpressionCostOptions = {},
): Environment {
  alignDateConstructor();
  const schemaOf = (entries: Record<string, { type: ParamType | FactType }>) =>
    Object.fromEntries(Object.entries(entries).map(([name, spec]) => [name, CEL_TYPE[spec.type]]));
  const steps = Object.fromEntries(decl.stepIds.map((id) => [id, { status: 'string', output: 'dyn' }]));
  const decisions = Object.fromEntries(
    Object.entries(decl.decisions).map(([name, hasOptions]) => [name, hasOptions ? 'string' : CEL_TIMESTAMP]),
  );
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    homogeneousAggregateLiterals: false,
    limits: CEL_PARSE_LIMITS,
  });
  // An empty schema still declares the variable, so `has(facts.x)` checks against the declared names.
  env.registerVariable({ name: 'params', schema: schemaOf(decl.params) });
  env.registerVariable({ name: 'facts', schema: schemaOf(decl.facts) });
  env.registerVariable({ name: 'decisions', schema: decisions });
  env.registerVariable({ name: 'steps', schema: steps });
  env.registerVariable({ name: 'incident', schema: { id: 'string', severity: 'string', startedAt: CEL_TIMESTAMP } });
  return limitExpressionCost(env, options);
}

/** One `${{ expr }}` found in a string, with its offsets in that string. */
export interface EmbeddedExpression {
  expression: string;
  start: number;
  end: number;
}

export type ScanResult = { ok: true; parts: EmbeddedExpression[] } | { ok: false; message: string; offset: number };

/** Finds the `${{ ... }}` expressions in a string. An opened but unclosed one is an error. */
export function scanTemplate(text: string): ScanResult {
  const parts: EmbeddedExpression[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    if (start < 0) return { ok: true, parts };
    const close = text.indexOf('}}', start + 3);
    if (close < 0) return { ok: false, message: 'unclosed ${{ (expected }})', offset: start };
    const expression = text.slice(start + 3, close).trim();
    if (expression === '') return { ok: false, message: 'empty ${{ }} expression', offset: start };
    parts.push({ expression, start, end: close + 2 });
    from = close + 2;
  }
}

/** Type-checks one expression within the cost limits; returns a one-line message when it is not valid. */
export function checkExpression(
  env: Environment,
  expression: string,
): { ok: true; type: string } | { ok: false; message: string } {
  const overLimit = checkExpressionCost(env, expression);
  if (overLimit !== undefined) return { ok: false, message: overLimit };
  try {
    const result = env.check(expression);
    if (result.valid) return { ok: true, type: result.type ?? 'dyn' };
    return { ok: false, message: firstLine(result.error?.message ?? 'invalid expression') };
  } catch (error) {
    return { ok: false, message: firstLine(error instanceof Error ? error.message : String(error)) };
  }
}

/** Thrown when an expression fails at run time. */
export class ExpressionEvaluationError extends Error {
  override readonly name = 'ExpressionEvaluationError';
  constructor(
    readonly expression: string,
    message: string,
  ) {
    super(`${expression}: ${message}`);
  }
}

/** Evaluates an expression against a scope within the evaluation budget and returns plain JSON. */
export function evaluateExpression(
  env: Environment,
  decl: ExpressionDeclarations,
  expression: string,
  scope: ExpressionScope,
): JsonValue {
  try {
    return toJson(compileBounded(env, expression)(toCelContext(decl, scope)));
  } catch (error) {
    throw new ExpressionEvaluationError(expression, firstLine(error instanceof Error ? error.message : String(error)));
  }
}

/** Evaluates a `when:` condition; anything but a boolean is an error. */
export function evaluateCondition(
  env: Environment,
  decl: ExpressionDeclarations,
  expression: string,
  scope: ExpressionScope,
): boolean {
  const value = evaluateExpression(env, decl, expression, scope);
  if (typeof value !== 'boolean')
    throw new ExpressionEvaluationError(expression, `expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Interpolates `${{ }}` in a string. A string that is exactly one expression yields the expression's
 * value with its type (a list stays a list); otherwise values are joined as text. A secret param reads as
 * its placeholder (`[secret:token]`): a secret is never interpolated into text, only into an action's
 * `with` through `interpolateWithSecrets`, which says where out of band.
 */
export function interpolate(
  env: Environment,
  decl: ExpressionDeclarations,
  text: string,
  scope: ExpressionScope,
): JsonValue {
  const interpolated = interpolateParts(env, decl, text, scope);
  if (!Array.isArray(interpolated)) return interpolated.value;
  return placeholderText(interpolated);
}

/**
 * A string's interpolation: its value when it uses no secret param, else its parts (text as interpolated,
 * and each secret param's value, the name of a declared secret, as a secret part).
 */
function interpolateParts(
  env: Environment,
  decl: ExpressionDeclarations,
  text: string,
  scope: ExpressionScope,
): { value: JsonValue } | SecretPart[] {
  const scan = scanTemplate(text);
  if (!scan.ok) throw new ExpressionEvaluationError(text, scan.message);
  if (scan.parts.length === 0) return { value: text };
  const secrets = scan.parts.map((part) => secretParamName(decl, part.expression));
  const only = scan.parts[0];
  const whole = scan.parts.length === 1 && only !== undefined && only.start === 0 && only.end === text.length;
  // A string that is exactly one (non-secret) expression keeps the expression's type.
  if (whole && secrets[0] === undefined) return { value: evaluateExpression(env, decl, only.expression, scope) };
  const parts: SecretPart[] = [];
  let from = 0;
  scan.parts.forEach((part, index) => {
    parts.push({ text: text.slice(from, part.start) });
    const param = secrets[index];
    if (param === undefined) parts.push({ text: asText(evaluateExpression(env, decl, part.expression, scope)) });
    else parts.push({ secret: secretNameOf(scope.params[param]), param });
    from = part.end;
  });
  parts.push({ text: text.slice(from) });
  if (secrets.every((name) => name === undefined))
    return { value: parts.map((part) => ('text' in part ? part.text : '')).join('') };
  return mergeText(parts);
}

/** A secret param's value is the name of a declared secret; anything else names none (and resolves to none). */
function secretNameOf(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function mergeText(parts: readonly SecretPart[]): SecretPart[] {
  const out: SecretPart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if ('text' in part && part.text === '') continue;
    if ('text' in part && last !== undefined && 'text' in last) out[out.length - 1] = { text: last.text + part.text };
    else out.push(part);
  }
  return out;
}

/** An action's interpolated `with`: the value with placeholders, and where the secrets go. */
export interface InterpolatedInput {
  value: JsonValue;
  secrets: SecretSlot[];
}

/**
 * Interpolates an action's `with`: every string that uses a secret param becomes a placeholder in the value
 * and a slot in `secrets`, at the path the runbook wrote it. The slot's secret parts name declared secrets;
 * its text parts are plain text that nothing will ever look into for secrets.
 */
export function interpolateWithSecrets(
  env: Environment,
  decl: ExpressionDeclarations,
  value: JsonValue,
  scope: ExpressionScope,
): InterpolatedInput {
  const secrets: SecretSlot[] = [];
  const walk = (item: JsonValue, path: (string | number)[]): JsonValue => {
    if (typeof item === 'string') {
      const interpolated = interpolateParts(env, decl, item, scope);
      if (!Array.isArray(interpolated)) return interpolated.value;
      secrets.push({ path, parts: interpolated });
      return placeholderText(interpolated);
    }
    if (Array.isArray(item)) return item.map((entry, index) => walk(entry, [...path, index]));
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, walk(entry, [...path, key])]));
    }
    return item;
  };
  return { value: walk(value, []), secrets };
}

/** Interpolates a string and renders the result as text. */
export function interpolateText(
  env: Environment,
  decl: ExpressionDeclarations,
  text: string,
  scope: ExpressionScope,
): string {
  return asText(interpolate(env, decl, text, scope));
}

/** When an expression is exactly `params.<name>` of a secret param, returns that name. */
export function secretParamName(decl: Pick<ExpressionDeclarations, 'params'>, expression: string): string | undefined {
  const match = /^params\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression.trim());
  const name = match?.[1];
  return name !== undefined && own(decl.params, name)?.type === 'secret' ? name : undefined;
}

/** Names of secret params an expression mentions anywhere (used to refuse them outside plain interpolation). */
export function secretParamsMentioned(decl: ExpressionDeclarations, expression: string): string[] {
  return Object.entries(decl.params)
    .filter(
      ([name, spec]) =>
        spec.type === 'secret' &&
        new RegExp(`\\bparams\\s*(\\.\\s*${name}\\b|\\[\\s*["']${name}["'])`).test(expression),
    )
    .map(([name]) => name);
}

function toCelContext(decl: ExpressionDeclarations, scope: ExpressionScope): Record<string, unknown> {
  const typed = (values: Record<string, JsonValue>, specs: Record<string, { type: ParamType | FactType }>) => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      const type = own(specs, name)?.type;
      if (type === undefined || value === null) continue;
      out[name] = toCelValue(type, value);
    }
    return out;
  };
  const decisions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(scope.decisions)) {
    decisions[name] = own(decl.decisions, name) ? value : new Date(value);
  }
  return {
    params: typed(scope.params, decl.params),
    facts: typed(scope.facts, decl.facts),
    decisions,
    steps: Object.fromEntries(
      Object.entries(scope.steps).map(([id, step]) => [
        id,
        step.output === undefined ? step : { ...step, output: celJson(step.output) },
      ]),
    ),
    incident: { ...scope.incident, startedAt: new Date(scope.incident.startedAt) },
  };
}

function toCelValue(type: ParamType | FactType, value: JsonValue): unknown {
  if (type === 'integer' && typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (type === 'number' && typeof value === 'number') return value;
  if (type === 'datetime' && typeof value === 'string') return new Date(value);
  return celJson(value);
}

/**
 * JSON as CEL should see it: objects become `Map`s. cel-js tells a map from other objects by its
 * `constructor` property, so a plain object with a field named `constructor` (in a fact, a param, an
 * action's output, an alert) would fail every expression that reads it; a `Map` holds only its own keys.
 */
export function celJson(value: JsonValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(celJson);
  return new Map(Object.entries(value).map(([key, item]) => [key, celJson(item)]));
}

/**
 * Converts what cel-js returns into plain JSON. Typed objects (a step, `steps`, `incident`) come back as
 * lazy `Map` subclasses that fill in a field only when it is read: their own iterator reads every field,
 * whereas `entries()` sees only the fields read so far (none, for a whole `${{ steps.x }}`). A field
 * that is absent (a step without output) is left out, as JSON.stringify would.
 */
function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value !== 'object') return null; // functions and symbols have no JSON form
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return objectOf([...(value as Map<unknown, unknown>)]);
  if (!(Symbol.toStringTag in value)) return objectOf(Object.entries(value));
  // cel-js's own values (uint, duration, type) are tagged class instances with private fields and their own
  // valueOf and toString: a uint reads as its number, a duration ("90s") or a type as its text.
  const tagged = value as { valueOf(): unknown; toString(): string };
  const primitive = tagged.valueOf();
  return typeof primitive === 'bigint' ? toJson(primitive) : tagged.toString();
}

function objectOf(entries: Iterable<[unknown, unknown]>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of entries) if (item !== undefined) out[String(key)] = toJson(item);
  return out;
}

function asText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  // A list of plain values reads as a list in a sentence ("email, name"), not as JSON.
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return value.map(asText).join(', ');
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}
