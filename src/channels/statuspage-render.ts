/**
 * Rendering for the status page: the incident and index pages and the JSON Feed 1.1 document. The pages
 * are public: they name an incident by its opaque public id and title it with the approved update's first
 * heading, and never see the incident id, step id or runbook (the renderers take `PublicUpdate`s only).
 * Times are shown in the configured time zone; an incident is open or resolved as its latest update says.
 */
import { escapeHtml, inline, markdownToHtml, markdownToText, splitTitle, titleOf } from './statuspage-markdown.js';

export { escapeHtml, markdownToHtml, markdownToText, titleOf } from './statuspage-markdown.js';

/** What an incident is, publicly: set by an update's approved `state` part. */
export type IncidentState = 'open' | 'resolved';

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
  /** The state this update declares (its `state` part); an update without one leaves the state as it was. */
  state?: IncidentState;
}

/** What the public pages may show of an update: no incident id, no step id. */
export type PublicUpdate = Pick<StatusUpdate, 'id' | 'at' | 'fingerprint' | 'markdown' | 'state'>;

/** Published incidents by public id, each with its updates in publication order. */
export type PublicIncidents = ReadonlyMap<string, readonly PublicUpdate[]>;

/** What the pages need besides the updates. */
export interface PageOptions {
  title: string;
  /** The path the routes serve the pages under (`/status`), for links between pages. */
  basePath: string;
  /** Absolute public URL of `basePath` (e.g. `https://example.com/status`), for the feed's URLs. */
  siteUrl?: string;
  /** IANA time zone the pages show times in (default `UTC`); the feed keeps RFC 3339 instants. */
  timeZone?: string;
}

const STATE_LABEL: Record<IncidentState, string> = { open: 'Open', resolved: 'Resolved' };

