/**
 * What the post-mortem templates see: the drafted document turned into display strings, times in the
 * document's time zone, and every value from the incident made inert for the format. Markdown has no
 * escaping of its own, so a value is escaped here (a fact value cannot start a heading, a link or raw
 * HTML); HTML is escaped by Handlebars.
 */
import { humanizeDuration as humanizeSeconds } from '../domain/duration.js';
import type { JsonValue } from '../domain/plan.js';
import { markdownToHtml } from '../channels/statuspage-markdown.js';
import { sectionsInOrder, type WrittenSections } from './render-sections.js';
import type { NewPostmortem, PostmortemDeadline } from './types.js';

/** The formats with a template (JSON is the document itself). */
export type TemplateFormat = 'md' | 'html';

// Every character that can start Markdown syntax mid-line (`@` too: GFM links a bare address). Values never
// start a line (line breaks are flattened), so line-start syntax such as `-` or `1.` cannot trigger.
const MARKDOWN_SPECIAL = /[\\`*_[\]<>#!|~&@]/g;

/**
 * Escapes a value for Markdown inline text: one line (line breaks become spaces, so a value cannot start a
 * heading or a list), with every character that could start emphasis, a link, an image, raw HTML, a table
 * cell or an autolink backslash-escaped (CommonMark renders `\#` as `#`); a bare `https://` or `www.`
 * is broken up the same way, so GFM does not link it.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(MARKDOWN_SPECIAL, (char) => `\\${char}`)
    .replace(/:\/\//g, '\\://')
    .replace(/\b(www)\./gi, '$1\\.');
}

/** Formats an ISO instant in an IANA time zone as `2026-03-14 09:30:05 CET` (fixed parts, no locale drift). */
export function formatInstant(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** A duration for people: `2d 3h`, `45m`, `10s`, and under a second in milliseconds (a fast run is not `0s`). */
export function humanizeDuration(ms: number): string {
  return Math.abs(ms) < 1_000 ? `${Math.round(ms)}ms` : humanizeSeconds(ms);
}

/** How one format shows the document's values: escaped text, values, times in its zone, lists of names. */
interface Shown {
  esc: (text: string) => string;
  value: (value: JsonValue) => string;
  time: (iso: string | undefined) => string;
  names: (ids: readonly string[], none: string) => string;
}

/** The template data for one format. */
export function viewOf(doc: NewPostmortem, written: WrittenSections, format: TemplateFormat) {
  const esc = format === 'md' ? escapeMarkdown : (text: string) => text;
  const show: Shown = {
    esc,
    value: (v) => esc(displayValue(v)),
    time: (iso) => (iso === undefined ? '' : formatInstant(iso, doc.facts.timeZone)),
    names: (ids, none) => (ids.length === 0 ? none : esc(ids.join(', '))),
  };
  const sections = sectionsInOrder(written).map((section) => ({
    id: section.id,
    title: section.title,
    prompt: section.prompt,
    // People write Markdown: kept as written in Markdown, converted to safe HTML (escaped first) in HTML.
    text: section.text === undefined ? false : format === 'md' ? section.text : markdownToHtml(section.text, 3),
  }));
  // The summary opens the document; the other sections follow the facts.
  return { ...headerView(doc, show), ...recordsView(doc, show), summary: sections[0], sections: sections.slice(1) };
}

function headerView(doc: NewPostmortem, { esc, value, time, names }: Shown) {
  const { incident } = doc.facts;
  return {
    title: esc(doc.title),
    incidentId: esc(incident.id),
    runbook: {
      id: esc(incident.runbook.id),
      title: esc(incident.runbook.title),
      version: incident.runbook.version,
      contentHash: esc(incident.runbook.contentHash),
    },
    severity: esc(incident.severity),
    outcome: esc(incident.outcome),
    triggeredBy: esc(incident.triggeredBy),
    startedAt: time(incident.startedAt),
    endedAt: time(incident.endedAt),
    duration: humanizeDuration(incident.durationMs),
    error: incident.error ? { code: esc(incident.error.code), message: esc(incident.error.message) } : false,
    timeZone: esc(doc.facts.timeZone),
    params: Object.entries(incident.params).map(([name, v]) => ({ name: esc(name), value: value(v) })),
    people: {
      facilitators: names(doc.people.facilitators, 'none named'),
      reviewers: names(doc.people.reviewers, 'none named'),
      audience: names(doc.people.audience, 'none named'),
    },
    reviewDueAt: doc.reviewDueAt === undefined ? false : time(doc.reviewDueAt),
    tags: names(doc.tags, 'none'),
  };
}

function recordsView(doc: NewPostmortem, { esc, value, time, names }: Shown) {
  const { durations } = doc.facts;
  return {
    impact: doc.facts.impact.map((fact) => ({
      name: esc(fact.name),
      value: value(fact.value),
      status: esc(fact.status),
      setBy: esc(fact.setBy),
      setAt: time(fact.setAt),
    })),
    messages: doc.facts.messages.map((m) => ({
      step: esc(m.step),
      message: esc(m.message),
      channel: esc(m.channel),
      recipients: names(m.recipients, '(published)'),
      sentAt: time(m.sentAt),
      approvedBy: names(m.approvedBy, 'no approval needed'),
      fingerprint: esc(m.fingerprint),
    })),
    timeline: doc.facts.timeline.map((e) => ({
      at: time(e.at),
      type: esc(e.type),
      actor: esc(e.actor),
      step: e.step === undefined ? false : esc(e.step),
      text: esc(e.text),
    })),
    durations: [
      ['To the first human action', durations.toFirstHumanActionMs],
      ['To containment', durations.toContainmentMs],
      ['To resolution', durations.toResolutionMs],
    ].map(([label, ms]) => ({ label, value: typeof ms === 'number' ? humanizeDuration(ms) : 'not reached' })),
    deadlines: durations.deadlines.map((d) => ({
      title: esc(d.title),
      status: esc(d.status),
      dueAt: d.dueAt === undefined ? 'never started' : time(d.dueAt),
      result: esc(deadlineResult(d, time)),
    })),
    compensations: doc.facts.compensations.map((c) => ({
      id: esc(c.id),
      forStep: esc(c.forStep),
      status: esc(c.status),
      at: time(c.at),
      error: c.error === undefined ? false : esc(c.error),
    })),
  };
}

/** A value as people read it: text as is, a list of plain items joined with commas, anything else as JSON. */
function displayValue(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')) {
    return value.join(', ');
  }
  return JSON.stringify(value);
}

function deadlineResult(d: PostmortemDeadline, time: (iso: string | undefined) => string): string {
  if (d.marginMs === undefined) return d.status === 'not_applicable' ? 'did not apply' : 'no result';
  if (d.marginMs >= 0) return `met at ${time(d.metAt)}, ${humanizeDuration(d.marginMs)} before it was due`;
  const late = humanizeDuration(-d.marginMs);
  return d.metAt === undefined
    ? `overdue by ${late} when the incident closed`
    : `met ${late} late, at ${time(d.metAt)}`;
}
