/** Post-mortems, their sections and status, over the SqlClient. */
import { randomUUID } from 'node:crypto';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { SECTION_IDS, type NewPostmortem, type PostmortemStatus, type SectionId } from '../types.js';
import { STORE_LIMITS } from './limits.js';
import { STORE_SCHEMA as S } from './migrations/index.js';
import {
  decodeCursor,
  emptySections,
  encodeCursor,
  iso,
  toAcknowledgement,
  toFieldChange,
  toPostmortem,
  toRevision,
  toStatusChange,
} from './rows.js';
import type { Row, SqlClient, SqlExecutor } from './sql-client.js';
import type {
  Acknowledgement,
  EditContext,
  FieldChange,
  Page,
  Postmortem,
  PostmortemFilter,
  SectionRevision,
  StatusChange,
  StatusMove,
  TagChange,
} from './types.js';
import {
  Actor,
  check,
  EditInput,
  Id,
  Instant,
  Limit,
  NewPostmortemInput,
  Section,
  SeverityInput,
  Status,
  StatusMoveInput,
  Tag,
  Tags,
} from './validate.js';

/** The moves between statuses: into review, back to draft, published, and a published one reopened. */
export const POSTMORTEM_TRANSITIONS: Readonly<Record<PostmortemStatus, readonly PostmortemStatus[]>> = {
  draft: ['in-review'],
  'in-review': ['draft', 'published'],
  published: ['draft'],
};

// Title and lessons weigh most, then tags, then the other sections. Built from constants only.
const OTHER_SECTIONS = SECTION_IDS.filter((id) => id !== 'lessons')
  .map((id) => `coalesce(sections->'${id}'->>'text', '')`)
  .join(` || ' ' || `);
const SEARCH_VECTOR = `setweight(to_tsvector('english', title), 'A')
  || setweight(to_tsvector('english', coalesce(sections->'lessons'->>'text', '')), 'A')
  || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B')
  || setweight(to_tsvector('english', ${OTHER_SECTIONS}), 'C')`;

/** Recomputes the search vector of one post-mortem after its title, sections or tags changed. */
async function reindex(tx: SqlExecutor, id: string): Promise<void> {
  await tx.query(`UPDATE ${S}.postmortems SET search = ${SEARCH_VECTOR} WHERE id = $1`, [id]);
}

function notFound(id: string): FirebreakError {
  return new FirebreakError(ErrorCode.NotFound, `no post-mortem ${JSON.stringify(id)}`);
}

async function lockRow(tx: SqlExecutor, id: string): Promise<Row> {
  const [row] = await tx.query(`SELECT * FROM ${S}.postmortems WHERE id = $1 FOR UPDATE`, [id]);
  if (row === undefined) throw notFound(id);
  return row;
}

