/** Rows as the SQL returns them, turned into the store's types (times as ISO strings, optional fields left out). */
import type { Severity } from '../../domain/plan.js';
import {
  SECTION_IDS,
  type IncidentOutcome,
  type PostmortemFacts,
  type PostmortemPeople,
  type PostmortemStatus,
  type SectionId,
} from '../types.js';
import type { Row } from './sql-client.js';
import type {
  Acknowledgement,
  ActionItem,
  ActionItemPriority,
  FieldChange,
  PostmortemField,
  ActionItemStatus,
  Postmortem,
  SectionRevision,
  SectionState,
  StatusChange,
  Verification,
  VerificationRun,
} from './types.js';

/** An instant from the driver (a Date, or text) as ISO 8601 UTC. */
export function iso(value: unknown): string {
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

function optionalIso(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : iso(value);
}

/** pg and PGlite both parse jsonb; text is accepted for safety. */
function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Every section at revision 0: what a new draft starts with. */
export function emptySections(): Record<SectionId, SectionState> {
  return Object.fromEntries(SECTION_IDS.map((id) => [id, { text: '', revision: 0 }])) as Record<
    SectionId,
    SectionState
  >;
}

/** A `postmortems` row as a Postmortem. */
export function toPostmortem(row: Row): Postmortem {
  const stored = json<Partial<Record<SectionId, SectionState>>>(row.sections);
  const sections = emptySections();
  for (const id of SECTION_IDS) {
    const section = Object.hasOwn(stored, id) ? stored[id] : undefined;
    if (section !== undefined) sections[id] = section;
  }
  const reviewDueAt = optionalIso(row.review_due_at);
  return {
    id: String(row.id),
    incidentId: String(row.incident_id),
    title: String(row.title),
    runbookId: String(row.runbook_id),
    severity: row.severity as Severity,
    status: row.status as PostmortemStatus,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    outcome: row.outcome as IncidentOutcome,
    facts: json<PostmortemFacts>(row.facts),
    people: json<PostmortemPeople>(row.people),
    ...(reviewDueAt === undefined ? {} : { reviewDueAt }),
    tags: (row.tags as string[]) ?? [],
    sections,
    createdBy: String(row.created_by),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A `section_revisions` row. */
export function toRevision(row: Row): SectionRevision {
  return {
    section: row.section as SectionId,
    revision: Number(row.revision),
    text: String(row.body),
    author: String(row.author),
    at: iso(row.at),
  };
}

/** A `status_changes` row. */
export function toStatusChange(row: Row, acknowledgements: readonly Acknowledgement[] = []): StatusChange {
  return {
    ...(row.from_status === null ? {} : { from: row.from_status as PostmortemStatus }),
    to: row.to_status as PostmortemStatus,
    actor: String(row.actor),
    at: iso(row.at),
    ...(row.reason === null ? {} : { reason: row.reason as string }),
    ...(acknowledgements.length === 0 ? {} : { acknowledgements: [...acknowledgements] }),
  };
}

/** An `acknowledgements` row. */
export function toAcknowledgement(row: Row): Acknowledgement {
  return {
    flag: String(row.flag),
    section: row.section as SectionId,
    line: Number(row.line),
    column: Number(row.col),
    phrase: String(row.phrase),
    reason: String(row.reason),
  };
}

/** A `field_changes` row, its `value` selected as text. */
export function toFieldChange(row: Row): FieldChange {
  return {
    field: row.field as PostmortemField,
    // Selected as text (`value::text`), so a JSON string is not mistaken for JSON text.
    value: JSON.parse(String(row.value)) as FieldChange['value'],
    actor: String(row.actor),
    at: iso(row.at),
  };
}

/** An `action_items` row with its runs (aggregated as JSON by the query). */
export function toActionItem(row: Row): ActionItem {
  const runs = json<{ incident_id: string; result: VerificationRun['result']; at: string }[] | null>(row.runs) ?? [];
  const dueAt = optionalIso(row.due_at);
  return {
    id: String(row.id),
    postmortemId: String(row.postmortem_id),
    title: String(row.title),
    owner: String(row.owner),
    ...(dueAt === undefined ? {} : { dueAt }),
    priority: row.priority as ActionItemPriority,
    status: row.status as ActionItemStatus,
    ...(row.status_reason === null ? {} : { statusReason: row.status_reason as string }),
    ...(row.tracker_url === null ? {} : { trackerUrl: row.tracker_url as string }),
    ...(row.verify === null ? {} : { verify: json<Verification>(row.verify) }),
    runs: runs.map((run): VerificationRun => ({ incidentId: run.incident_id, result: run.result, at: iso(run.at) })),
    version: Number(row.version),
    createdBy: String(row.created_by),
    createdAt: iso(row.created_at),
    updatedBy: String(row.updated_by),
    updatedAt: iso(row.updated_at),
  };
}

/** Encodes a keyset position as an opaque cursor. */
export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

/** Decodes a cursor, or returns undefined when it is not one this store made. */
export function decodeCursor(cursor: string): { at: string; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, id] = value as unknown[];
    if (typeof at !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(at))) return undefined;
    return { at, id };
  } catch {
    return undefined;
  }
}
