/**
 * What a schedule hands its runs and what a run records about itself (workflow-safe: used by the
 * scheduled-trigger workflow, its activity and the schedule client).
 */
import type { JsonValue, Severity } from './plan.js';

/**
 * The input of every run of a schedule: the trigger as given at creation or at the last update. It names
 * the runbook, never its plan, so each run prepares its incident from the runbook as it is at that moment.
 * It is also where a schedule's current values are read from, since a schedule's memo cannot be changed.
 */
export interface ScheduledTrigger {
  scheduleId: string;
  runbook: string;
  /** The params given (already checked then, checked again at each run); defaults are not frozen. */
  params: Record<string, JsonValue>;
  severity?: Severity;
  /**
   * The schedule's cron expression and time zone, for display only: runs ignore them (the schedule's spec
   * decides when a run is taken). Absent in schedules created before updates existed; their memo has them.
   */
  cron?: string;
  timezone?: string;
  /** Who last updated the schedule, and when (ISO 8601); absent until its first update. */
  updatedBy?: string;
  updatedAt?: string;
}

/** What a scheduled run returns: the incident it started and how that incident ended. */
export interface ScheduledRunResult {
  incidentId: string;
  /** The incident's final status: `completed`, `cancelled`, `aborted`, `failed`, `terminated` or `timed_out`. */
  status: string;
}

/**
 * The memo a scheduled run keeps up to date, so that the schedule can show what each run did without a
 * worker: the incident once started, the plan it ran, its final status, or why no incident started.
 */
export interface ScheduledRunMemo {
  incidentId?: string;
  /** The runbook version and content hash the incident was started from. */
  version?: number;
  contentHash?: string;
  status?: string;
  error?: string;
}
