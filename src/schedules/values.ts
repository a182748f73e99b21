/**
 * What a schedule is now. Its Temporal memo is written once, at creation, and cannot be changed; an update
 * changes the schedule's action instead. So the current cron expression, time zone, params and severity are
 * read from the action's argument (a ScheduledTrigger), and the memo remains the record of the creation.
 */
import { ScheduledTriggerArgsSchema, type ScheduleMemo } from './schema.js';

/** A schedule's current values: the runbook, timing and trigger, who created it and who last updated it. */
export type ScheduleValues = ScheduleMemo & { updatedBy?: string; updatedAt?: string };

/**
 * The current values from the memo and the action's arguments. The arguments win; the timing comes from
 * the memo only for schedules created before updates existed, whose arguments carry no cron expression.
 */
export function currentValues(memo: ScheduleMemo, args: readonly unknown[] | undefined): ScheduleValues {
  const parsed = ScheduledTriggerArgsSchema.safeParse(args?.[0]);
  if (!parsed.success) return memo;
  const trigger = parsed.data;
  // Once the arguments carry the timing, an absent time zone there means UTC (it may have been cleared).
  const timezone = trigger.cron === undefined ? memo.timezone : trigger.timezone;
  return {
    runbook: memo.runbook,
    cron: trigger.cron ?? memo.cron,
    ...(timezone === undefined ? {} : { timezone }),
    params: trigger.params,
    ...(trigger.severity === undefined ? {} : { severity: trigger.severity }),
    ...(memo.createdBy === undefined ? {} : { createdBy: memo.createdBy }),
    ...(memo.createdAt === undefined ? {} : { createdAt: memo.createdAt }),
    ...(trigger.updatedBy === undefined ? {} : { updatedBy: trigger.updatedBy }),
    ...(trigger.updatedAt === undefined ? {} : { updatedAt: trigger.updatedAt }),
  };
}