/** Updates newest first; among equal times, the one appended later first. */
export function newestFirst<T extends PublicUpdate>(updates: readonly T[]): T[] {
  return [...updates].reverse().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** The incident's state: what its latest update that declares one says; open until one says resolved. */
export function stateOf(updates: readonly PublicUpdate[]): IncidentState {
  return newestFirst(updates).find((update) => update.state !== undefined)?.state ?? 'open';
}

/** An instant as people read it, in `timeZone`: `1 May 2024, 10:01 UTC`. */
export function humanTime(iso: string, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

/** An instant in RFC 3339 without milliseconds, for `datetime` attributes and the feed. */
function instant(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The page of one incident (by public id): its title and state, then every update, newest first. */
export function renderIncidentPage(updates: readonly PublicUpdate[], options: PageOptions): string {
  const ordered = newestFirst(updates);
  const title = titleOf(ordered[0]?.markdown);
  const first = ordered[ordered.length - 1];
  const meta = [
    stateBadge(stateOf(updates)),
    ...(first === undefined ? [] : [`First reported ${time(first.at, options)}`]),
    ...(ordered[0] === undefined ? [] : [`Last updated ${time(ordered[0].at, options)}`]),
  ];
  const body = [
    `<nav><a href="${escapeHtml(options.basePath)}">${escapeHtml(options.title)}: all incidents</a></nav>`,
    '<main>',
    `<h1>${inline(escapeHtml(splitTitle(ordered[0]?.markdown ?? '').title ?? title))}</h1>`,
    `<p class="meta">${meta.join(' · ')}</p>`,
    ...ordered.map((update) => article(update, 2, options)),
    '</main>',
  ];
  return page(`${options.title}: ${title}`, body.join('\n'), options);
}

/** The index: open incidents, then resolved ones, each with its latest update, most recently updated first. */
export function renderIndexPage(incidents: PublicIncidents, options: PageOptions): string {
  const latest = latestPerIncident(incidents);
  const body = [`<main>`, `<h1>${escapeHtml(options.title)}</h1>`];
  if (latest.length === 0) {
    body.push('<p>No incidents have been reported.</p>');
  } else {
    const open = latest.filter((entry) => entry.state === 'open');
    const resolved = latest.filter((entry) => entry.state === 'resolved');
    body.push('<section aria-labelledby="open-incidents">', '<h2 id="open-incidents">Open incidents</h2>');
    body.push(open.length === 0 ? '<p>No open incidents.</p>' : open.map((e) => summary(e, options)).join('\n'));
    body.push('</section>');
    if (resolved.length > 0) {
      body.push(
        '<section aria-labelledby="resolved-incidents">',
        '<h2 id="resolved-incidents">Resolved incidents</h2>',
      );
      body.push(resolved.map((entry) => summary(entry, options)).join('\n'), '</section>');
    }
  }
  body.push('</main>');
  return page(options.title, body.join('\n'), options);
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
    items: all.map((update) => {
      const { body } = splitTitle(update.markdown);
      const title = titleOf(update.markdown);
      return {
        id: update.id,
        ...(site === undefined ? {} : { url: `${site}/incidents/${encodeURIComponent(update.publicId)}` }),
        title,
        content_html: body === '' ? '' : markdownToHtml(body),
        content_text: body === '' ? title : markdownToText(body),
        date_published: instant(update.at),
        _firebreak: {
          incident: update.publicId,
          fingerprint: update.fingerprint,
          ...(update.state === undefined ? {} : { state: update.state }),
        },
      };
    }),
  };
  return `${JSON.stringify(feed, null, 2)}\n`;
}

/** The path of an incident's page (by public id) under `basePath`. */
export function incidentPath(basePath: string, publicId: string): string {
  return `${basePath.replace(/\/+$/, '')}/incidents/${encodeURIComponent(publicId)}`;
}

interface LatestEntry {
  publicId: string;
  state: IncidentState;
  update: PublicUpdate;
}

function latestPerIncident(incidents: PublicIncidents): LatestEntry[] {
  const latest = [...incidents].flatMap(([publicId, updates]) =>
    newestFirst(updates)
      .slice(0, 1)
      .map((update) => ({ ...update, publicId, incidentState: stateOf(updates) })),
  );
  return newestFirst(latest).map(({ publicId, incidentState, ...update }) => ({
    publicId,
    state: incidentState,
    update,
  }));
}

/** An incident on the index: its title linking to its page, its state, and its latest update. */
function summary(entry: LatestEntry, options: PageOptions): string {
  const { title, body } = splitTitle(entry.update.markdown);
  const href = escapeHtml(incidentPath(options.basePath, entry.publicId));
  return [
    `<article id="i-${escapeHtml(entry.publicId)}">`,
    `<h3><a href="${href}">${inline(escapeHtml(title ?? titleOf(undefined)))}</a></h3>`,
    `<p class="meta">${stateBadge(entry.state)} · Updated ${time(entry.update.at, options)}</p>`,
    ...(body === '' ? [] : [markdownToHtml(body, 4)]),
    '</article>',
  ].join('\n');
}

/** One update on its incident's page: its own title as a heading at `level`, its time, its body below. */
function article(update: PublicUpdate, level: number, options: PageOptions): string {
  const { title, body } = splitTitle(update.markdown);
  const state = update.state === undefined ? '' : ` · ${stateBadge(update.state)}`;
  return [
    `<article id="u-${escapeHtml(update.id.slice(0, 16))}">`,
    `<h${level}>${inline(escapeHtml(title ?? titleOf(undefined)))}</h${level}>`,
    `<p class="meta">Posted ${time(update.at, options)}${state}</p>`,
    ...(body === '' ? [] : [markdownToHtml(body, level + 1)]),
    '</article>',
  ].join('\n');
}

function stateBadge(state: IncidentState): string {
  return `<strong class="state state-${state}">${STATE_LABEL[state]}</strong>`;
}

function time(iso: string, options: PageOptions): string {
  return `<time datetime="${escapeHtml(instant(iso))}">${escapeHtml(humanTime(iso, options.timeZone))}</time>`;
}

function page(title: string, body: string, options: PageOptions): string {
  const feed = `${options.basePath.replace(/\/+$/, '')}/feed.json`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="alternate" type="application/feed+json" title="${escapeHtml(options.title)}" href="${escapeHtml(feed)}">
<style>
body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
article { border-top: 1px solid #ccc; padding: 0.5rem 0; }
.meta { color: #555; font-size: 0.9rem; }
.state { padding: 0 0.4rem; border-radius: 0.3rem; }
.state-open { background: #fde8c8; color: #6b3d00; }
.state-resolved { background: #d8f0dc; color: #1c4d26; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
