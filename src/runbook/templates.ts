/** Recognising `${{ }}` templates in authored values, without evaluating them. */
import { scanTemplate } from '../domain/expressions.js';

/** Whether a value is a string holding a `${{`, so its final value is only known at run time. */
export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && value.includes('${{');
}

/** When a string is exactly one `${{ expr }}` and nothing else, returns `expr`. */
export function wholeExpression(text: string): string | undefined {
  const scan = scanTemplate(text);
  if (!scan.ok || scan.parts.length !== 1) return undefined;
  const [only] = scan.parts;
  return only && only.start === 0 && only.end === text.length ? only.expression : undefined;
}

/** When a string is exactly `${{ params.<name> }}`, returns the param name. */
export function wholeParamReference(text: string): string | undefined {
  const expression = wholeExpression(text);
  return expression === undefined ? undefined : /^params\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression)?.[1];
}
