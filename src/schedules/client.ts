/**
 * Schedules for any runbook, on Temporal Schedules. A schedule's action starts `scheduledTriggerWorkflow`
 * with the runbook id and the params given, never a plan, so every run uses the runbook as it is then.
 * Overlapping runs are skipped (a run lasts as long as its incident), and a run missed while Temporal was
 * down is taken only within a short catch-up window.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleSummary as TemporalScheduleSummary,
} from '@temporalio/client';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { ScheduledTrigger } from '../domain/schedule.js';
import { RUNBOOK_ATTRIBUTE } from '../domain/search-attributes.js';
import { INCIDENT_TASK_QUEUE, SCHEDULED_TRIGGER_WORKFLOW } from '../temporal/names.js';
import type { NewSchedule } from './prepare.js';
import { readRun, readRuns } from './runs.js';
import {
  ScheduleMemoSchema,
  type ScheduleDetail,
  type ScheduleMemo,
  type ScheduleRun,
  type ScheduleSummary,
} from './schema.js';
import { scheduleSpec } from './spec.js';

/** How late a run missed during an outage may still be taken; older ones are dropped. */
export const CATCHUP_WINDOW_MS = 60_000;

/** A cron expression Temporal refused (the local check let it through). */
export class InvalidCronError extends FirebreakError {
  constructor(message: string) {
    super(ErrorCode.InvalidInput, message);
  }
}

/** Creates, reads and drives Firebreak's schedules; schedules of anything else are invisible to it. */
export class ScheduleService {
  constructor(
    private readonly client: Client,
    private readonly taskQueue = INCIDENT_TASK_QUEUE,
  ) {}

  /** Creates a schedule (refusing an id in use) and returns it as `get` would. */
  async create(schedule: NewSchedule, now = new Date()): Promise<ScheduleDetail> {
    const trigger: ScheduledTrigger = {
      scheduleId: schedule.scheduleId,
      runbook: schedule.runbook,
      params: schedule.params,
      ...(schedule.severity === undefined ? {} : { severity: schedule.severity }),
    };
    const memo: ScheduleMemo = {
      runbook: schedule.runbook,
      cron: schedule.cron,
      params: schedule.params,
      createdBy: schedule.createdBy,
      createdAt: now.toISOString(),
      ...(schedule.timezone === undefined ? {} : { timezone: schedule.timezone }),
      ...(schedule.severity === undefined ? {} : { severity: schedule.severity }),
    };
    try {
      await this.client.schedule.create({
        scheduleId: schedule.scheduleId,
        spec: scheduleSpec(schedule.cron, schedule.timezone),
        action: {
          type: 'startWorkflow',
          workflowType: SCHEDULED_TRIGGER_WORKFLOW,
          // Temporal appends each run's time to this id.
          workflowId: schedule.scheduleId,
          taskQueue: this.taskQueue,
          args: [trigger],
          staticSummary: `Scheduled run of ${schedule.runbook} (schedule ${schedule.scheduleId})`,
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false },
        memo,
        typedSearchAttributes: [{ key: RUNBOOK_ATTRIBUTE, value: schedule.runbook }],
        state: schedule.note === undefined ? {} : { note: schedule.note },
      });
    } catch (error) {
      if (error instanceof ScheduleAlreadyRunning) {
        throw new FirebreakError(ErrorCode.Conflict, `a schedule with id ${schedule.scheduleId} already exists`);
      }
      // The client turns Temporal's "Invalid schedule spec" into a TypeError carrying the reason.
      if (error instanceof TypeError) throw new InvalidCronError(error.message);
      throw error;
    }
    return this.get(schedule.scheduleId);
  }

  /** Every Firebreak schedule, sorted by id, with its next run and what its last run did. */
  async list(): Promise<ScheduleSummary[]> {
    const found: { summary: TemporalScheduleSummary; memo: ScheduleMemo }[] = [];
    for await (const summary of this.client.schedule.list()) {
      const memo = firebreakMemo(summary.action?.workflowType, summary.memo);
      if (memo) found.push({ summary, memo });
    }
    found.sort((a, b) => a.summary.scheduleId.localeCompare(b.summary.scheduleId));
    return Promise.all(found.map(({ summary, memo }) => this.summarize(summary, memo)));
  }

