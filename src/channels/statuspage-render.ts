/**
 * Rendering for the status page: a deliberately tiny Markdown subset converted to safe HTML (everything
 * is escaped first; only headings, paragraphs, lists, bold/italic and http(s) links are produced, never
 * raw HTML), the incident and index pages, and the JSON Feed 1.1 document. The pages are public: they
 * name an incident by its opaque public id and title it with the approved update's first heading, and
 * never see the incident id, step id or runbook (the renderers take `PublicUpdate`s only).
 */

/** One published update, as kept in an incident's private history. */
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

/** What the public pages may show of an update: no incident id, no step id. */
export type PublicUpdate = Pick<StatusUpdate, 'id' | 'at' | 'fingerprint' | 'markdown'>;

/** Published incidents by public id, each with its updates in publication order. */
export type PublicIncidents = ReadonlyMap<string, readonly PublicUpdate[]>;

/** The title an update gives its incident: its first Markdown heading, approved with it. */
export function titleOf(update: PublicUpdate | undefined): string {
  const heading = update?.markdown.split(/\r?\n/).find((line) => /^\s*#{1,6}\s+\S/.test(line));
  return heading === undefined ? 'Incident update' : heading.replace(/^\s*#{1,6}\s+/, '').replace(/\s+#*\s*$/, '');
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
export function newestFirst<T extends PublicUpdate>(updates: readonly T[]): T[] {
  return [...updates].reverse().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** The page of one incident (by public id): every update, newest first, titled by the latest. */
export function renderIncidentPage(updates: readonly PublicUpdate[], options: PageOptions): string {
  const ordered = newestFirst(updates);
  const articles = ordered.map((update) => article(update)).join('\n');
  const back = `<p><a href="${escapeHtml(options.basePath)}">All incidents</a></p>`;
  return page(
    `${options.title}: ${titleOf(ordered[0])}`,
    `<h1>${escapeHtml(options.title)}</h1>\n${back}\n${articles}`,
  );
}

/** The index: every incident with its latest update, most recently updated first. */
export function renderIndexPage(incidents: PublicIncidents, options: PageOptions): string {
  const latest = latestPerIncident(incidents);
  const body =
    latest.length === 0
      ? '<p>No incidents have been reported.</p>'
      : latest
          .map(({ publicId, update }) => {
            const href = escapeHtml(incidentPath(options.basePath, publicId));
            return article(update, `<p><a href="${href}">All updates</a></p>`);
          })
          .join('\n');
  return page(options.title, `<h1>${escapeHtml(options.title)}</h1>\n${body}`);
}

/** A JSON Feed 1.1 document of the most recent `limit` updates across incidents, newest first. */
export function renderFeed(incidents: PublicIncidents, options: PageOptions, limit = 50): string {
  const all = newestFirst(
    [...incidents].flatMap(([publicId, updates]) => updates.map((update) => ({ ...update, publicId }))),
  ).slice(0, limit);
  const site = options.siteUrl?.replace(/\/+$/, '');
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: options.title,
    ...(site === undefined ? {} : { home_page_url: site, feed_url: `${site}/feed.json` }),
    items: all.map((update) => ({
      id: update.id,
      ...(site === undefined ? {} : { url: `${site}/incidents/${encodeURIComponent(update.publicId)}` }),
      title: titleOf(update),
      content_html: markdownToHtml(update.markdown),
      content_text: update.markdown,
      date_published: update.at,
      _firebreak: { incident: update.publicId, fingerprint: update.fingerprint },
    })),
  };
  return `${JSON.stringify(feed, null, 2)}\n`;
}

/** The path of an incident's page (by public id) under `basePath`. */
export function incidentPath(basePath: string, publicId: string): string {
  return `${basePath.replace(/\/+$/, '')}/incidents/${encodeURIComponent(publicId)}`;
}

function latestPerIncident(incidents: PublicIncidents): Array<{ publicId: string; update: PublicUpdate }> {
  const latest = [...incidents].flatMap(([publicId, updates]) =>
    newestFirst(updates)
      .slice(0, 1)
      .map((update) => ({ ...update, publicId })),
  );
  return newestFirst(latest).map(({ publicId, ...update }) => ({ publicId, update }));
}

function article(update: PublicUpdate, footer = ''): string {
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
