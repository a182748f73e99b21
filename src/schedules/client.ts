/**
 * Schedules for any runbook, on Temporal Schedules. A schedule's action starts `scheduledTriggerWorkflow`
 * with the runbook id and the params given, never a plan, so every run uses the runbook as it is then.
 * Overlapping runs are skipped (a run lasts as long as its incident), and a run missed while Temporal was
 * down is taken only within a short catch-up window. The memo records the creation; the action's argument
 * holds the current values, since an update can change it and not the memo (see values.ts).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { ScheduledTrigger } from '../domain/schedule.js';
import { RUNBOOK_ATTRIBUTE } from '../domain/search-attributes.js';
import { INCIDENT_TASK_QUEUE, SCHEDULED_TRIGGER_WORKFLOW } from '../temporal/names.js';
import type { NewSchedule } from './prepare.js';
import { readRun, readRuns } from './runs.js';
import {
  ScheduleMemoSchema,
  type ScheduleChanges,
  type ScheduleDetail,
  type ScheduleMemo,
  type ScheduleRun,
  type ScheduleSummary,
} from './schema.js';
import { scheduleSpec, type ScheduleProblem } from './spec.js';
import type { CurrentSchedule, PreparedUpdate, ScheduleUpdate } from './update.js';
import { currentValues, type ScheduleValues } from './values.js';

/** How late a run missed during an outage may still be taken; older ones are dropped. */
export const CATCHUP_WINDOW_MS = 60_000;

/** A cron expression Temporal refused (the local check let it through). */
export class InvalidCronError extends FirebreakError {
  constructor(message: string) {
    super(ErrorCode.InvalidInput, message);
  }
}

/** The outcome of an update: the schedule as `get` shows it and what changed, or why nothing was written. */
export type UpdateOutcome =
  | { ok: true; schedule: ScheduleDetail; changes: ScheduleChanges }
  | { ok: false; status: 'not_found' | 'invalid'; problems: ScheduleProblem[] };

/** Thrown out of Temporal's update callback to write nothing; carries why. */
class UpdateRefused extends Error {
  constructor(readonly outcome: Extract<PreparedUpdate, { ok: false }>) {
    super('update refused');
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
      cron: schedule.cron,
      ...(schedule.timezone === undefined ? {} : { timezone: schedule.timezone }),
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

  /**
   * Every Firebreak schedule, sorted by id, with its next run and what its last run did. Visibility names
   * the schedules; each is then described, because a listing carries the memo but not the action's
   * argument, where an updated schedule's values are.
   */
  async list(): Promise<ScheduleSummary[]> {
    const ids: string[] = [];
    for await (const summary of this.client.schedule.list()) {
      if (firebreakMemo(summary.action?.workflowType, summary.memo)) ids.push(summary.scheduleId);
    }
    ids.sort((a, b) => a.localeCompare(b));
    const found = await Promise.all(ids.map((id) => this.summarize(id)));
    return found.filter((summary) => summary !== undefined);
  }

  /** One schedule, whole; NOT_FOUND when there is no Firebreak schedule with this id. */
  async get(scheduleId: string): Promise<ScheduleDetail> {
    const { description, values } = await this.describe(scheduleId);
    const { info, policies } = description;
    const recentRuns = await readRuns(this.client, info.recentActions);
    return {
      ...summaryOf(scheduleId, description, values, recentRuns.at(-1)),
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
    return (await this.describe(scheduleId)).values.runbook;
  }

  /**
   * Changes a schedule's timing, params, severity or note in place, so it keeps its recent runs, counters,
   * overlap policy, catch-up window and paused state. `prepare` (synchronous: it runs inside Temporal's
   * update callback) checks the change against the schedule as just read; when it refuses, nothing is written.
   */
  async update(scheduleId: string, prepare: (current: CurrentSchedule) => PreparedUpdate): Promise<UpdateOutcome> {
    const handle = this.client.schedule.getHandle(scheduleId);
    let changes: ScheduleChanges | undefined;
    try {
      await handle.update((description) => {
        const memo = firebreakMemo(description.action.workflowType, description.memo);
        if (!memo) throw notFound(scheduleId);
        const values = currentValues(memo, description.action.args);
        const note = description.state.note;
        const prepared = prepare({ scheduleId, ...values, ...(note ? { note } : {}) });
        if (!prepared.ok) throw new UpdateRefused(prepared);
        changes = prepared.changes;
        return updatedOptions(description, values.runbook, scheduleId, prepared.update);
      });
    } catch (error) {
      if (error instanceof UpdateRefused) return error.outcome;
      if (error instanceof ScheduleNotFoundError) throw notFound(scheduleId);
      // Once the change was checked, a TypeError is the client's report of a spec Temporal refused.
      if (changes !== undefined && error instanceof TypeError) throw new InvalidCronError(error.message);
      throw error;
    }
    return { ok: true, schedule: await this.get(scheduleId), changes: changes ?? {} };
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
  ): Promise<{ handle: ScheduleHandle; description: ScheduleDescription; values: ScheduleValues }> {
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
    return { handle, description, values: currentValues(memo, description.action.args) };
  }

  /** A schedule for the list; undefined when it was deleted since visibility named it. */
  private async summarize(scheduleId: string): Promise<ScheduleSummary | undefined> {
    let found: { description: ScheduleDescription; values: ScheduleValues };
    try {
      found = await this.describe(scheduleId);
    } catch (error) {
      if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) return undefined;
      throw error;
    }
    const last = found.description.info.recentActions.at(-1);
    const lastRun = last ? await readRun(this.client, last) : undefined;
    return summaryOf(scheduleId, found.description, found.values, lastRun);
  }
}

/** What a list shows of a schedule: its current values, state, next run and last run. */
function summaryOf(
  scheduleId: string,
  description: ScheduleDescription,
  values: ScheduleValues,
  lastRun: ScheduleRun | undefined,
): ScheduleSummary {
  const { info, state } = description;
  const nextRun = info.nextActionTimes[0];
  return {
    scheduleId,
    ...values,
    paused: state.paused,
    ...(state.note ? { note: state.note } : {}),
    ...(nextRun === undefined ? {} : { nextRun: nextRun.toISOString() }),
    ...(lastRun === undefined ? {} : { lastRun }),
  };
}

/**
 * The schedule as updated: the new timing and trigger, and everything else as it was (the action's other
 * options, the overlap policy and catch-up window, the paused state, and the note unless a new one is given).
 */
function updatedOptions(
  description: ScheduleDescription,
  runbook: string,
  scheduleId: string,
  update: ScheduleUpdate,
): ScheduleUpdateOptions {
  const trigger: ScheduledTrigger = {
    scheduleId,
    runbook,
    params: update.params,
    ...(update.severity === undefined ? {} : { severity: update.severity }),
    cron: update.cron,
    ...(update.timezone === undefined ? {} : { timezone: update.timezone }),
    updatedBy: update.updatedBy,
    updatedAt: update.updatedAt,
  };
  const { paused, note, remainingActions } = description.state;
  const newNote = update.note ?? note;
  return {
    spec: scheduleSpec(update.cron, update.timezone),
    action: { ...description.action, args: [trigger] },
    policies: description.policies,
    state: {
      paused,
      ...(newNote === undefined ? {} : { note: newNote }),
      ...(remainingActions === undefined ? {} : { remainingActions }),
    },
  };
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
