/**
 * Variable extraction from the Handlebars AST, so runbook validation can check that every variable a
 * message uses will be available before the message is ever rendered.
 */
import type {} from 'handlebars';
import { HELPER_NAMES } from './helpers.js';

type Node = hbs.AST.Node;

/** Something `variablesOf` can read: a parsed program, or an object holding one (a compiled template). */
export type HasAst = hbs.AST.Program | { ast: hbs.AST.Program };

const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
const SCOPE_HELPERS = new Set(['each', 'with']);
const HELPERS = new Set([...BUILTIN_HELPERS, ...HELPER_NAMES]);

/**
 * Every context path a template uses (`facts.recordsAffected`, `params.service`), fact names used through
 * `{{fact "name"}}` as `facts.<name>`, and the paths of the partials it calls when `partials` is given.
 * Paths inside `each`/`with` blocks are relative to the item and are left out, unless they reach the root.
 */
export function variablesOf(template: HasAst, partials?: ReadonlyMap<string, HasAst>): string[] {
  const found = new Set<string>();
  const seenPartials = new Set<string>();
  const visit = (node: Node | undefined, scope: number): void => {
    if (node === undefined) return;
    switch (node.type) {
      case 'Program':
        for (const statement of (node as hbs.AST.Program).body) visit(statement, scope);
        return;
      case 'MustacheStatement':
      case 'SubExpression':
      case 'BlockStatement': {
        const call = node as hbs.AST.MustacheStatement | hbs.AST.BlockStatement;
        visitCall(call.path, call.params, call.hash, scope);
        if (node.type === 'BlockStatement') {
          const block = node as hbs.AST.BlockStatement;
          const helper = block.path.type === 'PathExpression' ? block.path.original : '';
          visit(block.program, SCOPE_HELPERS.has(helper) ? scope + 1 : scope);
          visit(block.inverse, scope);
        }
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement': {
        const partial = node as hbs.AST.PartialStatement;
        const name = partial.name.type === 'PathExpression' ? partial.name.original : '';
        for (const param of partial.params) visit(param, scope);
        visitHash(partial.hash, scope);
        const body = partials?.get(name);
        if (body !== undefined && !seenPartials.has(name)) {
          seenPartials.add(name);
          visit(astOf(body), scope);
        }
        return;
      }
      case 'PathExpression':
        recordPath(node as hbs.AST.PathExpression, scope);
        return;
      default:
        return;
    }
  };
  const visitHash = (hash: hbs.AST.Hash | undefined, scope: number): void => {
    for (const pair of hash?.pairs ?? []) visit(pair.value, scope);
  };
  const visitCall = (path: Node, params: hbs.AST.Expression[], hash: hbs.AST.Hash, scope: number): void => {
    const name = path.type === 'PathExpression' ? (path as hbs.AST.PathExpression).original : '';
    const isHelper = HELPERS.has(name) || params.length > 0 || (hash?.pairs.length ?? 0) > 0;
    if (!isHelper) visit(path, scope);
    else if (path.type === 'SubExpression') visit(path, scope);
    const [first] = params;
    if (name === 'fact' && first?.type === 'StringLiteral')
      found.add(`facts.${(first as hbs.AST.StringLiteral).value}`);
    for (const param of params) visit(param, scope);
    visitHash(hash, scope);
  };
  const recordPath = (path: hbs.AST.PathExpression, scope: number): void => {
    if (path.data) {
      if (path.parts[0] === 'root' && path.parts.length > 1) found.add(path.parts.slice(1).join('.'));
      return;
    }
    if (path.parts.length === 0) return;
    if (scope === 0 || path.depth >= scope) found.add(path.parts.join('.'));
  };
  visit(astOf(template), 0);
  return [...found].sort();
}

function astOf(template: HasAst): hbs.AST.Program {
  return 'ast' in template ? template.ast : template;
}
