/** Post-mortems as the CLI prints them: a list, one post-mortem, its history, blameless flags and search hits. */
import type { Flag, History, PostmortemDetail, PostmortemSummary, SearchHit } from './api/postmortems.js';
import { table, terminalSafe } from './output.js';
import { formatInstant } from './render-time.js';

/** Where a search hit's matched words start and end when printed: markers that survive any terminal. */
export const HIGHLIGHT = { open: '«', close: '»' } as const;

/** The list as a table. */
export function renderPostmortemList(postmortems: readonly PostmortemSummary[]): string {
  return table([
    ['ID', 'INCIDENT', 'STATUS', 'SEVERITY', 'RUNBOOK', 'STARTED', 'TITLE'],
    ...postmortems.map((p) => [
      p.id,
      p.incidentId,
      p.status,
      p.severity,
      p.runbookId,
      formatInstant(p.startedAt),
      p.title,
    ]),
  ]);
}

/** One post-mortem: who runs it, where it is, and each section with its revision and last author. */
export function renderPostmortem(postmortem: PostmortemDetail): string {
  const lines = [
    `${postmortem.title}  (${postmortem.status})`,
    `  id           ${postmortem.id}`,
    `  incident     ${postmortem.incidentId} (${postmortem.runbookId}, ${postmortem.severity}, ${formatInstant(postmortem.startedAt)})`,
    `  facilitators ${postmortem.people.facilitators.join(', ') || '-'}`,
    `  reviewers    ${postmortem.people.reviewers.join(', ') || '-'}`,
    ...(postmortem.reviewDueAt ? [`  review due   ${formatInstant(postmortem.reviewDueAt)}`] : []),
    ...(postmortem.tags.length > 0 ? [`  tags         ${postmortem.tags.join(', ')}`] : []),
  ];
  for (const [id, section] of Object.entries(postmortem.sections)) {
    const by = section.author === undefined ? '' : ` by ${section.author} at ${formatInstant(section.at ?? '')}`;
    lines.push(
      '',
      `## ${id} (revision ${section.revision}${by})`,
      section.text === '' ? '(not written yet)' : section.text,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The revisions (first line of each), the status changes with their acknowledged flags, and field changes. */
export function renderHistory(history: History): string {
  const revisions = history.revisions.map((r) => [
    r.section,
    String(r.revision),
    r.author,
    formatInstant(r.at),
    firstLine(r.text),
  ]);
  const statuses = history.statuses.map((s) => [
    `${s.from ?? '(created)'} -> ${s.to}`,
    s.actor,
    formatInstant(s.at),
    s.reason ?? '',
  ]);
  const acknowledged = history.statuses.flatMap((s) =>
    (s.acknowledgements ?? []).map((ack) => [
      formatInstant(s.at),
      `${ack.section}:${ack.line}:${ack.column}`,
      `"${ack.phrase}"`,
      ack.reason,
    ]),
  );
  const fields = history.fields.map((f) => [f.field, f.actor, formatInstant(f.at), fieldValue(f.value)]);
  return [
    revisions.length === 0 ? 'No revisions.\n' : table([['SECTION', 'REV', 'AUTHOR', 'AT', 'TEXT'], ...revisions]),
    '\n',
    table([['STATUS', 'BY', 'AT', 'REASON'], ...statuses]),
    ...(acknowledged.length === 0
      ? []
      : ['\n', table([['ACKNOWLEDGED AT', 'WHERE', 'PHRASE', 'WHY IT STAYS'], ...acknowledged])]),
    ...(fields.length === 0 ? [] : ['\n', table([['FIELD', 'BY', 'AT', 'NOW'], ...fields])]),
  ].join('');
}

function fieldValue(value: unknown): string {
  if (value === null || value === undefined) return '(cleared)';
  if (Array.isArray(value)) return value.map(String).join(', ') || '(none)';
  return typeof value === 'string' ? formatInstantOr(value) : JSON.stringify(value);
}

function formatInstantOr(text: string): string {
  return Number.isNaN(Date.parse(text)) ? text : formatInstant(text);
}

/** Blameless flags, one per line, with where they are and the question that leads to a rewrite. */
export function renderFlags(flags: readonly Flag[]): string {
  return flags
    .map(
      (f) =>
        `  ${f.section} line ${f.line}, column ${f.column}: "${terminalSafe(f.match)}" (flag ${f.id}): ${f.instead}\n`,
    )
    .join('');
}

/** Search hits, best first: each with its snippets, the matched words between « and ». */
export function renderSearchHits(hits: readonly SearchHit[]): string {
  const out: string[] = [];
  for (const hit of hits) {
    const p = hit.postmortem;
    out.push(
      `${terminalSafe(p.title)}  (${p.id}; incident ${p.incidentId}, ${p.runbookId}, ${formatInstant(p.startedAt)})`,
    );
    for (const snippet of hit.snippets)
      out.push(`  ${snippet.section}: ${highlighted(snippet.text, snippet.highlights)}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The snippet on one line with its highlights marked. Each piece is made terminal-safe on its own, so the
 * offsets (into the text as the server sent it) stay right, and only the markers are the CLI's own.
 */
export function highlighted(text: string, highlights: readonly { start: number; end: number }[]): string {
  const safe = (piece: string) => terminalSafe(piece.replace(/\s*\n\s*/g, ' '));
  let out = '';
  let at = 0;
  for (const { start, end } of [...highlights].sort((a, b) => a.start - b.start)) {
    if (start < at || end <= start || end > text.length) continue; // overlapping or out of range: not marked
    out += `${safe(text.slice(at, start))}${HIGHLIGHT.open}${safe(text.slice(start, end))}${HIGHLIGHT.close}`;
    at = end;
  }
  return out + safe(text.slice(at));
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
