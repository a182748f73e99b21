/**
 * Rendering a message for one channel: every part rendered from one guarded context, webhook JSON checked,
 * and a fingerprint over the rendered bytes that approvals bind to.
 */
import { sha256Hex } from '../domain/sha256.js';
import { CHANNEL_PARTS, isChannel, isHtmlPart, isPublicChannel, type TemplateCatalog } from './catalog.js';
import { toRenderData, type MessageContext } from './context.js';
import { TemplateError } from './errors.js';
import { filterUnsafeUrls } from './safe-urls.js';

/** The rendered parts of one message on one channel and the fingerprint of exactly those bytes. */
export interface RenderedMessage {
  parts: Record<string, string>;
  /** `sha256:<hex>` over the parts in the channel's fixed part order. */
  fingerprint: string;
}

/** Renders `message` for `channel`; throws a `TemplateError` naming the template file and variable. */
export function renderMessage(
  catalog: TemplateCatalog,
  message: string,
  channel: string,
  context: MessageContext,
): RenderedMessage {
  const channels = catalog.messages.get(message);
  if (channels === undefined) {
    const known = [...catalog.messages.keys()].join(', ');
    throw new TemplateError('UNKNOWN_MESSAGE', `no message "${message}" (known: ${known})`);
  }
  const templates = isChannel(channel) ? channels.get(channel) : undefined;
  if (!isChannel(channel) || templates === undefined) {
    const known = [...channels.keys()].join(', ');
    throw new TemplateError('UNKNOWN_CHANNEL', `message "${message}" has no channel "${channel}" (has: ${known})`);
  }
  // The status page is public: its templates see no incident id, title or runbook.
  const data = toRenderData(context, isPublicChannel(channel));
  const parts: Record<string, string> = {};
  for (const part of Object.keys(CHANNEL_PARTS[channel])) {
    const template = templates.get(part);
    if (template === undefined) continue;
    const partials = isHtmlPart(part) ? catalog.partials.html : catalog.partials.text;
    let text: string;
    try {
      text = template.render(data, { partials });
    } catch (error) {
      throw asTemplateError(error, template.file);
    }
    if (channel === 'webhook') checkJson(text, template.file);
    // Escaping keeps a value inside its attribute, but `javascript:` needs no quote: filter link schemes too.
    if (isHtmlPart(part)) text = filterUnsafeUrls(text);
    if (part === 'subject') text = singleLine(text, template.file);
    if (channel === 'statuspage' && part === 'state') text = incidentState(text, template.file);
    parts[part] = text;
  }
  return { parts, fingerprint: fingerprintOf(channel, parts) };
}

/** The fingerprint of rendered parts: SHA-256 over `[part, text]` pairs in the channel's part order. */
export function fingerprintOf(channel: keyof typeof CHANNEL_PARTS, parts: Record<string, string>): string {
  const ordered = Object.keys(CHANNEL_PARTS[channel])
    .filter((part) => parts[part] !== undefined)
    .map((part) => [part, parts[part]]);
  return `sha256:${sha256Hex(JSON.stringify(ordered))}`;
}

/** A subject is one line: the file's final newline is dropped, and a line break inside is an error (header injection). */
function singleLine(text: string, file: string): string {
  const trimmed = text.trim();
  if (/[\r\n]/.test(trimmed)) {
    throw new TemplateError('INVALID_VALUE', 'rendered subject spans more than one line', file);
  }
  return trimmed;
}

/** A status page's `state` part is one word, `open` or `resolved`: what the page shows the incident as. */
function incidentState(text: string, file: string): string {
  const state = text.trim();
  if (state !== 'open' && state !== 'resolved') {
    throw new TemplateError(
      'INVALID_VALUE',
      `rendered state is ${JSON.stringify(state.slice(0, 40))}, not open or resolved`,
      file,
    );
  }
  return state;
}

function checkJson(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TemplateError('INVALID_JSON', `rendered webhook payload is not valid JSON: ${reason}`, file);
  }
}

function asTemplateError(error: unknown, file: string): TemplateError {
  if (error instanceof TemplateError) return error.inFile(file);
  const message = error instanceof Error ? error.message : String(error);
  const partial = /^The partial (\S+) could not be found/.exec(message);
  if (partial !== null) return new TemplateError('MISSING_PARTIAL', `partial "${partial[1] ?? ''}" not found`, file);
  // Strict-mode misses on non-object values (e.g. `{{params.service.name}}` where service is a string).
  const strict = /^"([^"]+)" not defined in (.*?)(?: - (\d+):(\d+))?$/.exec(message);
  if (strict !== null) {
    const at = strict[3] === undefined ? '' : ` at ${strict[3]}:${Number(strict[4]) + 1}`;
    return new TemplateError('MISSING_VARIABLE', `variable "${strict[1] ?? ''}" is not defined${at}`, file, strict[1]);
  }
  // A path that goes on past a string or number (`{{params.organisation.name}}`): strict mode's `in` test.
  const scalar = /^Cannot use 'in' operator to search for '([^']*)' in /.exec(message);
  if (scalar !== null) {
    const name = scalar[1] ?? '';
    return new TemplateError(
      'MISSING_VARIABLE',
      `variable "${name}" is not defined: its parent is not an object`,
      file,
      name,
    );
  }
  return new TemplateError('RENDER_FAILED', message, file);
}
