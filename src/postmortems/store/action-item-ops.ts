/** Action items and their verification runs, over the SqlClient. */
import { randomUUID } from 'node:crypto';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { STORE_LIMITS } from './limits.js';
import { STORE_SCHEMA as S } from './migrations/index.js';
import { decodeCursor, encodeCursor, iso, toActionItem } from './rows.js';
import type { Row, SqlClient, SqlExecutor } from './sql-client.js';
import {
  OPEN_ACTION_ITEM_STATUSES,
  type ActionItem,
  type ActionItemFilter,
  type ActionItemStatus,
  type ActionItemUpdate,
  type NewActionItem,
  type Page,
} from './types.js';
import { ActionItemUpdateInput, check, Id, Instant, ItemStatus, Limit, NewActionItemInput, Owner } from './validate.js';

const SELECT_ITEM = `SELECT a.*, (SELECT json_agg(json_build_object('incident_id', r.incident_id, 'result', r.result, 'at', r.at) ORDER BY r.seq)
  FROM ${S}.verification_runs r WHERE r.action_item_id = a.id) AS runs FROM ${S}.action_items a`;

function requireReason(operation: string, status: ActionItemStatus, reason: string | null | undefined): void {
  if (status === 'wont-do' && (reason === undefined || reason === null)) {
    throw new FirebreakError(ErrorCode.InvalidInput, `${operation}: statusReason: won't-do needs a reason`);
  }
}

async function readItem(tx: SqlExecutor, id: string): Promise<ActionItem> {
  const [row] = await tx.query(`${SELECT_ITEM} WHERE a.id = $1`, [id]);
  return toActionItem(row as Row);
}

