/**
 * Template discovery: `templates/<message>/<channel>.<part>.hbs` and `templates/partials/<name>.hbs`,
 * parsed up front so that syntax errors surface at load time with their line and column.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { TemplateProblem } from './errors.js';
import { registerHelpers } from './helpers.js';
import { useStrictPaths } from './strict-paths.js';

/** The parts each channel renders, in fingerprint order, and whether each is required. */
export const CHANNEL_PARTS = {
  email: { subject: true, text: true, html: false },
  webhook: { json: true },
  statuspage: { md: true, state: false },
  chat: { text: true },
} as const satisfies Record<string, Record<string, boolean>>;

/** A channel a message can be rendered for. */
export type Channel = keyof typeof CHANNEL_PARTS;

/** Whether a name is a known channel. */
export function isChannel(name: string): name is Channel {
  return Object.hasOwn(CHANNEL_PARTS, name);
}

/** One parsed and compiled template, with its source location for messages. */
export interface CompiledTemplate {
  file: string;
  /** The Handlebars source, embedded into plans so runs never see later edits. */
  source: string;
  ast: hbs.AST.Program;
  render: HandlebarsTemplateDelegate;
}

/** The partial sets used at render time: one compiled with escaping (HTML parts), one without. */
export interface PartialSets {
  text: Record<string, HandlebarsTemplateDelegate>;
  html: Record<string, HandlebarsTemplateDelegate>;
  asts: Map<string, hbs.AST.Program>;
  sources: Map<string, string>;
}

/** Every message found, by message, channel and part, plus partials and the problems found loading. */
export interface TemplateCatalog {
  messages: Map<string, Map<Channel, Map<string, CompiledTemplate>>>;
  partials: PartialSets;
  problems: TemplateProblem[];
}

/** The folder of a template directory that holds the post-mortem templates, not a message. */
export const POSTMORTEM_DIR = 'postmortem';
/** The folder of Firebreak's own notices (`src/notices/render.ts`): not messages a runbook sends. */
export const NOTICES_DIR = 'notices';

/** A new isolated Handlebars environment with the house helpers; never the global one. */
export function createEnvironment(): typeof Handlebars {
  const env = Handlebars.create();
  useStrictPaths(env);
  registerHelpers(env);
  return env;
}

/** Whether what a channel publishes is public (the status page): its templates cannot name the incident. */
export function isPublicChannel(channel: string): boolean {
  return channel === 'statuspage';
}

/** Whether a part is HTML, the only kind that is escaped. */
export function isHtmlPart(part: string): boolean {
  return part === 'html';
}

/** Loads every template under `dir`. Problems are collected, never thrown; files with problems are left out. */
export async function loadTemplates(dir: string): Promise<TemplateCatalog> {
  const env = createEnvironment();
  const catalog: TemplateCatalog = {
    messages: new Map(),
    partials: { text: {}, html: {}, asts: new Map(), sources: new Map() },
    problems: [],
  };
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    // Post-mortem documents and notices have their own templates and renderers: not messages.
    if (entry.name === POSTMORTEM_DIR || entry.name === NOTICES_DIR) continue;
    const folder = path.join(dir, entry.name);
    const files = (await readdir(folder)).filter((name) => name.endsWith('.hbs')).sort();
    if (entry.name === 'partials') {
      for (const name of files) await loadPartial(env, catalog, path.join(folder, name));
    } else {
      for (const name of files) await loadPart(env, catalog, entry.name, path.join(folder, name));
    }
  }
  checkRequiredParts(catalog, dir);
  return catalog;
}

/**
 * Loads several template directories into one catalog. A message or partial defined in more than one
 * directory is a problem (which copy would a run use?); a missing directory is a problem too.
 */