/** The post-mortem operations of the store. */
export function postmortemOps(db: SqlClient) {
  const byColumn = async (column: 'id' | 'incident_id', value: string, operation: string) => {
    check(operation, Id, value);
    const [row] = await db.query(`SELECT * FROM ${S}.postmortems WHERE ${column} = $1`, [value]);
    return row === undefined ? undefined : toPostmortem(row);
  };

  return {
    async createPostmortem(input: NewPostmortem): Promise<{ postmortem: Postmortem; created: boolean }> {
      const value = check('createPostmortem', NewPostmortemInput, input);
      const tags = [...new Set(value.tags)];
      return db.transaction(async (tx) => {
        const id = randomUUID();
        // The unique constraint decides under concurrency: a second insert waits for the first, then does nothing.
        const inserted = await tx.query(
          `INSERT INTO ${S}.postmortems (id, incident_id, title, runbook_id, severity, status, started_at, ended_at,
             outcome, facts, people, review_due_at, tags, sections, created_by, created_at, updated_at, search)
           VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, ''::tsvector)
           ON CONFLICT (incident_id) DO NOTHING RETURNING id`,
          [
            ...[id, value.incidentId, value.title, value.runbookId, value.severity, value.startedAt, value.endedAt],
            ...[value.outcome, JSON.stringify(value.facts), JSON.stringify(value.people), value.reviewDueAt ?? null],
            ...[tags, JSON.stringify(emptySections()), value.createdBy, value.createdAt],
          ],
        );
        if (inserted.length === 0) {
          const [existing] = await tx.query(`SELECT * FROM ${S}.postmortems WHERE incident_id = $1`, [
            value.incidentId,
          ]);
          if (existing === undefined)
            throw new FirebreakError(ErrorCode.Transient, 'post-mortem insert raced: try again');
          return { postmortem: toPostmortem(existing), created: false };
        }
        await tx.query(
          `INSERT INTO ${S}.status_changes (postmortem_id, seq, from_status, to_status, actor, at) VALUES ($1, 1, NULL, 'draft', $2, $3)`,
          [id, value.createdBy, value.createdAt],
        );
        await reindex(tx, id);
        const [row] = await tx.query(`SELECT * FROM ${S}.postmortems WHERE id = $1`, [id]);
        return { postmortem: toPostmortem(row as Row), created: true };
      });
    },

    getPostmortem: (id: string) => byColumn('id', id, 'getPostmortem'),
    getByIncident: (incidentId: string) => byColumn('incident_id', incidentId, 'getByIncident'),

    async listPostmortems(filter: PostmortemFilter = {}): Promise<Page<Postmortem>> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: (placeholder: string) => string, value: unknown) => {
        params.push(value);
        where.push(clause(`$${params.length}`));
      };
      if (filter.status !== undefined) add((p) => `status = ${p}`, check('listPostmortems', Status, filter.status));
      if (filter.runbook !== undefined) add((p) => `runbook_id = ${p}`, check('listPostmortems', Id, filter.runbook));
      if (filter.severity !== undefined)
        add((p) => `severity = ${p}`, check('listPostmortems', SeverityInput, filter.severity));
      if (filter.tag !== undefined) add((p) => `${p} = ANY(tags)`, check('listPostmortems', Tag, filter.tag));
      if (filter.since !== undefined) add((p) => `started_at >= ${p}`, check('listPostmortems', Instant, filter.since));
      if (filter.until !== undefined) add((p) => `started_at < ${p}`, check('listPostmortems', Instant, filter.until));
      if (filter.overdueAt !== undefined) {
        const at = check('listPostmortems', Instant, filter.overdueAt);
        add((p) => `status <> 'published' AND review_due_at IS NOT NULL AND review_due_at < ${p}`, at);
      }
      if (filter.cursor !== undefined) {
        const cursor = decodeCursor(filter.cursor);
        if (cursor === undefined)
          throw new FirebreakError(ErrorCode.InvalidInput, 'listPostmortems: cursor: not a cursor this store returned');
        params.push(cursor.at, cursor.id);
        where.push(`(created_at, id) < ($${params.length - 1}, $${params.length})`);
      }
      const limit = check('listPostmortems', Limit, filter.limit ?? STORE_LIMITS.defaultLimit);
      const rows = await db.query(
        `SELECT * FROM ${S}.postmortems ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
         ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
        params,
      );
      const items = rows.slice(0, limit).map(toPostmortem);
      const last = items.at(-1);
      return rows.length > limit && last !== undefined
        ? { items, nextCursor: encodeCursor(iso(rows[limit - 1]?.created_at), last.id) }
        : { items };
    },

    async editSection(id: string, section: SectionId, text: string, context: EditContext): Promise<SectionRevision> {
      check('editSection', Id, id);
      const value = check('editSection', EditInput, { section, text, ...context });
      return db.transaction(async (tx) => {
        const row = await lockRow(tx, id);
        // Under the row lock, like setStatus: an edit cannot slip in after publication.
        if (row.status === 'published') {
          throw new FirebreakError(
            ErrorCode.Conflict,
            `post-mortem ${id} is published: reopen it to edit ${value.section}`,
            { status: row.status },
          );
        }
        const current = toPostmortem(row).sections[value.section];
        if (current.revision !== value.baseRevision) {
          const by = current.author === undefined ? '' : ` by ${current.author} at ${current.at ?? '?'}`;
          throw new FirebreakError(
            ErrorCode.Conflict,
            `section ${value.section} of post-mortem ${id} is at revision ${current.revision}${by}, not ${value.baseRevision}: reload it and apply your edit again`,
            { section: value.section, revision: current.revision, author: current.author, at: current.at },
          );
        }
        const revision = value.baseRevision + 1;
        await tx.query(
          `INSERT INTO ${S}.section_revisions (postmortem_id, section, revision, body, author, at) VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, value.section, revision, value.text, value.author, value.at],
        );
        const state = { text: value.text, revision, author: value.author, at: new Date(value.at).toISOString() };
        await tx.query(
          `UPDATE ${S}.postmortems SET sections = jsonb_set(sections, ARRAY[$2::text], $3::jsonb), updated_at = greatest(updated_at, $4::timestamptz) WHERE id = $1`,
          [id, value.section, JSON.stringify(state), value.at],
        );
        await reindex(tx, id);
        return { section: value.section, revision, text: value.text, author: value.author, at: state.at };
      });
    },

    async sectionHistory(id: string, section?: SectionId): Promise<SectionRevision[]> {
      check('sectionHistory', Id, id);
      if (section !== undefined) check('sectionHistory', Section, section);
      const [exists] = await db.query(`SELECT 1 FROM ${S}.postmortems WHERE id = $1`, [id]);
      if (exists === undefined) throw notFound(id);
      const rows = await db.query(
        `SELECT * FROM ${S}.section_revisions WHERE postmortem_id = $1 AND ($2::text IS NULL OR section = $2)
         ORDER BY CASE WHEN $2::text IS NULL THEN at END, section, revision`,
        [id, section ?? null],
      );
      return rows.map(toRevision);
    },

    async setStatus(id: string, move: StatusMove): Promise<Postmortem> {
      check('setStatus', Id, id);
      const value = check('setStatus', StatusMoveInput, move);
      if (!POSTMORTEM_TRANSITIONS[value.from].includes(value.to)) {
        const allowed = POSTMORTEM_TRANSITIONS[value.from].join(' or ');
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `setStatus: a ${value.from} post-mortem moves to ${allowed}, not ${value.to}`,
        );
      }
      return db.transaction(async (tx) => {
        const row = await lockRow(tx, id);
        const [last] = await tx.query(
          `SELECT * FROM ${S}.status_changes WHERE postmortem_id = $1 ORDER BY seq DESC LIMIT 1`,
          [id],
        );
        if (row.status !== value.from) {
          const by = last === undefined ? '' : ` (set by ${String(last.actor)} at ${iso(last.at)})`;
          throw new FirebreakError(
            ErrorCode.Conflict,
            `post-mortem ${id} is ${String(row.status)}${by}, not ${value.from}`,
            { status: row.status },
          );
        }
        // The texts the caller checked must still be the texts: an edit between the check and the move wins.
        const sections = toPostmortem(row).sections;
        for (const [section, revision] of Object.entries(value.sections ?? {}) as [SectionId, number][]) {
          const current = sections[section];
          if (current.revision !== revision) {
            throw new FirebreakError(
              ErrorCode.Conflict,
              `section ${section} of post-mortem ${id} changed (revision ${current.revision} by ${current.author ?? '?'}, not ${revision}) after it was checked: check it again`,
              { section, revision: current.revision, author: current.author, at: current.at },
            );
          }
        }
        const seq = Number(last?.seq ?? 0) + 1;
        await tx.query(
          `INSERT INTO ${S}.status_changes (postmortem_id, seq, from_status, to_status, actor, at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [id, seq, value.from, value.to, value.actor, value.at, value.reason ?? null],
        );
        for (const ack of value.acknowledgements ?? []) {
          await tx.query(
            `INSERT INTO ${S}.acknowledgements (postmortem_id, seq, flag, section, line, col, phrase, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [id, seq, ack.flag, ack.section, ack.line, ack.column, ack.phrase, ack.reason],
          );
        }
        const [updated] = await tx.query(
          `UPDATE ${S}.postmortems SET status = $2, updated_at = greatest(updated_at, $3::timestamptz) WHERE id = $1 RETURNING *`,
          [id, value.to, value.at],
        );
        return toPostmortem(updated as Row);
      });
    },

    async statusHistory(id: string): Promise<StatusChange[]> {
      check('statusHistory', Id, id);
      const [exists] = await db.query(`SELECT 1 FROM ${S}.postmortems WHERE id = $1`, [id]);
      if (exists === undefined) throw notFound(id);
      const rows = await db.query(`SELECT * FROM ${S}.status_changes WHERE postmortem_id = $1 ORDER BY seq`, [id]);
      const acks = new Map<number, Acknowledgement[]>();
      const ackRows = await db.query(
        `SELECT * FROM ${S}.acknowledgements WHERE postmortem_id = $1 ORDER BY seq, section, line, col, flag`,
        [id],
      );
      for (const row of ackRows) {
        const seq = Number(row.seq);
        acks.set(seq, [...(acks.get(seq) ?? []), toAcknowledgement(row)]);
      }
      return rows.map((row) => toStatusChange(row, acks.get(Number(row.seq))));
    },

    async fieldHistory(id: string): Promise<FieldChange[]> {
      check('fieldHistory', Id, id);
      const [exists] = await db.query(`SELECT 1 FROM ${S}.postmortems WHERE id = $1`, [id]);
      if (exists === undefined) throw notFound(id);
      // As text: the drivers hand back a jsonb string already parsed, indistinguishable from JSON text.
      const rows = await db.query(
        `SELECT field, value::text AS value, actor, at FROM ${S}.field_changes WHERE postmortem_id = $1 ORDER BY seq`,
        [id],
      );
      return rows.map(toFieldChange);
    },

    async setReviewDue(
      id: string,
      dueAt: string | undefined,
      context: { actor: string; at: string },
    ): Promise<Postmortem> {
      check('setReviewDue', Id, id);
      const due = dueAt === undefined ? null : check('setReviewDue', Instant, dueAt);
      check('setReviewDue', Actor, context.actor);
      const at = check('setReviewDue', Instant, context.at);
      return db.transaction(async (tx) => {
        const row = await lockRow(tx, id);
        // Under the row lock, like editSection: a published post-mortem's review is over.
        if (row.status === 'published') {
          throw new FirebreakError(
            ErrorCode.Conflict,
            `post-mortem ${id} is published: reopen it to set a review date`,
            { status: row.status },
          );
        }
        const [updated] = await tx.query(
          `UPDATE ${S}.postmortems SET review_due_at = $2, updated_at = greatest(updated_at, $3::timestamptz) WHERE id = $1 RETURNING *`,
          [id, due, at],
        );
        const value = due === null ? null : new Date(due).toISOString();
        await recordFieldChange(tx, id, { field: 'reviewDueAt', value, actor: context.actor, at });
        return toPostmortem(updated as Row);
      });
    },

    async setTags(id: string, tags: readonly string[], context: { actor: string; at: string }): Promise<Postmortem> {
      check('setTags', Id, id);
      const unique = [...new Set(check('setTags', Tags, tags))];
      return retag(db, 'setTags', id, () => unique, context);
    },

    async updateTags(id: string, change: TagChange, context: { actor: string; at: string }): Promise<Postmortem> {
      check('updateTags', Id, id);
      const add = check('updateTags', Tags, change.add ?? []);
      const remove = new Set(check('updateTags', Tags, change.remove ?? []));
      return retag(
        db,
        'updateTags',
        id,
        (current) => {
          const kept = current.filter((tag) => !remove.has(tag));
          const tags = [...new Set([...kept, ...add.filter((tag) => !remove.has(tag))])];
          if (tags.length > STORE_LIMITS.tags) {
            throw new FirebreakError(
              ErrorCode.InvalidInput,
              `updateTags: post-mortem ${id} would have ${tags.length} tags; it keeps at most ${STORE_LIMITS.tags}`,
            );
          }
          return tags;
        },
        context,
      );
    },
  };
}

