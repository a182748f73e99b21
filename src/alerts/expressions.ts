/**
 * CEL over alerts, for webhook routes: one variable, `alert` (dynamic JSON), with optional chaining
 * (`alert.?labels.?team.orValue("none")`) enabled. Expressions are checked when the config loads and
 * compiled once, so a delivery only evaluates them. They run on the API's event loop, so they have the
 * runbooks' cost limits: checked at load, and an evaluation budget per delivery (expression-cost.ts).
 */
import { Environment } from '@marcbachmann/cel-js';
import {
  CEL_PARSE_LIMITS,
  checkExpressionCost,
  compileBounded,
  ExpressionBudgetError,
  limitExpressionCost,
} from '../domain/expression-cost.js';
import { celJson } from '../domain/expressions.js';
import type { JsonValue } from '../domain/plan.js';

/** What an expression must produce: a condition, a string, or any value (params). */
export type AlertExpressionKind = 'bool' | 'string' | 'any';

/** A compiled expression: evaluates against one alert, returns plain JSON, throws on failure. */
export type CompiledAlertExpression = (alert: JsonValue) => JsonValue;

let shared: Environment | undefined;

/** The one environment every alert expression is checked and evaluated in. */
export function alertEnvironment(): Environment {
  if (shared === undefined) {
    const env = new Environment({
      unlistedVariablesAreDyn: false,
      homogeneousAggregateLiterals: false,
      enableOptionalTypes: true,
      limits: CEL_PARSE_LIMITS,
    });
    env.registerVariable('alert', 'dyn');
    shared = limitExpressionCost(env);
  }
  return shared;
}

/** Type-checks an expression for a kind; the message is one line and names the expression. */
export function checkAlertExpression(
  expression: string,
  kind: AlertExpressionKind,
): { ok: true } | { ok: false; message: string } {
  if (expression.trim() === '') return { ok: false, message: 'empty expression' };
  const overLimit = checkExpressionCost(alertEnvironment(), expression);
  if (overLimit !== undefined) return { ok: false, message: invalid(expression, overLimit) };
  let type: string;
  try {
    const result = alertEnvironment().check(expression);
    if (!result.valid) return { ok: false, message: invalid(expression, result.error) };
    type = result.type ?? 'dyn';
  } catch (error) {
    return { ok: false, message: invalid(expression, error) };
  }
  if (kind === 'any' || type === 'dyn' || type === kind) return { ok: true };
  const wanted = kind === 'bool' ? 'true or false' : 'a string';
  return { ok: false, message: `\`${expression}\` must be ${wanted}, but it is of type ${type}` };
}

/** Compiles a checked expression once; each call evaluates it with `alert` bound, within the budget. */
export function compileAlertExpression(expression: string): CompiledAlertExpression {
  const program = compileBounded(alertEnvironment(), expression);
  return (alert) => {
    try {
      return toJson(program({ alert: celValue(alert) }));
    } catch (error) {
      throw new AlertExpressionError(expression, firstLine(error), error instanceof ExpressionBudgetError);
    }
  };
}

/**
 * The label names an expression reads from `alert.labels` by a literal name: `alert.labels.team`,
 * `alert.?labels.?team`, `alert.labels["team"]`, `has(alert.labels.team)`, `"team" in alert.labels`.
 * The timeline keeps these first when it must drop labels. An expression that does not parse reads none.
 */
export function labelNamesRead(expression: string): string[] {
  let root: unknown;
  try {
    root = alertEnvironment().parse(expression).ast;
  } catch {
    return [];
  }
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isNode(value)) return;
    const [target, key] = Array.isArray(value.args) ? (value.args as unknown[]) : [];
    if (FIELD_OPS.has(value.op) && isLabels(target) && typeof key === 'string') names.add(key);
    if (INDEX_OPS.has(value.op) && isLabels(target) && isNode(key) && key.op === 'value') {
      if (typeof key.args === 'string') names.add(key.args);
    }
    if (value.op === 'in' && isNode(target) && target.op === 'value' && isLabels(key)) {
      if (typeof target.args === 'string') names.add(target.args);
    }
    visit(value.args);
  };
  visit(root);
  return [...names];
}

interface AstNode {
  op: string;
  args: unknown;
}

const FIELD_OPS = new Set(['.', '.?']);
const INDEX_OPS = new Set(['[]', '[?]']);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string';
}

/** `alert.labels`, `alert.?labels` or `alert["labels"]`. */
function isLabels(value: unknown): boolean {
  if (!isNode(value) || !Array.isArray(value.args)) return false;
  const [target, key] = value.args as unknown[];
  const isAlert = isNode(target) && target.op === 'id' && target.args === 'alert';
  if (!isAlert) return false;
  if (FIELD_OPS.has(value.op)) return key === 'labels';
  return INDEX_OPS.has(value.op) && isNode(key) && key.op === 'value' && key.args === 'labels';
}

/** Thrown when an alert expression fails at delivery time (a missing label, a wrong type, over budget). */
export class AlertExpressionError extends Error {
  override readonly name = 'AlertExpressionError';
  constructor(
    readonly expression: string,
    reason: string,
    /** The evaluation went over its budget: the alert decided nothing, rather than lacking a field. */
    readonly overBudget = false,
  ) {
    super(`\`${expression}\`: ${reason}`);
  }
}

function invalid(expression: string, error: unknown): string {
  const reason = firstLine(error);
  const unknown = /^Unknown variable: (\S+)/.exec(reason)?.[1];
  if (unknown !== undefined)
    return `in \`${expression}\`: unknown name \`${unknown}\`: alert expressions can use \`alert\``;
  return `invalid expression \`${expression}\`: ${reason}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'invalid expression';
  return (message.split('\n')[0] ?? message).trim();
}

/** The CEL form of each alert, converted once however many routes evaluate it. */
const celValues = new WeakMap<object, unknown>();

/** An alert as CEL sees it (`celJson`: a label or field named `constructor` is a field like any other). */
function celValue(alert: JsonValue): unknown {
  if (alert === null || typeof alert !== 'object') return alert;
  const cached = celValues.get(alert);
  if (cached !== undefined) return cached;
  const converted = celJson(alert);
  celValues.set(alert, converted);
  return converted;
}

/** CEL values back to JSON: integers become numbers (or strings beyond 2^53), maps plain objects. */
function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    const safe = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
    return safe ? Number(value) : value.toString();
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), toJson(v)]));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return null;
}
