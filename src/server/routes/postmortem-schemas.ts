/** The request and response schemas of the post-mortem routes. */
import { z } from 'zod';
import { SEVERITIES } from '../../domain/plan.js';
import { POSTMORTEM_FIELDS, STORE_LIMITS } from '../../postmortems/store/index.js';
import { POSTMORTEM_STATUSES, SECTION_IDS } from '../../postmortems/types.js';
import { POSTMORTEM_FORMATS } from '../../postmortems/render.js';
import { RunbookIdText } from './shared.js';

/** A post-mortem id in a path (the store makes UUIDs; anything id-like is looked up, and unknown is a 404). */
export const PostmortemIdParam = z.strictObject({
  id: z
    .string()
    .max(STORE_LIMITS.idChars)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { error: 'expected a post-mortem id' }),
});

export const SectionParam = z.enum(SECTION_IDS, { error: `expected one of ${SECTION_IDS.join(', ')}` });
const Status = z.enum(POSTMORTEM_STATUSES, { error: `expected one of ${POSTMORTEM_STATUSES.join(', ')}` });
const Instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 instant (2026-01-31T00:00:00Z)' });
const Tag = z.string().min(1).max(STORE_LIMITS.tagChars);
const Limit = z.coerce.number().int().min(1).max(STORE_LIMITS.maxLimit);

export const ListQuery = z.strictObject({
  status: Status.optional(),
  runbook: RunbookIdText.optional(),
  severity: z.enum(SEVERITIES).optional(),
  tag: Tag.optional(),
  since: Instant.optional().describe('only incidents that started at or after this instant'),
  limit: Limit.default(50),
});

export const SearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(STORE_LIMITS.queryChars).describe('web-search syntax: "exact phrase", or, -word'),
  runbook: RunbookIdText.optional(),
  severity: z.enum(SEVERITIES).optional(),
  tag: Tag.optional(),
  since: Instant.optional().describe('only incidents that started at or after this instant'),
  limit: Limit.default(20),
});

export const ExportQuery = z.strictObject({ format: z.enum(POSTMORTEM_FORMATS).default('md') });
export const HistoryQuery = z.strictObject({ section: SectionParam.optional() });

/** Section text: the store's limits (bytes, control characters) are checked again by the store. */
const SectionText = z.string().max(STORE_LIMITS.sectionBytes);

export const EditBody = z.strictObject({
  text: SectionText,
  baseRevision: z.int().min(0).describe('the revision the text was written on; a newer one is a 409'),
});

const Reason = z.string().trim().min(1).max(STORE_LIMITS.reasonChars);
export const StatusBody = z.strictObject({
  from: Status.describe('the status you saw; a post-mortem that moved since is a 409'),
  to: Status,
  reason: Reason.optional().describe('why; required to reopen a published post-mortem'),
  acknowledgements: z
    .array(
      z.strictObject({
        flag: z.string().min(1).max(64).describe('a blameless flag id'),
        reason: z.string().trim().min(1).max(500).describe('why the sentence stays as written'),
      }),
    )
    .max(100)
    .optional()
    .describe('blameless flags kept as written, each with a reason (to publish)'),
});

const Section = z.object({
  text: z.string(),
  revision: z.int(),
  author: z.string().optional(),
  at: z.string().optional(),
});
const People = z.object({
  facilitators: z.array(z.string()),
  reviewers: z.array(z.string()),
  audience: z.array(z.string()),
});

export const PostmortemSummary = z
  .object({
    id: z.string(),
    incidentId: z.string(),
    title: z.string(),
    runbookId: z.string(),
    severity: z.string(),
    status: Status,
    startedAt: z.string(),
    endedAt: z.string(),
    outcome: z.string(),
    people: People,
    reviewDueAt: z.string().optional(),
    tags: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'PostmortemSummary' });

export const PostmortemSchema = PostmortemSummary.extend({
  facts: z.looseObject({}).describe('drafted from the incident; never edited (src/postmortems/types.ts)'),
  sections: z.record(z.string(), Section),
  createdBy: z.string(),
}).meta({ id: 'Postmortem' });

export const RevisionSchema = z.object({
  section: z.string(),
  revision: z.int(),
  text: z.string(),
  author: z.string(),
  at: z.string(),
});

export const StatusChangeSchema = z.object({
  from: z.string().optional(),
  to: z.string(),
  actor: z.string(),
  at: z.string(),
  reason: z.string().optional(),
  acknowledgements: z
    .array(
      z.object({
        flag: z.string(),
        section: z.string(),
        line: z.int(),
        column: z.int(),
        phrase: z.string(),
        reason: z.string(),
      }),
    )
    .optional()
    .describe('the blameless flags kept as written at this publication, each with why'),
});

const TagText = z
  .string()
  .trim()
  .min(1)
  .max(STORE_LIMITS.tagChars)
  .regex(/^[^\p{Cc}]*$/u, { error: 'a tag is one line without control characters' });
export const TagsBody = z
  .strictObject({
    add: z.array(TagText).max(STORE_LIMITS.tags).optional().describe('tags to add (those already there stay once)'),
    remove: z
      .array(TagText)
      .max(STORE_LIMITS.tags)
      .optional()
      .describe('tags to remove (wins over an add of the same)'),
  })
  .refine((body) => (body.add?.length ?? 0) + (body.remove?.length ?? 0) > 0, {
    error: 'give tags to add or to remove',
  });

export const FieldChangeSchema = z.object({
  field: z.enum(POSTMORTEM_FIELDS),
  value: z.unknown().describe('the new value: the tags, or the review due date (null: cleared)'),
  actor: z.string(),
  at: z.string(),
});

export const FlagSchema = z
  .object({
    id: z.string(),
    section: z.string(),
    line: z.int(),
    column: z.int(),
    sentence: z.string(),
    match: z.string(),
    rule: z.string(),
    instead: z.string(),
  })
  .meta({ id: 'BlamelessFlag' });

export const SearchHitSchema = z.object({
  postmortem: z.object({
    id: z.string(),
    incidentId: z.string(),
    title: z.string(),
    runbookId: z.string(),
    severity: z.string(),
    status: z.string(),
    startedAt: z.string(),
    tags: z.array(z.string()),
  }),
  rank: z.number(),
  snippets: z.array(
    z.object({
      section: z.string(),
      text: z.string(),
      highlights: z.array(z.object({ start: z.int(), end: z.int() })).describe('[start, end) offsets into text'),
    }),
  ),
});
