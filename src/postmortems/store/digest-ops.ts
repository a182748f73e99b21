/**
 * What the periodic lessons-learned digest reads: post-mortems and action items of a period without their
 * sections or timelines, and the significant terms of the contributing factors, lexed by `ts_debug` with
 * the same English configuration as the search vector (`to_tsvector('english', ...)`).
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { Severity } from '../../domain/plan.js';
import type { PostmortemFacts, PostmortemStatus } from '../types.js';
import { STORE_LIMITS } from './limits.js';
import { STORE_SCHEMA as S } from './migrations/index.js';
import { iso, toActionItem } from './rows.js';
import type { Row, SqlClient } from './sql-client.js';
import type { DigestActionItem, DigestPostmortem, DigestRows, DigestWindow, FactorTerm } from './types.js';
import { check, Instant, Limit } from './validate.js';

const ROWS = STORE_LIMITS.digestRows;

/** The window's instants, checked, with `since` before `until`; INVALID_INPUT otherwise. */
function windowOf(operation: string, window: DigestWindow): [string, string] {
  const since = check(operation, Instant, window.since);
  const until = check(operation, Instant, window.until);
  if (Date.parse(since) >= Date.parse(until)) {
    throw new FirebreakError(ErrorCode.InvalidInput, `${operation}: since (${since}) must be before until (${until})`);
  }
  return [since, until];
}

function rowsOf<T>(rows: Row[], map: (row: Row) => T): DigestRows<T> {
  return { items: rows.slice(0, ROWS).map(map), truncated: rows.length > ROWS };
}

function toDigestPostmortem(row: Row): DigestPostmortem {
  const durations = (typeof row.durations === 'string' ? JSON.parse(row.durations) : row.durations) as
    PostmortemFacts['durations'] | null;
  return {
    id: String(row.id),
    incidentId: String(row.incident_id),
    title: String(row.title),
    runbookId: String(row.runbook_id),
    runbookTitle: typeof row.runbook_title === 'string' ? row.runbook_title : String(row.runbook_id),
    severity: row.severity as Severity,
    status: row.status as PostmortemStatus,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    ...(row.review_due_at === null ? {} : { reviewDueAt: iso(row.review_due_at) }),
    ...(row.published_at === null ? {} : { publishedAt: iso(row.published_at) }),
    tags: (row.tags as string[]) ?? [],
    durations: durations ?? {
      toResolutionMs: Date.parse(iso(row.ended_at)) - Date.parse(iso(row.started_at)),
      deadlines: [],
    },
  };
}

/** The digest reads of the store. */
export function digestOps(db: SqlClient) {
  return {
    async digestPostmortems(window: DigestWindow): Promise<DigestRows<DigestPostmortem>> {
      const [since, until] = windowOf('digestPostmortems', window);
      const rows = await db.query(
        `SELECT * FROM (
           SELECT p.id, p.incident_id, p.title, p.runbook_id, p.facts->'incident'->'runbook'->>'title' AS runbook_title,
                  p.severity, p.status, p.started_at, p.ended_at, p.review_due_at, p.tags,
                  p.facts->'durations' AS durations,
                  (SELECT max(c.at) FROM ${S}.status_changes c
                    WHERE c.postmortem_id = p.id AND c.to_status = 'published') AS published_at
           FROM ${S}.postmortems p) d
         WHERE (d.started_at >= $1 AND d.started_at < $2)
            OR (d.status = 'published' AND d.published_at >= $1 AND d.published_at < $2)
            OR d.status = 'in-review'
            OR (d.status = 'draft' AND d.review_due_at < $2)
         ORDER BY d.started_at DESC, d.id LIMIT ${ROWS + 1}`,
        [since, until],
      );
      return rowsOf(rows, toDigestPostmortem);
    },

    async digestActionItems(window: DigestWindow): Promise<DigestRows<DigestActionItem>> {
      const [since, until] = windowOf('digestActionItems', window);
      const rows = await db.query(
        `SELECT a.*, p.title AS postmortem_title,
                (SELECT json_agg(json_build_object('incident_id', r.incident_id, 'result', r.result, 'at', r.at) ORDER BY r.seq)
                 FROM ${S}.verification_runs r WHERE r.action_item_id = a.id) AS runs
         FROM ${S}.action_items a JOIN ${S}.postmortems p ON p.id = a.postmortem_id
         WHERE a.status IN ('open', 'in-progress', 'done')
            OR (a.updated_at >= $1 AND a.updated_at < $2)
            OR EXISTS (SELECT 1 FROM ${S}.verification_runs r
                       WHERE r.action_item_id = a.id AND r.at >= $1 AND r.at < $2)
         ORDER BY a.created_at, a.id LIMIT ${ROWS + 1}`,
        [since, until],
      );
      return rowsOf(rows, (row) => ({ ...toActionItem(row), postmortemTitle: String(row.postmortem_title) }));
    },

    async contributingFactorTerms(window: DigestWindow, limit = 20): Promise<FactorTerm[]> {
      const [since, until] = windowOf('contributingFactorTerms', window);
      const max = check('contributingFactorTerms', Limit, limit);
      // ts_debug runs the parser and dictionaries to_tsvector('english', ...) runs, so a term here is a
      // lexeme the search index holds; it also keeps the token, so the term can be shown as a word.
      const rows = await db.query(
        `SELECT l.lexeme AS term, count(DISTINCT p.id) AS postmortems, count(*) AS occurrences,
                mode() WITHIN GROUP (ORDER BY lower(d.token)) AS word
         FROM ${S}.postmortems p,
              ts_debug('english', coalesce(p.sections->'contributing-factors'->>'text', '')) d,
              unnest(d.lexemes) l(lexeme)
         WHERE p.started_at >= $1 AND p.started_at < $2 AND length(l.lexeme) >= 2
         GROUP BY l.lexeme
         ORDER BY postmortems DESC, occurrences DESC, term LIMIT ${max}`,
        [since, until],
      );
      return rows.map((row) => ({
        term: String(row.term),
        word: String(row.word),
        postmortems: Number(row.postmortems),
        occurrences: Number(row.occurrences),
      }));
    },
  };
}
