/**
 * Bounded cost for CEL expressions, shared by runbooks and alert routes. cel-js 8 limits the size of a
 * parse but not the work of an evaluation, and its `matches()` uses the backtracking RegExp. This adds:
 * - limits checked at validation: length, nesting depth and node count (cel-js's own `limits`),
 *   comprehensions nested in comprehensions, and regex literals in RE2 syntax;
 * - an evaluation budget counted in steps, never in time, so a workflow replays the same way: each
 *   evaluated node costs one step, each value an operator, function or macro reads costs its size;
 * - `matches()` (`s.matches(re)` and `matches(s, re)`) on RE2 (re2js), linear in the text.
 * An evaluation over budget throws ExpressionBudgetError, whose message starts with "over budget".
 */
import type { Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';

/** The limits, as docs/runbooks.md states them. */
export const EXPRESSION_LIMITS = {
  /** Characters in one expression. */
  length: 1000,
  /** Nesting depth: parentheses, operands of operators, calls, member chains (cel-js `maxDepth`). */
  depth: 32,
  /** Nodes of the parsed expression (cel-js `maxAstNodes`). */
  nodes: 500,
  /** Comprehensions (all, exists, exists_one, map, filter) inside the body of another, counting the outer. */
  comprehensionNesting: 2,
  /** Steps one evaluation may take. */
  steps: 1_000_000,
  /** Characters of text that count as one step when an operator or function reads them. */
  charsPerStep: 10,
} as const;

/** The `limits` option of a cel-js Environment: its parser refuses deeper or larger expressions. */
export const CEL_PARSE_LIMITS = { maxDepth: EXPRESSION_LIMITS.depth, maxAstNodes: EXPRESSION_LIMITS.nodes };

/** How an environment runs `matches()`. */
export interface ExpressionCostOptions {
  /**
   * Use cel-js's backtracking `s.matches(re)` instead of RE2: only for replaying incidents that started
   * before RE2 (a regex RE2 refuses would change their course). False by default.
   */
  legacyRegex?: boolean;
}

/** Thrown when an evaluation goes over its budget. */
export class ExpressionBudgetError extends Error {
  override readonly name = 'ExpressionBudgetError';
}

/** Makes an environment ready for bounded evaluation: adds `matches(s, re)` and records the options. */
export function limitExpressionCost(env: Environment, options: ExpressionCostOptions = {}): Environment {
  env.registerFunction('matches(string, string): bool', (text: string, pattern: string) =>
    compileRegex(pattern).test(text),
  );
  settings.set(env, options);
  return env;
}

/** Checks the static limits; returns a one-line message naming the limit, or undefined when within them. */
export function checkExpressionCost(env: Environment, expression: string): string | undefined {
  const { length, comprehensionNesting } = EXPRESSION_LIMITS;
  if (expression.length > length) {
    return `the expression is ${expression.length} characters long, over the limit of ${length} characters`;
  }
  let root: CelNode;
  try {
    root = env.parse(expression).ast as unknown as CelNode;
  } catch (error) {
    return parseLimitMessage(error); // other parse errors are the type check's to report
  }
  const nesting = comprehensionDepth(root);
  if (nesting > comprehensionNesting) {
    return `comprehensions (all, exists, exists_one, map, filter) nest ${nesting} deep, over the limit of ${comprehensionNesting}`;
  }
  for (const pattern of regexLiterals(root)) {
    const problem = regexProblem(pattern);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A checked expression, ready to evaluate within the budget against a context. */
export type BoundedProgram = (context: Record<string, unknown>) => unknown;

/**
 * Parses, type-checks and instruments an expression once per environment; throws cel-js's error when it
 * does not parse or check. Evaluating the program throws ExpressionBudgetError when it goes over budget.
 */
export function compileBounded(env: Environment, expression: string): BoundedProgram {
  let cache = programs.get(env);
  if (cache === undefined) programs.set(env, (cache = new Map<string, BoundedProgram>()));
  const cached = cache.get(expression);
  if (cached !== undefined) return cached;
  const parsed = env.parse(expression);
  const checked = parsed.check();
  if (!checked.valid) throw checked.error ?? new Error('invalid expression');
  const meter = new Meter();
  instrument(parsed.ast as unknown as CelNode, meter, settings.get(env)?.legacyRegex === true);
  const program: BoundedProgram = (context) => {
    meter.reset();
    try {
      const value: unknown = parsed(context);
      meter.read(value); // the caller converts the whole value to JSON
      return value;
    } catch (error) {
      // cel-js absorbs some errors (`||`, `exists`): once over budget, the budget is the answer.
      if (meter.over) throw meter.error();
      throw error;
    }
  };
  if (cache.size >= MAX_PROGRAMS_PER_ENV) cache.clear();
  cache.set(expression, program);
  return program;
}

const settings = new WeakMap<Environment, ExpressionCostOptions>();
const programs = new WeakMap<Environment, Map<string, BoundedProgram>>();
const MAX_PROGRAMS_PER_ENV = 1000;

/** Counts the steps of one evaluation at a time (evaluation is synchronous). */
class Meter {
  private spent = 0;
  over = false;

  reset(): void {
    this.spent = 0;
    this.over = false;
  }

  charge(steps: number): void {
    this.spent += steps;
    if (this.spent > EXPRESSION_LIMITS.steps) {
      this.over = true;
      throw this.error();
    }
  }

  /** Charges the size of a value an operator, function or macro reads (or the caller converts). */
  read(value: unknown): void {
    this.charge(sizeOf(value, EXPRESSION_LIMITS.steps - this.spent + 1));
  }

  error(): ExpressionBudgetError {
    return new ExpressionBudgetError(
      `over budget: evaluating takes more than ${EXPRESSION_LIMITS.steps} steps (each operation is a step, and so is each list element, map entry or ${EXPRESSION_LIMITS.charsPerStep} characters of text read)`,
    );
  }
}

/** Size in steps: one per list element and map entry at every depth, one per `charsPerStep` characters; stops past `cap`. */
function sizeOf(value: unknown, cap: number): number {
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && total <= cap) {
    const item = pending.pop();
    if (typeof item === 'string' || item instanceof Uint8Array) {
      total += Math.ceil(item.length / EXPRESSION_LIMITS.charsPerStep);
      continue;
    }
    const children = childValues(item);
    if (children === undefined) continue;
    total += children.length;
    if (total <= cap) pending.push(...children);
  }
  return total;
}

/** The elements of a list, the keys and values of a map; undefined for anything else (typed objects count one read at a time). */
function childValues(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[];
  if (value instanceof Map && value.constructor === Map) return [...(value as Map<unknown, unknown>).values()];
  if (value !== null && typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return Object.values(value as Record<string, unknown>);
  }
  return undefined;
}

// The runtime shape of cel-js 8's AST nodes (its typings expose only op and args). After the type check,
// `meta` holds a node's evaluator, or an `alternate` node (a macro expanded into a comprehension) or a
// `macro` object (`has`, `cel.bind`) that evaluates instead.
type Evaluate = (ev: Evaluator, ast: CelNode, ctx: unknown) => unknown;
interface Evaluator {
  run(ast: CelNode, ctx: unknown): unknown;
}
interface CelNode {
  op: string;
  args: unknown;
  evaluate: Evaluate;
  readonly meta: { evaluate: Evaluate; alternate?: CelNode; macro?: { evaluate: Evaluate } & Record<string, unknown> };
}
interface ComprehensionArgs {
  iterable: CelNode;
  init: CelNode;
  step: CelNode;
}

/** Operators and function calls read their operands' values (work that grows with their size). */
const READERS = new Set(['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', 'in', '!_', '-_', 'call', 'rcall']);

/**
 * Wraps the evaluator of every node of a checked expression: one step per node, plus the size of each
 * value a reader (or a comprehension, of its range) reads; `matches()` runs on RE2.
 */
function instrument(root: CelNode, meter: Meter, legacyRegex: boolean): void {
  const seen = new Set<CelNode>();
  const visit = (node: CelNode, read: boolean): void => {
    if (seen.has(node)) return;
    seen.add(node);
    const { alternate, macro } = node.meta;
    if (alternate !== undefined) {
      node.evaluate = (ev, _ast, ctx) => alternate.evaluate(ev, alternate, ctx);
      visit(alternate, read);
      return;
    }
    const inner: Evaluate =
      macro !== undefined
        ? (ev, _ast, ctx) => macro.evaluate(ev, macro as unknown as CelNode, ctx)
        : (regexCall(node, meter, legacyRegex) ?? node.meta.evaluate.bind(node));
    node.evaluate = (ev, ast, ctx) => {
      meter.charge(1);
      const value = inner(ev, ast, ctx);
      if (read) meter.read(value);
      return value;
    };
    if (macro !== undefined) {
      forEachNode(macro, node, (child) => visit(child, false));
    } else if (node.op === 'comprehension') {
      const { iterable, init, step } = node.args as ComprehensionArgs;
      visit(iterable, true);
      visit(init, false);
      visit(step, false);
    } else {
      const reads = READERS.has(node.op);
      forEachNode(node.args, node, (child) => visit(child, reads));
    }
  };
  visit(root, false);
}

/** The nodes inside arrays and plain objects (the argument shapes cel-js uses). */
function forEachNode(value: unknown, sample: CelNode, visit: (node: CelNode) => void): void {
  if (value instanceof sample.constructor) {
    visit(value as CelNode);
  } else if (Array.isArray(value)) {
    for (const item of value) forEachNode(item, sample, visit);
  } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) forEachNode(item, sample, visit);
  }
}

