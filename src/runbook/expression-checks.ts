/**
 * Expression checks at validation time: bare `when:` conditions and `${{ }}` templates in any string are
 * type-checked against the runbook's declarations, and secret params are kept to whole interpolations
 * in the fields that hand them to activities.
 */
import { checkExpression, scanTemplate, secretParamName, secretParamsMentioned } from '../domain/expressions.js';
import type { RunbookDeclarations } from './declarations.js';
import type { DocPath } from '../diagnostics/located-issue.js';

/** Receives one problem at a document path. */
export type Report = (path: DocPath, message: string) => void;

const NAMESPACES = 'params, facts, decisions, steps and incident';

/** Checks a bare CEL condition (`when:`), which must be true or false. */
export function checkCondition(decl: RunbookDeclarations, expression: string, path: DocPath, report: Report): void {
  if (expression.trim() === '') {
    report(path, '`when` is empty: write a condition, or remove `when`');
    return;
  }
  if (expression.includes('${{')) {
    report(path, '`when` holds a bare expression: write it without ${{ }}');
    return;
  }
  const secrets = secretParamsMentioned(decl.expressions, expression);
  if (secrets.length > 0) {
    const names = secrets.map((name) => `\`${name}\``).join(', ');
    report(
      path,
      `secret param ${names} cannot be used in \`when\`: a secret is only ever interpolated whole into \`with\``,
    );
    return;
  }
  const result = checkExpression(decl.env, expression);
  if (!result.ok) {
    report(path, explain(decl, expression, result.message));
    return;
  }
  if (result.type !== 'bool' && result.type !== 'dyn') {
    report(path, `\`when\` must be true or false, but \`${expression}\` is ${celTypeName(result.type)}`);
  }
}

/** Checks every `${{ }}` in every string inside a value (object keys are never interpolated). */
export function checkTemplates(
  decl: RunbookDeclarations,
  value: unknown,
  path: DocPath,
  secretsAllowed: boolean,
  report: Report,
): void {
  if (typeof value === 'string') {
    checkTemplateString(decl, value, path, secretsAllowed, report);
  } else if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => checkTemplates(decl, item, [...path, index], secretsAllowed, report));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) checkTemplates(decl, item, [...path, key], secretsAllowed, report);
  }
}

function checkTemplateString(
  decl: RunbookDeclarations,
  text: string,
  path: DocPath,
  secretsAllowed: boolean,
  report: Report,
): void {
  const scan = scanTemplate(text);
  if (!scan.ok) {
    report(path, scan.message);
    return;
  }
  for (const { expression } of scan.parts) {
    const secret = secretParamName(decl.expressions, expression);
    if (secret !== undefined) {
      if (!secretsAllowed) {
        report(
          path,
          `secret param \`${secret}\` cannot appear here: secrets are only interpolated into \`with\` of action and runbook steps`,
        );
      }
      continue;
    }
    const mentioned = secretParamsMentioned(decl.expressions, expression);
    if (mentioned.length > 0) {
      const [name] = mentioned;
      report(path, `secret param \`${name}\` may only be interpolated alone, as \${{ params.${name} }}`);
      continue;
    }
    const result = checkExpression(decl.env, expression);
    if (!result.ok) report(path, explain(decl, expression, result.message));
  }
}

const REFERENCE =
  /\b(params|facts|decisions|steps|incident)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:"([^"]*)"|'([^']*)')\s*\])/g;
const LABEL: Record<string, string> = {
  params: 'param',
  facts: 'fact',
  decisions: 'decision',
  steps: 'step',
  incident: 'incident field',
};

/** Rewrites the CEL checker's message in the runbook's terms: which declared name is unknown, and why. */
function explain(decl: RunbookDeclarations, expression: string, message: string): string {
  const known: Record<string, string[]> = {
    params: Object.keys(decl.expressions.params),
    facts: Object.keys(decl.expressions.facts),
    decisions: Object.keys(decl.expressions.decisions),
    steps: [...decl.stepIds],
    incident: ['id', 'severity', 'startedAt'],
  };
  for (const match of expression.matchAll(REFERENCE)) {
    const section = match[1] as string;
    const name = match[2] ?? match[3] ?? match[4] ?? '';
    const names = known[section] ?? [];
    if (names.includes(name)) continue;
    const hyphenated = /^steps\s*\.\s*([A-Za-z][A-Za-z0-9_-]*)/.exec(expression.slice(match.index))?.[1];
    if (section === 'steps' && hyphenated !== undefined && decl.stepIds.has(hyphenated)) {
      return `in \`${expression}\`: step ids with hyphens need index syntax: steps["${hyphenated}"]`;
    }
    const list = names.length > 0 ? names.join(', ') : 'none';
    return `in \`${expression}\`: unknown ${LABEL[section] ?? section} \`${name}\` (declared: ${list})`;
  }
  const variable = /^Unknown variable: (\S+)/.exec(message)?.[1];
  if (variable !== undefined)
    return `in \`${expression}\`: unknown name \`${variable}\`: expressions can use ${NAMESPACES}`;
  return `invalid expression \`${expression}\`: ${message}`;
}

function celTypeName(type: string): string {
  if (type === 'google.protobuf.Timestamp') return 'a timestamp';
  if (type === 'google.protobuf.Duration') return 'a duration';
  return `of type ${type}`;
}