export async function loadTemplateDirs(dirs: readonly string[]): Promise<TemplateCatalog> {
  const merged: TemplateCatalog = {
    messages: new Map(),
    partials: { text: {}, html: {}, asts: new Map(), sources: new Map() },
    problems: [],
  };
  const origin = new Map<string, string>();
  for (const dir of dirs) {
    let catalog: TemplateCatalog;
    try {
      catalog = await loadTemplates(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such directory' : error instanceof Error ? error.message : String(error);
      merged.problems.push({ file: dir, line: 1, col: 1, message: `cannot read templates: ${reason}` });
      continue;
    }
    merged.problems.push(...catalog.problems);
    for (const [message, channels] of catalog.messages) {
      const first = origin.get(`message:${message}`);
      if (first !== undefined) {
        const file = path.join(dir, message);
        merged.problems.push({ file, line: 1, col: 1, message: `message "${message}" is also defined in ${first}` });
        continue;
      }
      origin.set(`message:${message}`, path.join(dir, message));
      merged.messages.set(message, channels);
    }
    for (const [name, ast] of catalog.partials.asts) {
      const file = path.join(dir, 'partials', `${name}.hbs`);
      const first = origin.get(`partial:${name}`);
      if (first !== undefined) {
        merged.problems.push({ file, line: 1, col: 1, message: `partial "${name}" is also defined in ${first}` });
        continue;
      }
      origin.set(`partial:${name}`, file);
      merged.partials.asts.set(name, ast);
      merged.partials.sources.set(name, catalog.partials.sources.get(name) ?? '');
      const text = catalog.partials.text[name];
      const html = catalog.partials.html[name];
      if (text) merged.partials.text[name] = text;
      if (html) merged.partials.html[name] = html;
    }
  }
  return merged;
}

async function loadPartial(env: typeof Handlebars, catalog: TemplateCatalog, file: string): Promise<void> {
  const parsed = await parseFile(env, catalog, file);
  if (parsed === undefined) return;
  const { ast, source } = parsed;
  const name = path.basename(file, '.hbs');
  catalog.partials.asts.set(name, ast);
  catalog.partials.sources.set(name, source);
  catalog.partials.text[name] = env.compile(ast, { strict: true, noEscape: true });
  catalog.partials.html[name] = env.compile(ast, { strict: true, noEscape: false });
}

async function loadPart(
  env: typeof Handlebars,
  catalog: TemplateCatalog,
  message: string,
  file: string,
): Promise<void> {
  const [channel, part, ...rest] = path.basename(file, '.hbs').split('.');
  const problem = (text: string): void => void catalog.problems.push({ file, line: 1, col: 1, message: text });
  if (channel === undefined || part === undefined || rest.length > 0) {
    return problem('expected a file named <channel>.<part>.hbs');
  }
  if (!isChannel(channel))
    return problem(`unknown channel "${channel}" (known: ${Object.keys(CHANNEL_PARTS).join(', ')})`);
  if (!Object.hasOwn(CHANNEL_PARTS[channel], part)) {
    return problem(
      `channel ${channel} has no part "${part}" (parts: ${Object.keys(CHANNEL_PARTS[channel]).join(', ')})`,
    );
  }
  const parsed = await parseFile(env, catalog, file);
  if (parsed === undefined) return;
  const { ast, source } = parsed;
  const render = env.compile(ast, { strict: true, noEscape: !isHtmlPart(part) });
  const channels = catalog.messages.get(message) ?? new Map<Channel, Map<string, CompiledTemplate>>();
  catalog.messages.set(message, channels);
  const parts = channels.get(channel) ?? new Map<string, CompiledTemplate>();
  channels.set(channel, parts);
  parts.set(part, { file, source, ast, render });
}

function checkRequiredParts(catalog: TemplateCatalog, dir: string): void {
  for (const [message, channels] of catalog.messages) {
    for (const [channel, parts] of channels) {
      for (const [part, required] of Object.entries(CHANNEL_PARTS[channel])) {
        if (required && !parts.has(part)) {
          const file = path.join(dir, message, `${channel}.${part}.hbs`);
          catalog.problems.push({ file, line: 1, col: 1, message: `missing required part ${channel}.${part}` });
        }
      }
    }
  }
}

async function parseFile(
  env: typeof Handlebars,
  catalog: TemplateCatalog,
  file: string,
): Promise<{ ast: hbs.AST.Program; source: string } | undefined> {
  const source = await readFile(file, 'utf8');
  try {
    return { ast: env.parse(source), source };
  } catch (error) {
    catalog.problems.push({ file, ...parseErrorLocation(error, source) });
    return undefined;
  }
}

/**
 * The location and message of a Handlebars parse error. Semantic errors carry `lineNumber` and a 0-based
 * `column`; the grammar's errors only print "Parse error on line N:" and a caret under a snippet of the
 * input, from which the column is recovered by finding the snippet on that line.
 */
export function parseErrorLocation(error: unknown, source: string): { line: number; col: number; message: string } {
  const raw = error instanceof Error ? error.message : String(error);
  const located = error as { lineNumber?: unknown; column?: unknown };
  if (typeof located.lineNumber === 'number' && typeof located.column === 'number') {
    return { line: located.lineNumber, col: located.column + 1, message: raw.replace(/ - \d+:\d+$/, '') };
  }
  const match = /^Parse error on line (\d+):\n(.*)\n(-*)\^\n([\s\S]*)$/.exec(raw);
  if (match === null) return { line: 1, col: 1, message: raw };
  const line = Number(match[1]);
  const before = (match[2] ?? '').slice(0, (match[3] ?? '').length).replace(/^\.\.\./, '');
  const text = source.split('\n')[line - 1] ?? '';
  let col = 1;
  for (let k = before.length; k > 0; k--) {
    const at = text.lastIndexOf(before.slice(-k));
    if (at >= 0) {
      col = at + k + 1;
      break;
    }
  }
  return { line, col, message: `parse error: ${(match[4] ?? '').trim()}` };
}
