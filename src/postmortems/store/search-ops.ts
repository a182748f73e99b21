/**
 * Full-text search over post-mortems: `websearch_to_tsquery` parses the user's text (quotes, `or`, `-word`)
 * as a parameter, `ts_rank` orders the matches, and `ts_headline` cuts snippets from the title and each
 * matching section. Highlights come back as offsets, so a renderer escapes the text and marks them itself.
 */
import { SECTION_IDS, type SectionId } from '../types.js';
import { STORE_LIMITS } from './limits.js';
import { STORE_SCHEMA as S } from './migrations/index.js';
import { iso } from './rows.js';
import type { SqlClient } from './sql-client.js';
import type { SearchFilter, SearchHit, SearchSnippet } from './types.js';
import { check, Id, Instant, Limit, QueryText, SeverityInput, Tag } from './validate.js';

// Section text never holds control characters (validate.ts), so these markers are unambiguous.
const START = '\u0001';
const STOP = '\u0002';
/** How `ts_headline` cuts snippets (also the benchmark's floor query, so both do the same work). */
export const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
const SNIPPET_ORDER: readonly (SectionId | 'title')[] = ['title', ...SECTION_IDS];

/** Turns a headline with markers into its text and the highlighted ranges. */
export function parseHeadline(marked: string): Pick<SearchSnippet, 'text' | 'highlights'> {
  let text = '';
  let start = -1;
  const highlights: { start: number; end: number }[] = [];
  for (const char of marked) {
    if (char === START) start = text.length;
    else if (char === STOP) {
      if (start >= 0 && text.length > start) highlights.push({ start, end: text.length });
      start = -1;
    } else text += char;
  }
  return { text, highlights };
}

/** The search operation of the store. */
export function searchOps(db: SqlClient) {
  return {
    async search(query: string, filter: SearchFilter = {}): Promise<SearchHit[]> {
      const op = 'search';
      const params: unknown[] = [check(op, QueryText, query)];
      const where: string[] = ['p.search @@ q.query'];
      const add = (clause: (placeholder: string) => string, value: unknown) => {
        params.push(value);
        where.push(clause(`$${params.length}`));
      };
      if (filter.runbook !== undefined) add((p) => `p.runbook_id = ${p}`, check(op, Id, filter.runbook));
      if (filter.severity !== undefined) add((p) => `p.severity = ${p}`, check(op, SeverityInput, filter.severity));
      if (filter.tag !== undefined) add((p) => `${p} = ANY(p.tags)`, check(op, Tag, filter.tag));
      if (filter.since !== undefined) add((p) => `p.started_at >= ${p}`, check(op, Instant, filter.since));
      if (filter.until !== undefined) add((p) => `p.started_at < ${p}`, check(op, Instant, filter.until));
      const limit = check(op, Limit, filter.limit ?? STORE_LIMITS.defaultLimit);
      const hits = await db.query(
        `WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query)
         SELECT p.id, p.incident_id, p.title, p.runbook_id, p.severity, p.status, p.started_at, p.tags,
                ts_rank(p.search, q.query) AS rank
         FROM ${S}.postmortems p, q WHERE ${where.join(' AND ')}
         ORDER BY rank DESC, p.started_at DESC, p.id LIMIT ${limit}`,
        params,
      );
      if (hits.length === 0) return [];
      const ids = hits.map((hit) => String(hit.id));
      const snippetRows = await db.query(
        `WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query)
         SELECT p.id, s.key AS section, ts_headline('english', s.body, q.query, $3) AS headline
         FROM ${S}.postmortems p, q,
              LATERAL (SELECT 'title' AS key, p.title AS body
                       UNION ALL SELECT e.key, e.value->>'text' FROM jsonb_each(p.sections) e) s
         WHERE p.id = ANY($2::text[]) AND s.body <> '' AND to_tsvector('english', s.body) @@ q.query`,
        [params[0], ids, HEADLINE_OPTIONS],
      );
      const snippets = new Map<string, SearchSnippet[]>();
      for (const row of snippetRows) {
        const list = snippets.get(String(row.id)) ?? [];
        list.push({ section: row.section as SectionId | 'title', ...parseHeadline(String(row.headline)) });
        snippets.set(String(row.id), list);
      }
      return hits.map((hit) => ({
        postmortem: {
          id: String(hit.id),
          incidentId: String(hit.incident_id),
          title: String(hit.title),
          runbookId: String(hit.runbook_id),
          severity: hit.severity as SearchHit['postmortem']['severity'],
          status: hit.status as SearchHit['postmortem']['status'],
          startedAt: iso(hit.started_at),
          tags: hit.tags as string[],
        },
        rank: Number(hit.rank),
        snippets: (snippets.get(String(hit.id)) ?? []).sort(
          (a, b) => SNIPPET_ORDER.indexOf(a.section) - SNIPPET_ORDER.indexOf(b.section),
        ),
      }));
    },
  };
}