  /** One schedule, whole; NOT_FOUND when there is no Firebreak schedule with this id. */
  async get(scheduleId: string): Promise<ScheduleDetail> {
    const { description, memo } = await this.describe(scheduleId);
    const { info, policies, state } = description;
    const recentRuns = await readRuns(this.client, info.recentActions);
    const nextRun = info.nextActionTimes[0];
    const lastRun = recentRuns.at(-1);
    return {
      scheduleId,
      ...memo,
      paused: state.paused,
      ...(state.note ? { note: state.note } : {}),
      ...(nextRun === undefined ? {} : { nextRun: nextRun.toISOString() }),
      ...(lastRun === undefined ? {} : { lastRun }),
      nextRuns: info.nextActionTimes.map((time) => time.toISOString()),
      recentRuns,
      overlap: policies.overlap ?? ScheduleOverlapPolicy.SKIP,
      catchupWindowMs: policies.catchupWindow,
      runsTaken: info.numActionsTaken,
      skippedOverlap: info.numActionsSkippedOverlap,
      missedCatchupWindow: info.numActionsMissedCatchupWindow,
    };
  }

  /** The runbook a schedule runs; NOT_FOUND when there is no such Firebreak schedule. */
  async runbookOf(scheduleId: string): Promise<string> {
    return (await this.describe(scheduleId)).memo.runbook;
  }

  /** Pauses a schedule: no run is taken until it is resumed (a trigger still runs). */
  async pause(scheduleId: string, note: string): Promise<void> {
    await (await this.describe(scheduleId)).handle.pause(note);
  }

  /** Resumes a paused schedule. */
  async resume(scheduleId: string, note: string): Promise<void> {
    await (await this.describe(scheduleId)).handle.unpause(note);
  }

  /**
   * Takes a run now. CONFLICT when the previous run is still going: with the SKIP policy the trigger would
   * be dropped, so it is refused instead of appearing to succeed (and sent with SKIP, should a run start
   * between the check and the trigger).
   */
  async trigger(scheduleId: string): Promise<void> {
    const { description, handle } = await this.describe(scheduleId);
    const running = description.info.runningActions[0];
    if (running) {
      const taken = description.info.recentActions.find(
        (action) => action.action.workflow.workflowId === running.workflow.workflowId,
      );
      const run = taken ? await readRun(this.client, taken) : undefined;
      const incident = run?.incidentId === undefined ? '' : ` (incident ${run.incidentId})`;
      throw new FirebreakError(
        ErrorCode.Conflict,
        `schedule ${scheduleId} is still running its previous run ${running.workflow.workflowId}${incident}; overlapping runs are skipped`,
      );
    }
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
  }

  /** Deletes a schedule; a run in progress and its incident go on. */
  async delete(scheduleId: string): Promise<void> {
    await (await this.describe(scheduleId)).handle.delete();
  }

  private async describe(
    scheduleId: string,
  ): Promise<{ handle: ScheduleHandle; description: ScheduleDescription; memo: ScheduleMemo }> {
    const handle = this.client.schedule.getHandle(scheduleId);
    let description: ScheduleDescription;
    try {
      description = await handle.describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw notFound(scheduleId);
      throw error;
    }
    const memo = firebreakMemo(description.action.workflowType, description.memo);
    if (!memo) throw notFound(scheduleId);
    return { handle, description, memo };
  }

  private async summarize(summary: TemporalScheduleSummary, memo: ScheduleMemo): Promise<ScheduleSummary> {
    const last = summary.info.recentActions.at(-1);
    const lastRun: ScheduleRun | undefined = last ? await readRun(this.client, last) : undefined;
    const nextRun = summary.info.nextActionTimes[0];
    return {
      scheduleId: summary.scheduleId,
      ...memo,
      paused: summary.state.paused,
      ...(summary.state.note ? { note: summary.state.note } : {}),
      ...(nextRun === undefined ? {} : { nextRun: nextRun.toISOString() }),
      ...(lastRun === undefined ? {} : { lastRun }),
    };
  }
}

/** The memo of a Firebreak schedule, or undefined for a schedule that starts something else. */
function firebreakMemo(workflowType: string | undefined, memo: Record<string, unknown> | undefined) {
  if (workflowType !== SCHEDULED_TRIGGER_WORKFLOW) return undefined;
  const parsed = ScheduleMemoSchema.safeParse(memo ?? {});
  return parsed.success ? parsed.data : undefined;
}

function notFound(scheduleId: string): FirebreakError {
  return new FirebreakError(ErrorCode.NotFound, `no schedule ${scheduleId}`);
}
