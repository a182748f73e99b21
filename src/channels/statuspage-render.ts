/**
 * Rendering for the status page: a deliberately tiny Markdown subset converted to safe HTML (everything
 * is escaped first; only headings, paragraphs, lists, bold/italic and http(s) links are produced, never
 * raw HTML), the incident and index pages, and the JSON Feed 1.1 document.
 */

/** One published update, as stored in an incident's `updates.json`. */
export interface StatusUpdate {
  /** Hex SHA-256 of the message's idempotency key: the same after a crash and retry. */
  id: string;
  /** ISO 8601 time the update was first published. */
  at: string;
  incidentId: string;
  stepId: string;
  fingerprint: string;
  markdown: string;
}

/** What the pages need besides the updates. */
export interface PageOptions {
  title: string;
  /** The path the routes serve the pages under (`/status`), for links between pages. */
  basePath: string;
  /** Absolute public URL of `basePath` (e.g. `https://example.com/status`), for the feed's URLs. */
  siteUrl?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// Matched on already-escaped text, so the URL cannot contain a quote or angle bracket.
const LINK = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/gi;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Converts the supported Markdown subset to HTML; any HTML in the input comes out as visible text. */
export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined;
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
      // The page's own <h1> is the site title, so Markdown headings start one level down.
      const level = Math.min((heading[1] ?? '#').length + 1, 6);
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

/** Inline markup on escaped text: links first, so emphasis never reaches inside an href. */
function inline(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    html += emphasis(text.slice(last, match.index));
    html += `<a href="${match[2] ?? ''}" rel="nofollow noopener">${emphasis(match[1] ?? '')}</a>`;
    last = match.index + match[0].length;
  }
  return html + emphasis(text.slice(last));
}

function emphasis(text: string): string {
  return text
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/__(.+?)__/g, '<strong>$1</strong>')
    .replace(/\*(.+?)\*/g, '<em>$1</em>')
    .replace(/(^|[^\w])_(.+?)_(?=[^\w]|$)/g, '$1<em>$2</em>');
}

/** Updates newest first; among equal times, the one appended later first. */
export function newestFirst(updates: readonly StatusUpdate[]): StatusUpdate[] {
  return [...updates].reverse().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** The page of one incident: every update, newest first. */
export function renderIncidentPage(incidentId: string, updates: readonly StatusUpdate[], options: PageOptions): string {
  const articles = newestFirst(updates)
    .map((update) => article(update))
    .join('\n');
  const back = `<p><a href="${escapeHtml(options.basePath)}">All incidents</a></p>`;
  return page(`${options.title}: ${incidentId}`, `<h1>${escapeHtml(options.title)}</h1>\n${back}\n${articles}`);
}

/** The index: every incident with its latest update, most recently updated first. */
export function renderIndexPage(incidents: ReadonlyMap<string, readonly StatusUpdate[]>, options: PageOptions): string {
  const latest = latestPerIncident(incidents);
  const body =
    latest.length === 0
      ? '<p>No incidents have been reported.</p>'
      : latest
          .map((update) => {
            const href = escapeHtml(incidentPath(options.basePath, update.incidentId));
            const link = `<p><a href="${href}">${escapeHtml(update.incidentId)}: all updates</a></p>`;
            return article(update, link);
          })
          .join('\n');
  return page(options.title, `<h1>${escapeHtml(options.title)}</h1>\n${body}`);
}

/** A JSON Feed 1.1 document of the most recent `limit` updates across incidents, newest first. */
export function renderFeed(
  incidents: ReadonlyMap<string, readonly StatusUpdate[]>,
  options: PageOptions,
  limit = 50,
): string {
  const all = newestFirst([...incidents.values()].flat()).slice(0, limit);
  const site = options.siteUrl?.replace(/\/+$/, '');
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: options.title,
    ...(site === undefined ? {} : { home_page_url: site, feed_url: `${site}/feed.json` }),
    items: all.map((update) => ({
      id: update.id,
      ...(site === undefined ? {} : { url: `${site}/incidents/${encodeURIComponent(update.incidentId)}` }),
      title: update.incidentId,
      content_html: markdownToHtml(update.markdown),
      content_text: update.markdown,
      date_published: update.at,
      _firebreak: { incident_id: update.incidentId, step_id: update.stepId, fingerprint: update.fingerprint },
    })),
  };
  return `${JSON.stringify(feed, null, 2)}\n`;
}

/** The path of an incident's page under `basePath`. */
export function incidentPath(basePath: string, incidentId: string): string {
  return `${basePath.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incidentId)}`;
}

function latestPerIncident(incidents: ReadonlyMap<string, readonly StatusUpdate[]>): StatusUpdate[] {
  const latest = [...incidents.values()].flatMap((updates) => newestFirst(updates).slice(0, 1));
  return newestFirst(latest);
}

function article(update: StatusUpdate, footer = ''): string {
  const at = escapeHtml(update.at);
  return [
    `<article id="u-${escapeHtml(update.id.slice(0, 16))}">`,
    `<p class="meta"><time datetime="${at}">${at}</time></p>`,
    markdownToHtml(update.markdown),
    footer,
    '</article>',
  ].join('\n');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
article { border-top: 1px solid #ccc; padding: 0.5rem 0; }
.meta { color: #555; font-size: 0.9rem; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