/** The operands of a `matches` call (`s.matches(re)` or `matches(s, re)`), or undefined for any other node. */
function matchesOperands(node: CelNode): CelNode[] | undefined {
  const args = node.args as unknown[];
  if (node.op === 'rcall' && args[0] === 'matches') return [args[1] as CelNode, ...(args[2] as CelNode[])];
  if (node.op === 'call' && args[0] === 'matches') return args[1] as CelNode[];
  return undefined;
}

/** The RE2 evaluator of a `matches` node; one step per character of text and pattern. */
function regexCall(node: CelNode, meter: Meter, legacyRegex: boolean): Evaluate | undefined {
  const operands = matchesOperands(node);
  if (operands === undefined || operands.length !== 2 || (legacyRegex && node.op === 'rcall')) return undefined;
  return (ev, _ast, ctx) => {
    const [text, pattern] = operands.map((operand) => ev.run(operand, ctx));
    if (typeof text !== 'string' || typeof pattern !== 'string') {
      throw new Error(`found no matching overload for matches(${typeof text}, ${typeof pattern})`);
    }
    meter.charge(text.length + pattern.length);
    return compileRegex(pattern).test(text);
  };
}

const regexCache = new Map<string, RE2JS>();
const MAX_CACHED_REGEXES = 100;

