/**
 * The status page's Markdown: a deliberately tiny subset converted to safe HTML (everything is escaped
 * first; only headings, paragraphs, lists, bold/italic and http(s) links are produced, never raw HTML), the
 * same subset as plain text for the feed's `content_text`, and the title an update gives its incident.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// Matched on already-escaped text, so the URL cannot contain a quote or angle bracket.
const LINK = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/gi;
const HEADING = /^\s*(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** An update split into its title (its first Markdown heading, approved with it) and the rest. */
export interface TitledMarkdown {
  /** The heading's text as written (Markdown), or undefined when the update has no heading. */
  title: string | undefined;
  /** The update without that heading line. */
  body: string;
}

/** Splits off the first heading: pages show it as the update's own heading, above the body. */
export function splitTitle(markdown: string): TitledMarkdown {
  const lines = markdown.split(/\r?\n/);
  const at = lines.findIndex((line) => HEADING.test(line) && /\S/.test(HEADING.exec(line)?.[2] ?? ''));
  if (at < 0) return { title: undefined, body: markdown };
  const title = HEADING.exec(lines[at] ?? '')?.[2] ?? '';
  return { title, body: [...lines.slice(0, at), ...lines.slice(at + 1)].join('\n').trim() };
}

/** The title an update gives its incident, as plain text: its first heading, or `Incident update`. */
export function titleOf(markdown: string | undefined): string {
  const title = markdown === undefined ? undefined : splitTitle(markdown).title;
  return title === undefined ? 'Incident update' : inlineText(title);
}

/**
 * Converts the supported Markdown subset to HTML; any HTML in the input comes out as visible text. The
 * highest heading written becomes `<h{topLevel}>` and the others keep their distance below it, so the
 * page's heading order has no gaps whatever levels the template used.
 */
export function markdownToHtml(markdown: string, topLevel = 2): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined;
  const shift = topLevel - highestHeading(markdown);
  const flush = (): void => {
    if (paragraph.length > 0) out.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
    if (list) out.push(`<${list.tag}>${list.items.map((item) => `<li>${inline(item)}</li>`).join('')}</${list.tag}>`);
    list = undefined;
  };
  for (const raw of escapeHtml(markdown).split(/\r?\n/)) {
    const line = raw.trim();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\d+[.)]\s+(.*)$/.exec(line);
    if (line === '') {
      flush();
    } else if (heading) {
      flush();
      const level = Math.min(Math.max((heading[1] ?? '#').length + shift, 1), 6);
      out.push(`<h${level}>${inline(heading[2] ?? '')}</h${level}>`);
    } else if (bullet || numbered) {
      const tag = bullet ? 'ul' : 'ol';
      if (paragraph.length > 0 || list?.tag !== tag) flush();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)?.[1] ?? '');
    } else if (list && /^\s/.test(raw)) {
      // An indented line continues the previous list item.
      list.items[list.items.length - 1] += ` ${line}`;
    } else {
      if (list) flush();
      paragraph.push(line);
    }
  }
  flush();
  return out.join('\n');
}

/**
 * The same subset as plain text: heading marks and emphasis dropped, a link as `text (URL)`, list items
 * kept as `- item` and `1. item`, paragraphs separated by a blank line.
 */
export function markdownToText(markdown: string): string {
  const blocks: string[] = [];
  let lines: string[] = [];
  let kind: 'paragraph' | 'list' | undefined;
  const flush = (): void => {
    if (lines.length > 0) blocks.push(lines.join('\n'));
    lines = [];
    kind = undefined;
  };
  for (const raw of markdown.split(/\r?\n/)) {
    const line = raw.trim();
    const heading = HEADING.exec(raw);
    const item = /^(?:[-*+]|(\d+[.)]))\s+(.*)$/.exec(line);
    if (line === '') {
      flush();
    } else if (heading) {
      flush();
      blocks.push(inlineText(heading[2] ?? ''));
    } else if (item) {
      if (kind === 'paragraph') flush();
      kind = 'list';
      lines.push(`${item[1] ?? '-'} ${inlineText(item[2] ?? '')}`);
    } else if (kind === 'paragraph' || (kind === 'list' && /^\s/.test(raw))) {
      // A paragraph's lines join into one, as in the HTML; an indented line continues a list item.
      lines[lines.length - 1] += ` ${inlineText(line)}`;
    } else {
      flush();
      kind = 'paragraph';
      lines.push(inlineText(line));
    }
  }
  flush();
  return blocks.join('\n\n');
}

function highestHeading(markdown: string): number {
  let highest = 6;
  for (const line of markdown.split(/\r?\n/)) {
    const marks = HEADING.exec(line)?.[1];
    if (marks !== undefined) highest = Math.min(highest, marks.length);
  }
  return highest;
}

/** Inline markup on escaped text: links first, so emphasis never reaches inside an href. */
export function inline(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    html += emphasis(text.slice(last, match.index));
    html += `<a href="${match[2] ?? ''}" rel="nofollow noopener">${emphasis(match[1] ?? '')}</a>`;
    last = match.index + match[0].length;
  }
  return html + emphasis(text.slice(last));
}

/** Inline Markdown as plain text: emphasis marks dropped, a link as `text (URL)`. */
function inlineText(text: string): string {
  return text
    .replace(LINK, (_match, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/__(.+?)__/g, '$1')
    .replace(/\*(.+?)\*/g, '$1')
    .replace(/(^|[^\w])_(.+?)_(?=[^\w]|$)/g, '$1$2');
}

function emphasis(text: string): string {
  return text
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/__(.+?)__/g, '<strong>$1</strong>')
    .replace(/\*(.+?)\*/g, '<em>$1</em>')
    .replace(/(^|[^\w])_(.+?)_(?=[^\w]|$)/g, '$1<em>$2</em>');
}
