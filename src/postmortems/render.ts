/**
 * Rendering a post-mortem to Markdown, HTML or JSON. Markdown and HTML come from the Handlebars templates
 * in `templates/postmortem/`, compiled in the house's strict environment (a missing variable throws); JSON
 * is the document itself with its keys sorted, so the same post-mortem always exports the same bytes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { JsonValue } from '../domain/plan.js';
import { shippedTemplates } from '../package-root.js';
import { createEnvironment } from '../templating/index.js';
import { filterUnsafeUrls } from '../templating/safe-urls.js';
import { sectionsInOrder, type WrittenSections } from './render-sections.js';
import { viewOf, type TemplateFormat } from './render-view.js';
import type { NewPostmortem } from './types.js';

/** The formats a post-mortem exports to. */
export const POSTMORTEM_FORMATS = ['md', 'html', 'json'] as const;
export type PostmortemFormat = (typeof POSTMORTEM_FORMATS)[number];

/** The compiled post-mortem templates, one per templated format. */
export type PostmortemTemplates = Readonly<Record<TemplateFormat, HandlebarsTemplateDelegate>>;

/**
 * Compiles `postmortem.md.hbs` (unescaped: values are escaped for Markdown before they reach it) and
 * `postmortem.html.hbs` (escaped) from `dir`. Throws a `FirebreakError` naming the file when one is missing
 * or does not parse.
 */
export function loadPostmortemTemplates(dir: string = defaultTemplateDir()): PostmortemTemplates {
  const env = createEnvironment();
  const compile = (format: TemplateFormat): HandlebarsTemplateDelegate => {
    const file = path.join(dir, `postmortem.${format}.hbs`);
    try {
      const ast = env.parse(readFileSync(file, 'utf8'));
      return env.compile(ast, { strict: true, noEscape: format === 'md' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new FirebreakError(ErrorCode.InvalidInput, `Post-mortem template ${file}: ${reason}`);
    }
  };
  return { md: compile('md'), html: compile('html') };
}

let shipped: PostmortemTemplates | undefined;

/**
 * Renders a post-mortem with the sections people have written (an empty one shows its prompt). Times are
 * shown in `doc.facts.timeZone`. `templates` defaults to the ones shipped in `templates/postmortem/`.
 */
export function renderPostmortem(
  doc: NewPostmortem,
  sections: WrittenSections,
  format: PostmortemFormat,
  templates?: PostmortemTemplates,
): string {
  if (format === 'json') return `${stableJson(jsonDocument(doc, sections))}\n`;
  if (format !== 'md' && format !== 'html') {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `Unknown post-mortem format ${JSON.stringify(format)} (formats: ${POSTMORTEM_FORMATS.join(', ')})`,
    );
  }
  try {
    Intl.DateTimeFormat('en-GB', { timeZone: doc.facts.timeZone }).resolvedOptions();
  } catch {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `facts.timeZone: unknown time zone ${JSON.stringify(doc.facts.timeZone)} in the post-mortem of ${doc.incidentId}`,
    );
  }
  const compiled = templates ?? (shipped ??= loadPostmortemTemplates());
  let text: string;
  try {
    text = compiled[format](viewOf(doc, sections, format));
  } catch (error) {
    // Strict mode: a document without a field the template shows (one from an older release) names it.
    const reason = error instanceof Error ? error.message : String(error);
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `Cannot render the post-mortem of ${doc.incidentId} as ${format}: ${reason}`,
    );
  }
  // As for messages: escaping keeps a value inside its attribute, but `javascript:` needs no quote.
  return format === 'html' ? filterUnsafeUrls(text) : text;
}

/** The JSON export: the drafted document and every section, written or not (null while empty). */
function jsonDocument(doc: NewPostmortem, written: WrittenSections): JsonValue {
  const sections = Object.fromEntries(sectionsInOrder(written).map((s) => [s.id, s.text ?? null]));
  return { ...(JSON.parse(JSON.stringify(doc)) as Record<string, JsonValue>), sections };
}

/** JSON with every object's keys sorted (arrays keep their order), two-space indented. */
export function stableJson(value: JsonValue): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties: a key such as `__proto__` stays a key.
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key] as JsonValue)]),
  );
}

/** `templates/postmortem/` of the package. */
function defaultTemplateDir(): string {
  return shippedTemplates('postmortem');
}
