/**
 * Input checks at the store's boundary, against STORE_LIMITS. A bad input throws INVALID_INPUT naming the
 * operation, the field and the problem, before anything is written.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { SEVERITIES, type Severity } from '../../domain/plan.js';
import { INCIDENT_STATUSES } from '../../domain/state.js';
import { POSTMORTEM_STATUSES, SECTION_IDS } from '../types.js';
import { STORE_LIMITS as L } from './limits.js';
import { ACTION_ITEM_PRIORITIES, ACTION_ITEM_STATUSES } from './types.js';

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const jsonBytes = (value: unknown) => utf8Bytes(JSON.stringify(value) ?? '');

/** An ISO 8601 instant with a zone (`2026-05-01T10:00:00Z`, `...+02:00`). */
export const Instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/, {
    error: 'expected an ISO 8601 instant such as 2026-05-01T10:00:00Z',
  })
  .refine((text) => !Number.isNaN(Date.parse(text)), { error: 'not a real date and time' });

// Tab, line feed and carriage return are text; other control characters (NUL above all) are not.
const NO_CONTROLS = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const Text = z.string().regex(NO_CONTROLS, { error: 'must not contain control characters' });
const OneLine = (max: number) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(/^[^\p{Cc}]*$/u, { error: 'must be one line without control characters' });

/** An opaque id, incident id or runbook id: one line. */
export const Id = OneLine(L.idChars);
/** A roster id or `role:<name>`. */
export const Owner = z.string().regex(/^(?:role:[A-Za-z][A-Za-z0-9_-]*|[A-Za-z0-9][A-Za-z0-9._-]*)$/, {
  error: 'expected a roster id or role:<name>',
});
export const Actor = OneLine(L.idChars);
export const Title = OneLine(L.titleChars);
export const Tag = z.string().trim().pipe(OneLine(L.tagChars));
export const Tags = z.array(Tag).max(L.tags, { error: `at most ${L.tags} tags` });
export const SectionText = Text.refine((text) => utf8Bytes(text) <= L.sectionBytes, {
  error: `must be at most ${L.sectionBytes} bytes (UTF-8)`,
});
export const Section = z.enum(SECTION_IDS);
export const Status = z.enum(POSTMORTEM_STATUSES);
export const SeverityInput = z.enum(SEVERITIES as [Severity, ...Severity[]]);
export const Reason = OneLine(L.reasonChars);
const Revision = z.int({ error: 'expected a whole number' }).min(0, { error: 'must be 0 or more' });

// The object itself, not a copy: zod's record rebuilds it and drops a `__proto__` key, which is a legal
// JSON name (a runbook param may carry it).
const JsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  { error: 'expected an object' },
);

export const NewPostmortemInput = z.object({
  incidentId: Id,
  title: Title,
  runbookId: Id,
  severity: SeverityInput,
  startedAt: Instant,
  endedAt: Instant,
  outcome: z.enum(INCIDENT_STATUSES.filter((status) => status !== 'running') as [string, ...string[]]),
  facts: JsonObject.refine((facts) => jsonBytes(facts) <= L.factsBytes, {
    error: `must be at most ${L.factsBytes} bytes as JSON`,
  }),
  people: z.object({ facilitators: z.array(Id), reviewers: z.array(Id), audience: z.array(Id) }),
  reviewDueAt: Instant.optional(),
  tags: Tags,
  createdBy: Actor,
  createdAt: Instant,
});

export const EditInput = z.object({
  section: Section,
  text: SectionText,
  author: Actor,
  at: Instant,
  baseRevision: Revision,
});

export const StatusMoveInput = z.object({
  from: Status,
  to: Status,
  actor: Actor,
  at: Instant,
  reason: Reason.optional(),
  sections: z.partialRecord(Section, z.number().int().nonnegative()).optional(),
  acknowledgements: z
    .array(
      z.object({
        flag: Id,
        section: Section,
        line: z.int().min(1),
        column: z.int().min(1),
        phrase: OneLine(L.phraseChars),
        reason: Reason,
      }),
    )
    .max(L.acknowledgements, { error: `at most ${L.acknowledgements} acknowledgements` })
    .refine((acks) => new Set(acks.map((ack) => ack.flag)).size === acks.length, {
      error: 'a flag is acknowledged once',
    })
    .optional(),
});

const TrackerUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .max(L.urlChars, { error: `must be at most ${L.urlChars} characters` });
const Verify = z.strictObject({
  runbook: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'expected a runbook id' }),
  params: JsonObject.refine((params) => jsonBytes(params) <= L.verifyParamsBytes, {
    error: `must be at most ${L.verifyParamsBytes} bytes as JSON`,
  }),
});
export const ItemStatus = z.enum(ACTION_ITEM_STATUSES);
const Priority = z.enum(ACTION_ITEM_PRIORITIES);

export const NewActionItemInput = z.object({
  postmortemId: Id,
  title: Title,
  owner: Owner,
  dueAt: Instant.optional(),
  priority: Priority,
  status: ItemStatus.optional(),
  statusReason: Reason.optional(),
  trackerUrl: TrackerUrl.optional(),
  verify: Verify.optional(),
  createdBy: Actor,
  createdAt: Instant,
});

export const ActionItemUpdateInput = z.object({
  baseVersion: z.int({ error: 'expected a whole number' }).min(1, { error: 'must be 1 or more' }),
  actor: Actor,
  at: Instant,
  patch: z.strictObject({
    title: Title.optional(),
    owner: Owner.optional(),
    dueAt: Instant.nullable().optional(),
    priority: Priority.optional(),
    status: ItemStatus.optional(),
    statusReason: Reason.nullable().optional(),
    trackerUrl: TrackerUrl.nullable().optional(),
    verify: Verify.nullable().optional(),
  }),
  run: z.object({ incidentId: Id, result: z.enum(['pending', 'passed', 'failed']), at: Instant }).optional(),
});

export const Limit = z
  .int({ error: 'expected a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(L.maxLimit, { error: `must be at most ${L.maxLimit}` });

export const QueryText = z
  .string()
  .max(L.queryChars, { error: `must be at most ${L.queryChars} characters` })
  .regex(/\S/, { error: 'must not be empty' })
  .regex(NO_CONTROLS, { error: 'must not contain control characters' });

/** Parses `value` with `schema`, or throws INVALID_INPUT: `<operation>: <field>: <problem>; ...`. */
export function check<S extends z.ZodType>(operation: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.map(String).join('.');
    return where === '' ? issue.message : `${where}: ${issue.message}`;
  });
  throw new FirebreakError(ErrorCode.InvalidInput, `${operation}: ${problems.join('; ')}`);
}