/** Keeps one field change, numbered after the post-mortem's last (the caller holds the row lock). */
export async function recordFieldChange(tx: SqlExecutor, id: string, change: FieldChange): Promise<void> {
  await tx.query(
    `INSERT INTO ${S}.field_changes (postmortem_id, seq, field, value, actor, at)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3::jsonb, $4, $5 FROM ${S}.field_changes WHERE postmortem_id = $1`,
    [id, change.field, JSON.stringify(change.value), change.actor, change.at],
  );
}

/**
 * Sets the tags to what `next` makes of the current ones, under the row lock, and keeps the change (when
 * there is one) in the field history.
 */
async function retag(
  db: SqlClient,
  operation: string,
  id: string,
  next: (current: readonly string[]) => string[],
  context: { actor: string; at: string },
): Promise<Postmortem> {
  check(operation, Actor, context.actor);
  const at = check(operation, Instant, context.at);
  return db.transaction(async (tx) => {
    const row = await lockRow(tx, id);
    const current = (row.tags as string[] | null) ?? [];
    const tags = next(current);
    if (tags.length === current.length && tags.every((tag, index) => tag === current[index])) return toPostmortem(row);
    await tx.query(
      `UPDATE ${S}.postmortems SET tags = $2, updated_at = greatest(updated_at, $3::timestamptz) WHERE id = $1`,
      [id, tags, at],
    );
    await recordFieldChange(tx, id, { field: 'tags', value: tags, actor: context.actor, at });
    await reindex(tx, id);
    const [updated] = await tx.query(`SELECT * FROM ${S}.postmortems WHERE id = $1`, [id]);
    return toPostmortem(updated as Row);
  });
}
