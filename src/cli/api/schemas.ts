/**
 * The answers of the Firebreak API as the CLI reads them, checked at the boundary. Objects are loose so
 * that `--json` prints every field the server sent, including ones this version does not know.
 */
import { z } from 'zod';
import { IncidentStateSchema, MessageRecordSchema, PendingMessagesSchema } from '../../incidents/state-schema.js';
import { ScheduleChangesSchema, ScheduleDetailSchema, ScheduleSummarySchema } from '../../schedules/schema.js';

const Instant = z.string();

/** `POST /incidents`: the incident started, or the open one a dedup key led to. */
export const TriggerResponse = z.looseObject({ incidentId: z.string(), created: z.boolean() });
export type TriggerResponse = z.infer<typeof TriggerResponse>;

/** One row of `GET /incidents`. */
export const IncidentSummary = z.looseObject({
  incidentId: z.string(),
  runbook: z.string(),
  severity: z.string(),
  /** incident or job; absent from servers before kinds. */
  kind: z.string().optional(),
  status: z.string(),
  startedAt: Instant,
  closedAt: Instant.nullish(),
});
export type IncidentSummary = z.infer<typeof IncidentSummary>;

/** `GET /incidents`. */
export const IncidentList = z.looseObject({
  incidents: z.array(IncidentSummary),
  /** The server examined only the newest matches for incidents the caller may read. */
  truncated: z.boolean().optional(),
});
export type IncidentList = z.infer<typeof IncidentList>;

/** `POST` of a command (cancel, task, fact, decision, vote). */
export const CommandResponse = z.looseObject({ ok: z.literal(true), message: z.string() });
export type CommandResponse = z.infer<typeof CommandResponse>;

/** `POST /incidents/{id}/postmortem`: the post-mortem drafted (201) or the one the incident had (200). */
export const DraftedPostmortem = z.looseObject({
  id: z.string(),
  incidentId: z.string(),
  title: z.string(),
  status: z.string(),
  people: z.looseObject({ facilitators: z.array(z.string()), reviewers: z.array(z.string()) }),
  reviewDueAt: Instant.optional(),
  createdBy: z.string(),
  createdAt: Instant,
});
export type DraftedPostmortem = z.infer<typeof DraftedPostmortem>;

/** One runbook of `GET /runbooks`. */
export const RunbookSummary = z.looseObject({
  id: z.string(),
  title: z.string(),
  version: z.number(),
  severity: z.string(),
  params: z.record(
    z.string(),
    z.looseObject({
      type: z.string(),
      required: z.boolean(),
      default: z.json().optional(),
      enum: z.array(z.string()).optional(),
    }),
  ),
});

/** `GET /runbooks`. */
export const RunbookList = z.looseObject({ runbooks: z.array(RunbookSummary) });
export type RunbookList = z.infer<typeof RunbookList>;

/** `GET /incidents/{id}`: the whole incident, as the run's `state` query returns it. */
export const IncidentResponse = z.looseObject({ incident: IncidentStateSchema });
export type IncidentResponse = z.infer<typeof IncidentResponse>;

/** `GET /incidents/{id}/messages/{stepId}`: one notify step's message. */
export const MessageResponse = z.looseObject({ message: MessageRecordSchema });
export type MessageResponse = z.infer<typeof MessageResponse>;

/** `GET /messages/pending`: messages awaiting approval, with what could not be read. */
export const PendingMessageList = PendingMessagesSchema;
export type PendingMessageList = z.infer<typeof PendingMessageList>;

/** `GET /schedules`. */
export const ScheduleList = z.looseObject({ schedules: z.array(ScheduleSummarySchema) });
export type ScheduleList = z.infer<typeof ScheduleList>;

/** `GET /schedules/{id}` and `POST /schedules`: one schedule, whole. */
export const ScheduleResponse = z.looseObject({ schedule: ScheduleDetailSchema });
export type ScheduleResponse = z.infer<typeof ScheduleResponse>;

/** `PATCH /schedules/{id}`: the schedule as updated, and each value that changed. */
export const ScheduleUpdateResponse = z.looseObject({ schedule: ScheduleDetailSchema, changes: ScheduleChangesSchema });
export type ScheduleUpdateResponse = z.infer<typeof ScheduleUpdateResponse>;