/** Compiles an RE2 pattern (cached); throws a message that names RE2 when the pattern is not valid. */
function compileRegex(pattern: string): RE2JS {
  let regex = regexCache.get(pattern);
  if (regex !== undefined) return regex;
  const problem = regexProblem(pattern);
  if (problem !== undefined) throw new Error(problem);
  regex = RE2JS.compile(pattern);
  if (regexCache.size >= MAX_CACHED_REGEXES) regexCache.clear();
  regexCache.set(pattern, regex);
  return regex;
}

function regexProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^error parsing regexp: /, '');
    return `invalid regular expression ${JSON.stringify(pattern)} in matches() (RE2 syntax: no lookaround or backreferences): ${reason}`;
  }
}

/** The string literals given as patterns to `matches`. */
function regexLiterals(root: CelNode): string[] {
  const found: string[] = [];
  walk(root, (node) => {
    const pattern = matchesOperands(node)?.[1];
    if (pattern?.op === 'value' && typeof pattern.args === 'string') found.push(pattern.args);
  });
  return found;
}

/** How deep comprehensions nest: one inside the body (step) of another counts one more; one in its range does not. */
function comprehensionDepth(node: CelNode): number {
  const { alternate } = node.meta;
  if (alternate !== undefined) return comprehensionDepth(alternate);
  if (node.op === 'comprehension') {
    const { iterable, init, step } = node.args as ComprehensionArgs;
    return Math.max(1 + comprehensionDepth(step), comprehensionDepth(iterable), comprehensionDepth(init));
  }
  let deepest = 0;
  forEachChild(node, (child) => (deepest = Math.max(deepest, comprehensionDepth(child))));
  return deepest;
}

/** Visits every node once. */
function walk(root: CelNode, visit: (node: CelNode) => void): void {
  const seen = new Set<CelNode>();
  const go = (node: CelNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    visit(node);
    forEachChild(node, (child) => go(child));
  };
  go(root);
}

/** A node's children as evaluation sees them. */
function forEachChild(node: CelNode, visit: (child: CelNode) => void): void {
  const { alternate, macro } = node.meta;
  if (alternate !== undefined) {
    visit(alternate);
  } else if (macro !== undefined) {
    forEachNode(macro, node, (child) => child !== node && visit(child));
  } else if (node.op === 'comprehension') {
    const { iterable, init, step } = node.args as ComprehensionArgs;
    [iterable, init, step].forEach(visit);
  } else {
    forEachNode(node.args, node, visit);
  }
}

function parseLimitMessage(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Exceeded maxDepth\b/.test(message)) {
    return `the expression nests deeper than the limit of ${EXPRESSION_LIMITS.depth} levels`;
  }
  if (/^Exceeded maxAstNodes\b/.test(message)) {
    return `the expression has more than the limit of ${EXPRESSION_LIMITS.nodes} nodes (operators, names and values)`;
  }
  return undefined;
}
