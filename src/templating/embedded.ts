/**
 * Messages embedded in plans: `embedMessage` copies one message's template sources (and the partials they
 * call) out of a loaded catalog when a runbook is compiled; `renderEmbedded` renders them at run time,
 * compiling each embedded set once per process. A run therefore renders with the templates it started
 * with, whatever happens to `templates/` later.
 */
import type {} from 'handlebars';
import {
  messageFingerprint,
  type MessageContext,
  type RenderMessageResult,
  type RenderedParts,
} from '../domain/notify.js';
import type { MessageTemplates, NotifyChannel } from '../domain/plan.js';
import { sha256Hex } from '../domain/sha256.js';
import {
  createEnvironment,
  isChannel,
  isHtmlPart,
  type Channel,
  type CompiledTemplate,
  type TemplateCatalog,
} from './catalog.js';
import { TemplateError } from './errors.js';
import { renderMessage } from './render.js';
import { variablesOf } from './variables.js';

/** Why a message cannot be embedded: no such message, or it lacks a channel the step sends through. */
export interface EmbedProblem {
  /** Which argument is wrong: the message name or one channel. */
  field: 'message' | 'channel';
  channel?: NotifyChannel;
  message: string;
}

/** Copies `message`'s templates for `channels` out of the catalog, or lists every problem. */
export function embedMessage(
  catalog: TemplateCatalog,
  message: string,
  channels: readonly NotifyChannel[],
): { ok: true; value: MessageTemplates } | { ok: false; problems: EmbedProblem[] } {
  const found = catalog.messages.get(message);
  if (found === undefined) {
    const known = [...catalog.messages.keys()].join(', ') || 'none';
    return {
      ok: false,
      problems: [{ field: 'message', message: `unknown message \`${message}\` (templates: ${known})` }],
    };
  }
  const problems: EmbedProblem[] = [];
  const templates: MessageTemplates = {
    message,
    channels: {},
    files: {},
    partials: {},
    variables: [],
    contentHash: '',
  };
  const variables = new Set<string>();
  for (const channel of channels) {
    const parts = isChannel(channel) ? found.get(channel) : undefined;
    if (parts === undefined) {
      const has = [...found.keys()].join(', ') || 'none';
      problems.push({
        field: 'channel',
        channel,
        message: `message \`${message}\` has no templates for channel \`${channel}\` (it has: ${has}); add templates/${message}/${channel}.<part>.hbs`,
      });
      continue;
    }
    templates.channels[channel] = {};
    templates.files[channel] = {};
    for (const [part, template] of parts) {
      templates.channels[channel][part] = template.source;
      templates.files[channel][part] = template.file;
      for (const name of variablesOf(template, catalog.partials.asts)) variables.add(name);
      for (const partial of partialsUsed(template.ast, catalog.partials.asts)) {
        const source = catalog.partials.sources.get(partial);
        if (source !== undefined) templates.partials[partial] = source;
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  templates.variables = [...variables].sort();
  templates.contentHash = contentHashOf(templates);
  return { ok: true, value: templates };
}

/** The hash of an embedded message's sources (files and variables are derived, so left out). */
export function contentHashOf(templates: Pick<MessageTemplates, 'message' | 'channels' | 'partials'>): string {
  const channels = Object.entries(templates.channels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([channel, parts]) => [channel, Object.entries(parts ?? {}).sort(([a], [b]) => a.localeCompare(b))]);
  const partials = Object.entries(templates.partials).sort(([a], [b]) => a.localeCompare(b));
  return `sha256:${sha256Hex(JSON.stringify([templates.message, channels, partials]))}`;
}

const compiled = new Map<string, TemplateCatalog>();
const MAX_COMPILED = 256;

/** Renders every channel of an embedded message; data problems come back as values, naming the variable. */
export function renderEmbedded(
  templates: MessageTemplates,
  channels: readonly NotifyChannel[],
  context: MessageContext,
): RenderMessageResult {
  const catalog = compileEmbedded(templates);
  const rendered: RenderedParts[] = [];
  try {
    for (const channel of channels) {
      const { parts, fingerprint } = renderMessage(catalog, templates.message, channel, context);
      rendered.push({ channel, parts, fingerprint });
    }
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return {
      ok: false,
      code: error.code,
      message: error.message,
      ...(error.variable === undefined ? {} : { variable: error.variable }),
      ...(error.file === undefined ? {} : { file: error.file }),
    };
  }
  return { ok: true, channels: rendered, fingerprint: messageFingerprint(rendered, sha256Hex) };
}

/** Compiles an embedded message into a one-message catalog, once per content hash. */
export function compileEmbedded(templates: MessageTemplates): TemplateCatalog {
  const cached = compiled.get(templates.contentHash);
  if (cached !== undefined) return cached;
  const env = createEnvironment();
  const catalog: TemplateCatalog = {
    messages: new Map(),
    partials: { text: {}, html: {}, asts: new Map(), sources: new Map() },
    problems: [],
  };
  for (const [name, source] of Object.entries(templates.partials)) {
    const ast = env.parse(source);
    catalog.partials.asts.set(name, ast);
    catalog.partials.sources.set(name, source);
    catalog.partials.text[name] = env.compile(ast, { strict: true, noEscape: true });
    catalog.partials.html[name] = env.compile(ast, { strict: true, noEscape: false });
  }
  const byChannel = new Map<Channel, Map<string, CompiledTemplate>>();
  for (const [channel, parts] of Object.entries(templates.channels)) {
    if (!isChannel(channel) || parts === undefined) continue;
    const compiledParts = new Map<string, CompiledTemplate>();
    for (const [part, source] of Object.entries(parts)) {
      const file = templates.files[channel]?.[part] ?? `templates/${templates.message}/${channel}.${part}.hbs`;
      const ast = env.parse(source);
      const render = env.compile(ast, { strict: true, noEscape: !isHtmlPart(part) });
      compiledParts.set(part, { file, source, ast, render });
    }
    byChannel.set(channel, compiledParts);
  }
  catalog.messages.set(templates.message, byChannel);
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(templates.contentHash, catalog);
  return catalog;
}

/** The names of the partials a template calls, transitively. */
function partialsUsed(ast: hbs.AST.Program, partials: ReadonlyMap<string, hbs.AST.Program>): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const record = node as { type?: unknown; name?: { type?: unknown; original?: unknown } };
    if ((record.type === 'PartialStatement' || record.type === 'PartialBlockStatement') && record.name) {
      const name = record.name.type === 'PathExpression' ? String(record.name.original) : '';
      if (name !== '' && !found.has(name)) {
        found.add(name);
        visit(partials.get(name));
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') visit(value);
  };
  visit(ast);
  return [...found].sort();
}