/** The action item operations of the store. */
export function actionItemOps(db: SqlClient) {
  return {
    async addActionItem(input: NewActionItem): Promise<ActionItem> {
      const value = check('addActionItem', NewActionItemInput, input);
      const status = value.status ?? 'open';
      requireReason('addActionItem', status, value.statusReason);
      return db.transaction(async (tx) => {
        const [parent] = await tx.query(`SELECT 1 FROM ${S}.postmortems WHERE id = $1 FOR SHARE`, [value.postmortemId]);
        if (parent === undefined) {
          throw new FirebreakError(
            ErrorCode.NotFound,
            `addActionItem: no post-mortem ${JSON.stringify(value.postmortemId)}`,
          );
        }
        const id = randomUUID();
        await tx.query(
          `INSERT INTO ${S}.action_items (id, postmortem_id, title, owner, due_at, priority, status, status_reason, tracker_url,
             verify, version, created_by, created_at, updated_by, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $11, $12)`,
          [
            ...[id, value.postmortemId, value.title, value.owner, value.dueAt ?? null, value.priority, status],
            ...[
              value.statusReason ?? null,
              value.trackerUrl ?? null,
              value.verify === undefined ? null : JSON.stringify(value.verify),
            ],
            ...[value.createdBy, value.createdAt],
          ],
        );
        return readItem(tx, id);
      });
    },

    async updateActionItem(id: string, update: ActionItemUpdate): Promise<ActionItem> {
      check('updateActionItem', Id, id);
      const value = check('updateActionItem', ActionItemUpdateInput, update);
      return db.transaction(async (tx) => {
        const [row] = await tx.query(`SELECT * FROM ${S}.action_items WHERE id = $1 FOR UPDATE`, [id]);
        if (row === undefined) throw new FirebreakError(ErrorCode.NotFound, `no action item ${JSON.stringify(id)}`);
        const version = Number(row.version);
        if (version !== value.baseVersion) {
          throw new FirebreakError(
            ErrorCode.Conflict,
            `action item ${id} is at version ${version} (updated by ${String(row.updated_by)} at ${iso(row.updated_at)}), not ${value.baseVersion}: reload it and apply your change again`,
            { version, updatedBy: row.updated_by },
          );
        }
        const patch = value.patch;
        const status = patch.status ?? (row.status as ActionItemStatus);
        // A reason belongs to the status it explains: a new status without one clears the old reason.
        const reason =
          patch.statusReason !== undefined
            ? patch.statusReason
            : patch.status !== undefined && patch.status !== row.status
              ? null
              : (row.status_reason as string | null);
        requireReason('updateActionItem', status, reason);
        const pick = <T>(next: T | undefined, current: unknown): unknown => (next === undefined ? current : next);
        const verify = patch.verify === undefined ? row.verify : patch.verify === null ? null : patch.verify;
        await tx.query(
          `UPDATE ${S}.action_items SET title = $2, owner = $3, due_at = $4, priority = $5, status = $6, status_reason = $7,
             tracker_url = $8, verify = $9, version = version + 1, updated_by = $10, updated_at = $11 WHERE id = $1`,
          [
            ...[id, pick(patch.title, row.title), pick(patch.owner, row.owner), pick(patch.dueAt, row.due_at)],
            ...[pick(patch.priority, row.priority), status, reason, pick(patch.trackerUrl, row.tracker_url)],
            ...[verify === null ? null : JSON.stringify(verify), value.actor, value.at],
          ],
        );
        if (value.run !== undefined) {
          await tx.query(
            `INSERT INTO ${S}.verification_runs (action_item_id, seq, incident_id, result, at)
             SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM ${S}.verification_runs WHERE action_item_id = $1`,
            [id, value.run.incidentId, value.run.result, value.run.at],
          );
        }
        return readItem(tx, id);
      });
    },

    async getActionItem(id: string): Promise<ActionItem | undefined> {
      check('getActionItem', Id, id);
      const [row] = await db.query(`${SELECT_ITEM} WHERE a.id = $1`, [id]);
      return row === undefined ? undefined : toActionItem(row);
    },

    async listActionItems(filter: ActionItemFilter = {}): Promise<Page<ActionItem>> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: (placeholder: string) => string, value: unknown) => {
        params.push(value);
        where.push(clause(`$${params.length}`));
      };
      const op = 'listActionItems';
      if (filter.owner !== undefined) add((p) => `a.owner = ${p}`, check(op, Owner, filter.owner));
      if (filter.owners !== undefined) {
        add(
          (p) => `a.owner = ANY(${p}::text[])`,
          filter.owners.map((owner) => check(op, Owner, owner)),
        );
      }
      if (filter.postmortemId !== undefined) add((p) => `a.postmortem_id = ${p}`, check(op, Id, filter.postmortemId));
      if (filter.status !== undefined) {
        const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
        add(
          (p) => `a.status = ANY(${p}::text[])`,
          statuses.map((status) => check(op, ItemStatus, status)),
        );
      }
      if (filter.overdueAt !== undefined) {
        add((p) => `a.due_at < ${p}`, check(op, Instant, filter.overdueAt));
        add((p) => `a.status = ANY(${p}::text[])`, [...OPEN_ACTION_ITEM_STATUSES]);
      }
      if (filter.cursor !== undefined) {
        const cursor = decodeCursor(filter.cursor);
        if (cursor === undefined)
          throw new FirebreakError(ErrorCode.InvalidInput, `${op}: cursor: not a cursor this store returned`);
        params.push(cursor.at, cursor.id);
        where.push(`(a.created_at, a.id) > ($${params.length - 1}, $${params.length})`);
      }
      const limit = check(op, Limit, filter.limit ?? STORE_LIMITS.defaultLimit);
      const rows = await db.query(
        `${SELECT_ITEM} ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY a.created_at, a.id LIMIT ${limit + 1}`,
        params,
      );
      const items = rows.slice(0, limit).map(toActionItem);
      const last = items.at(-1);
      return rows.length > limit && last !== undefined
        ? { items, nextCursor: encodeCursor(iso(rows[limit - 1]?.created_at), last.id) }
        : { items };
    },
  };
}
