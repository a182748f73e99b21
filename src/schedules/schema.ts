/**
 * Schedules as Firebreak shows them (API answers, CLI output), and the memo a schedule carries. The
 * answer schemas are loose, so `--json` prints every field a newer server sends.
 */
import { z } from 'zod';
import { JsonValue } from '../runbook/schema.js';

const Instant = z.string().describe('ISO 8601 instant');

/**
 * What a Firebreak schedule records about itself in its Temporal memo, for listing without reading each
 * schedule's action: the trigger as given and who created it.
 */
export const ScheduleMemoSchema = z.object({
  runbook: z.string(),
  cron: z.string(),
  timezone: z.string().optional(),
  params: z.record(z.string(), JsonValue),
  severity: z.string().optional(),
  createdBy: z.string().optional(),
  createdAt: Instant.optional(),
});
export type ScheduleMemo = z.infer<typeof ScheduleMemoSchema>;

/**
 * The action's argument (a ScheduledTrigger), read back to show a schedule's current values: unlike the
 * memo, it changes with each update. `cron` is present once written by a version that updates schedules.
 */
export const ScheduledTriggerArgsSchema = z.looseObject({
  scheduleId: z.string(),
  runbook: z.string(),
  params: z.record(z.string(), JsonValue),
  severity: z.string().optional(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  updatedBy: z.string().optional(),
  updatedAt: Instant.optional(),
});

/** What a scheduled run records in its own memo (see ScheduledRunMemo), read back when showing it. */
export const ScheduledRunMemoSchema = z.object({
  incidentId: z.string().optional(),
  version: z.number().optional(),
  contentHash: z.string().optional(),
  status: z.string().optional(),
  error: z.string().optional(),
});

/** One run a schedule took (on time or triggered by hand), with the incident it started. */
export const ScheduleRunSchema = z.looseObject({
  workflowId: z.string().describe('the scheduled run (a scheduledTriggerWorkflow)'),
  scheduledAt: Instant,
  startedAt: Instant,
  status: z.string().describe('the run: running, completed, failed (no incident started), or unknown'),
  incidentId: z.string().optional(),
  incidentStatus: z.string().optional().describe('running, or how the incident ended'),
  version: z.number().optional().describe('the runbook version the incident ran'),
  error: z.string().optional().describe('why the run started no incident'),
});
export type ScheduleRun = z.infer<typeof ScheduleRunSchema>;

/** A schedule in a list. */
export const ScheduleSummarySchema = z.looseObject({
  scheduleId: z.string(),
  runbook: z.string(),
  cron: z.string(),
  timezone: z.string().optional(),
  params: z.record(z.string(), JsonValue),
  severity: z.string().optional(),
  paused: z.boolean(),
  note: z.string().optional(),
  createdBy: z.string().optional(),
  createdAt: Instant.optional(),
  updatedBy: z.string().optional().describe('who last updated the schedule; absent until its first update'),
  updatedAt: Instant.optional(),
  nextRun: Instant.optional(),
  lastRun: ScheduleRunSchema.optional(),
});
export type ScheduleSummary = z.infer<typeof ScheduleSummarySchema>;

/** One schedule, whole: its timing, policies, upcoming runs and the recent runs with their incidents. */
export const ScheduleDetailSchema = ScheduleSummarySchema.extend({
  nextRuns: z.array(Instant),
  recentRuns: z.array(ScheduleRunSchema).describe('oldest first; Temporal keeps the last 10'),
  overlap: z.string().describe('SKIP: a run due while the previous one is still going is skipped'),
  catchupWindowMs: z.number(),
  runsTaken: z.number(),
  skippedOverlap: z.number(),
  missedCatchupWindow: z.number(),
});
export type ScheduleDetail = z.infer<typeof ScheduleDetailSchema>;

/** One value an update changed: before and after (null when absent: a param unset, a time zone cleared). */
export const ScheduleChangeSchema = z.object({ from: JsonValue, to: JsonValue });
export type ScheduleChange = z.infer<typeof ScheduleChangeSchema>;

/** What an update changed, by field (`cron`, `timezone`, `severity`, `note`, `params.<name>`). */
export const ScheduleChangesSchema = z.record(z.string(), ScheduleChangeSchema);
export type ScheduleChanges = z.infer<typeof ScheduleChangesSchema>;
