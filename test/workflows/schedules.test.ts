/**
 * Schedules against the real dev server: a run takes the runbook as it is then (an edit reaches the next
 * run, never the one in flight), records the incident it started, skips instead of overlapping, fails
 * clearly when its runbook is gone or broken, pauses, resumes and deletes, and is updated in place.
 */
import { createSecretCatalog } from '../../src/secrets/declared.js';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import { FirebreakError } from '../../src/domain/errors.js';
import { loadRunbookDirs } from '../../src/runbook/loader.js';
import { ScheduleService } from '../../src/schedules/client.js';
import { prepareSchedule } from '../../src/schedules/prepare.js';
import type { ScheduleDetail, ScheduleRun } from '../../src/schedules/schema.js';
import { prepareUpdate, type SchedulePatch } from '../../src/schedules/update.js';
import { RUNBOOK_ATTRIBUTE } from '../../src/domain/search-attributes.js';
import { SCHEDULED_TRIGGER_WORKFLOW } from '../../src/temporal/names.js';
import { eventually } from '../support/poll.js';
import { alice, startTestEnv, type TestEnv } from '../support/temporal.js';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-schedules-'));
const created: string[] = [];
let env: TestEnv;
let schedules: ScheduleService;

beforeAll(async () => {
  env = await startTestEnv({ runbooks: () => loadRunbookDirs([dir], { actions: builtinActionCatalog }) });
  schedules = new ScheduleService(env.client, env.taskQueue);
});
afterAll(async () => {
  await Promise.all(created.map((id) => schedules.delete(id).catch(() => undefined)));
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a runbook file into the directory the worker loads for each scheduled run. */
function writeRunbook(id: string, version: number, steps: string): void {
  writeFileSync(
    path.join(dir, `${id}.yaml`),
    `apiVersion: firebreak/v1
id: ${id}
title: ${id} v${version}
version: ${version}
severity: sev3
params:
  target: { type: string, required: true }
  count: { type: integer, default: 2 }
roles:
  commander: {}
steps:
${steps}`,
  );
}

const note = (id: string) =>
  `  - { id: ${id}, title: ${id}, action: timeline.note, with: { text: "\${{ params.target }}" } }\n`;

/** Creates a schedule the way the API does (checked against the runbooks as they are now). */
async function createSchedule(runbook: string, cron = '0 3 1 1 *') {
  const catalog = await loadRunbookDirs([dir], { actions: builtinActionCatalog });
  const params = { target: 'db-1' };
  const prepared = prepareSchedule(catalog.runbooks, createSecretCatalog(), {
    runbook,
    cron,
    params,
    createdBy: 'alice',
  });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.problems));
  const schedule = await schedules.create(prepared.schedule);
  created.push(schedule.scheduleId);
  return schedule;
}

/** Updates a schedule the way the API does (the merged values checked against the runbooks as they are now). */
async function updateSchedule(scheduleId: string, patch: SchedulePatch, by = 'bob') {
  const catalog = await loadRunbookDirs([dir], { actions: builtinActionCatalog });
  return schedules.update(scheduleId, (current) =>
    prepareUpdate(catalog.runbooks, createSecretCatalog(), current, patch, by),
  );
}

/** Waits until the schedule shows `count` runs and the newest satisfies `done`. */
function runsOf(scheduleId: string, count: number, done: (run: ScheduleRun) => boolean): Promise<ScheduleDetail> {
  return eventually(async () => {
    const schedule = await schedules.get(scheduleId);
    const last = schedule.recentRuns.at(-1);
    return schedule.recentRuns.length === count && last && done(last) ? schedule : undefined;
  }, 30_000);
}

describe('a scheduled run', () => {
  it('starts an incident of the runbook, records it, and shows it among the recent runs', async () => {
    writeRunbook('sched-quick', 1, note('log'));
    const schedule = await createSchedule('sched-quick');
    expect(schedule).toMatchObject({
      runbook: 'sched-quick',
      cron: '0 3 1 1 *',
      params: { target: 'db-1' },
      paused: false,
      overlap: 'SKIP',
      catchupWindowMs: 60_000,
      recentRuns: [],
    });
    expect(schedule.nextRuns.length).toBeGreaterThan(0);
    await schedules.trigger(schedule.scheduleId);
    const shown = await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'completed');
    const run = shown.recentRuns[0]!;
    expect(run).toMatchObject({
      status: 'completed',
      version: 1,
      incidentId: expect.stringMatching(/^sched-quick-\d{8}-[0-9a-f]{8}$/) as unknown,
    });
    expect(run.workflowId.startsWith(`${schedule.scheduleId}-`)).toBe(true);
    expect(shown.lastRun).toEqual(run);
    const state = await env.incidents.state(run.incidentId!);
    expect(state).toMatchObject({
      runbook: { id: 'sched-quick', version: 1 },
      params: { target: 'db-1', count: 2 },
      triggeredBy: `schedule:${schedule.scheduleId}`,
      status: 'completed',
    });
    const listed = await eventually(async () =>
      (await schedules.list()).find((item) => item.scheduleId === schedule.scheduleId && item.lastRun),
    );
    expect(listed).toMatchObject({ runbook: 'sched-quick', cron: '0 3 1 1 *', params: { target: 'db-1' } });
    expect(listed.lastRun).toMatchObject({ incidentId: run.incidentId, incidentStatus: 'completed' });
  });

  it('takes an edited runbook on the next run, never on the run in flight', async () => {
    writeRunbook('sched-edit', 1, `  - { id: settle, title: Settle, wait: 3s }\n${note('first')}`);
    const schedule = await createSchedule('sched-edit');
    await schedules.trigger(schedule.scheduleId);
    const inFlight = await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'running');
    writeRunbook('sched-edit', 2, note('second'));
    const first = await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'completed');
    expect(first.recentRuns[0]!.incidentId).toBe(inFlight.recentRuns[0]!.incidentId);
    const firstState = await env.incidents.state(first.recentRuns[0]!.incidentId!);
    expect(firstState.runbook.version).toBe(1);
    expect(firstState.steps.map((step) => step.id)).toEqual(['settle', 'first']);

    await schedules.trigger(schedule.scheduleId);
    const second = await runsOf(schedule.scheduleId, 2, (run) => run.incidentStatus === 'completed');
    expect(second.recentRuns[1]!.version).toBe(2);
    const secondState = await env.incidents.state(second.recentRuns[1]!.incidentId!);
    expect(secondState.runbook).toMatchObject({ version: 2, title: 'sched-edit v2' });
    expect(secondState.steps.map((step) => step.id)).toEqual(['second']);
  });

  it('fails with a clear message, and starts nothing, when its runbook is broken or gone', async () => {
    writeRunbook('sched-doomed', 1, note('log'));
    const schedule = await createSchedule('sched-doomed');
    writeFileSync(path.join(dir, 'sched-doomed.yaml'), 'apiVersion: firebreak/v1\nid: sched-doomed\ntitle: Broken\n');
    await schedules.trigger(schedule.scheduleId);
    const broken = await runsOf(schedule.scheduleId, 1, (run) => run.status === 'failed');
    expect(broken.recentRuns[0]).not.toHaveProperty('incidentId');
    expect(broken.recentRuns[0]!.error).toMatch(/^runbook sched-doomed is invalid now \(sched-doomed\.yaml\): /);

    unlinkSync(path.join(dir, 'sched-doomed.yaml'));
    await schedules.trigger(schedule.scheduleId);
    const gone = await runsOf(schedule.scheduleId, 2, (run) => run.status === 'failed');
    expect(gone.recentRuns[1]!.error).toMatch(/^no runbook sched-doomed any more \(loaded: /);
    const handle = env.client.workflow.getHandle(gone.recentRuns[1]!.workflowId);
    const failure = (await handle.result().catch((error: unknown) => error)) as WorkflowFailedError;
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause).toMatchObject({
      type: 'NOT_FOUND',
      nonRetryable: true,
      message: expect.stringMatching(
        /^scheduled run of sched-doomed started no incident: no runbook sched-doomed any more/,
      ) as unknown,
    });
  });

  it('fails when the runbook no longer accepts the params the schedule was created with', async () => {
    writeRunbook('sched-params', 1, note('log'));
    const schedule = await createSchedule('sched-params');
    writeFileSync(
      path.join(dir, 'sched-params.yaml'),
      `apiVersion: firebreak/v1
id: sched-params
title: Renamed param
version: 2
severity: sev3
params:
  host: { type: string, required: true }
steps:
  - { id: log, title: Log, action: timeline.note, with: { text: "\${{ params.host }}" } }
`,
    );
    await schedules.trigger(schedule.scheduleId);
    const failed = await runsOf(schedule.scheduleId, 1, (run) => run.status === 'failed');
    expect(failed.recentRuns[0]!.error).toBe(
      "runbook sched-params v2 no longer accepts this schedule's trigger: params.target: unknown param `target` (declared: host); params.host: missing required param `host`",
    );
  });
});

describe('overlap', () => {
  it('skips a run due while the previous one is still going, and refuses a trigger meanwhile', async () => {
    writeRunbook('sched-slow', 1, `  - { id: soak, title: Soak, wait: 10m }\n`);
    const schedule = await createSchedule('sched-slow');
    const handle = env.client.schedule.getHandle(schedule.scheduleId);
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    const running = await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'running');
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    await expect(schedules.trigger(schedule.scheduleId)).rejects.toThrow(
      `schedule ${schedule.scheduleId} is still running its previous run ${running.recentRuns[0]!.workflowId} (incident ${running.recentRuns[0]!.incidentId})`,
    );
    // The server has handled the second trigger once it counts the skip; only then is "one run" a finding.
    const after = await eventually(async () => {
      const now = await schedules.get(schedule.scheduleId);
      return now.skippedOverlap >= 1 ? now : undefined;
    });
    expect(after.recentRuns).toHaveLength(1);
    expect(after.skippedOverlap).toBeGreaterThanOrEqual(1);
    const incidents = await eventually(async () => {
      const found = await env.incidents.list({ runbook: 'sched-slow', limit: 10 });
      return found.length > 0 ? found : undefined;
    });
    expect(incidents.map((incident) => incident.incidentId)).toEqual([running.recentRuns[0]!.incidentId]);

    // Once the incident ends, the run ends with it and the next trigger is taken.
    await env.incidents.cancel(running.recentRuns[0]!.incidentId!, { actor: alice, reason: 'test over' });
    await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'cancelled' && run.status === 'completed');
  });
});

describe('overlap on time', () => {
  it('takes one run of a schedule due every 2 seconds while its incident stays open, and skips the rest', async () => {
    writeRunbook('sched-often', 1, `  - { id: soak, title: Soak, wait: 10m }\n`);
    // Seven fields: the first is the second.
    const schedule = await createSchedule('sched-often', '*/2 * * * * * *');
    const first = await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'running');
    const skipped = await eventually(async () => {
      const now = await schedules.get(schedule.scheduleId);
      return now.skippedOverlap >= 2 ? now : undefined;
    });
    await schedules.pause(schedule.scheduleId, 'test over');
    expect(skipped.recentRuns.map((run) => run.incidentId)).toEqual([first.recentRuns[0]!.incidentId]);
    expect(skipped.runsTaken).toBe(1);
    await env.incidents.cancel(first.recentRuns[0]!.incidentId!, { actor: alice, reason: 'test over' });
  });
});

describe('managing schedules', () => {
  it('pauses (a trigger still runs) and resumes with a note, and deletes', async () => {
    writeRunbook('sched-manage', 1, note('log'));
    const schedule = await createSchedule('sched-manage');
    await schedules.pause(schedule.scheduleId, 'database migration this week');
    expect(await schedules.get(schedule.scheduleId)).toMatchObject({
      paused: true,
      note: 'database migration this week',
    });
    // A paused schedule takes no run on time, but a trigger still runs it.
    await schedules.trigger(schedule.scheduleId);
    await runsOf(schedule.scheduleId, 1, (run) => run.incidentStatus === 'completed');
    await schedules.resume(schedule.scheduleId, 'migration done');
    expect(await schedules.get(schedule.scheduleId)).toMatchObject({ paused: false, note: 'migration done' });
    await schedules.delete(schedule.scheduleId);
    await expect(schedules.get(schedule.scheduleId)).rejects.toThrow(`no schedule ${schedule.scheduleId}`);
  });

  it('refuses an id in use, and does not see schedules that start anything else', async () => {
    writeRunbook('sched-other', 1, note('log'));
    const schedule = await createSchedule('sched-other');
    const catalog = await loadRunbookDirs([dir], { actions: builtinActionCatalog });
    const again = prepareSchedule(catalog.runbooks, createSecretCatalog(), {
      runbook: 'sched-other',
      cron: '@daily',
      params: { target: 'x' },
      scheduleId: schedule.scheduleId,
      createdBy: 'bob',
    });
    if (!again.ok) throw new Error('expected a valid request');
    const refusal = await schedules.create(again.schedule).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(FirebreakError);
    expect(refusal).toMatchObject({
      code: 'CONFLICT',
      message: `a schedule with id ${schedule.scheduleId} already exists`,
    });

    const foreign = `foreign-${schedule.scheduleId}`;
    await env.client.schedule.create({
      scheduleId: foreign,
      spec: { cronExpressions: ['0 3 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: env.taskQueue, args: [] },
      memo: { runbook: 'sched-other', cron: '0 3 1 1 *', params: {} },
    });
    try {
      await expect(schedules.get(foreign)).rejects.toThrow(`no schedule ${foreign}`);
      const listed = await eventually(async () => {
        const all = await schedules.list();
        return all.some((item) => item.scheduleId === schedule.scheduleId) ? all : undefined;
      });
      expect(listed.map((item) => item.scheduleId)).not.toContain(foreign);
    } finally {
      await env.client.schedule.getHandle(foreign).delete();
    }
  });
});

describe('updating a schedule', () => {
  it('changes the cron and params in place: runs and counters survive, next runs and new runs follow', async () => {
    writeRunbook('sched-update', 1, note('log'));
    const schedule = await createSchedule('sched-update');
    const id = schedule.scheduleId;
    await schedules.trigger(id);
    const before = await runsOf(id, 1, (run) => run.incidentStatus === 'completed');

    const outcome = await updateSchedule(id, { cron: '15 4 * * *', params: { target: 'db-2', count: '5' } });
    expect(outcome).toMatchObject({
      ok: true,
      changes: {
        cron: { from: '0 3 1 1 *', to: '15 4 * * *' },
        'params.target': { from: 'db-1', to: 'db-2' },
        'params.count': { from: null, to: 5 },
      },
    });
    const after = await schedules.get(id);
    expect(after).toMatchObject({
      cron: '15 4 * * *',
      params: { target: 'db-2', count: 5 },
      createdBy: 'alice',
      createdAt: schedule.createdAt,
      updatedBy: 'bob',
      paused: false,
      overlap: 'SKIP',
      catchupWindowMs: 60_000,
      runsTaken: 1,
      recentRuns: before.recentRuns,
    });
    expect(after).not.toHaveProperty('timezone');
    expect(Date.parse(after.updatedAt!)).toBeGreaterThan(Date.parse(schedule.createdAt!));
    // The next runs follow the new expression: 04:15 UTC, a day apart.
    expect(after.nextRuns.length).toBeGreaterThan(1);
    for (const time of after.nextRuns) expect(time).toMatch(/T04:15:00\.000Z$/);
    expect(Date.parse(after.nextRuns[1]!) - Date.parse(after.nextRuns[0]!)).toBe(24 * 3600_000);

    await schedules.trigger(id);
    const second = await runsOf(id, 2, (run) => run.incidentStatus === 'completed');
    expect(second.recentRuns[0]).toEqual(before.recentRuns[0]);
    expect(second.runsTaken).toBe(2);
    const state = await env.incidents.state(second.recentRuns[1]!.incidentId!);
    expect(state.params).toEqual({ target: 'db-2', count: 5 });
    const listed = await eventually(async () => (await schedules.list()).find((item) => item.scheduleId === id));
    expect(listed).toMatchObject({ cron: '15 4 * * *', params: { target: 'db-2', count: 5 }, updatedBy: 'bob' });

    // An unset param is gone from the schedule: the runbook's default applies at the next run.
    const unset = await updateSchedule(id, { unsetParams: ['count'] }, 'carol');
    expect(unset).toMatchObject({ ok: true, changes: { 'params.count': { from: 5, to: null } } });
    expect(await schedules.get(id)).toMatchObject({
      cron: '15 4 * * *',
      params: { target: 'db-2' },
      updatedBy: 'carol',
    });
    expect((await schedules.get(id)).params).toEqual({ target: 'db-2' });
    await schedules.trigger(id);
    const third = await runsOf(id, 3, (run) => run.incidentStatus === 'completed');
    expect((await env.incidents.state(third.recentRuns[2]!.incidentId!)).params).toEqual({ target: 'db-2', count: 2 });
  });

  it('keeps the paused state and note unless a note is given; writes nothing when refused', async () => {
    writeRunbook('sched-update-paused', 1, note('log'));
    const schedule = await createSchedule('sched-update-paused');
    const id = schedule.scheduleId;
    await schedules.pause(id, 'migration week');
    expect(await updateSchedule(id, { timezone: 'Europe/Berlin' })).toMatchObject({ ok: true });
    expect(await schedules.get(id)).toMatchObject({ paused: true, note: 'migration week', timezone: 'Europe/Berlin' });
    await updateSchedule(id, { note: 'moved to Berlin time' });
    const noted = await schedules.get(id);
    expect(noted).toMatchObject({ paused: true, note: 'moved to Berlin time', timezone: 'Europe/Berlin' });

    const refused = await updateSchedule(id, { cron: '0 25 * * *', params: { colour: 'red' } });
    expect(refused).toEqual({
      ok: false,
      status: 'invalid',
      problems: [
        { path: 'params.colour', message: 'unknown param `colour` (declared: target, count)' },
        { path: 'cron', message: 'hour `25` is out of range (0-23)' },
      ],
    });
    expect(await schedules.get(id)).toEqual(noted);
    await expect(updateSchedule('no-such-schedule', { cron: '@daily' })).rejects.toThrow(
      'no schedule no-such-schedule',
    );
  });

  it('reads a schedule created before updates existed from its memo, and updates it', async () => {
    writeRunbook('sched-legacy', 1, note('log'));
    const id = `sched-legacy-${Date.now()}`;
    // As created before updates: the timing only in the memo, the action's argument without it.
    await env.client.schedule.create({
      scheduleId: id,
      spec: { cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin' },
      action: {
        type: 'startWorkflow',
        workflowType: SCHEDULED_TRIGGER_WORKFLOW,
        workflowId: id,
        taskQueue: env.taskQueue,
        args: [{ scheduleId: id, runbook: 'sched-legacy', params: { target: 'db-1' }, severity: 'sev2' }],
      },
      memo: {
        runbook: 'sched-legacy',
        cron: '0 2 * * *',
        timezone: 'Europe/Berlin',
        params: { target: 'db-1' },
        severity: 'sev2',
        createdBy: 'alice',
        createdAt: '2025-03-01T09:00:00.000Z',
      },
      typedSearchAttributes: [{ key: RUNBOOK_ATTRIBUTE, value: 'sched-legacy' }],
    });
    created.push(id);
    expect(await schedules.get(id)).toMatchObject({
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      params: { target: 'db-1' },
      severity: 'sev2',
    });
    // Cleared now: the memo's time zone must not come back.
    const outcome = await updateSchedule(id, { timezone: null, severity: null });
    expect(outcome).toMatchObject({
      ok: true,
      changes: { timezone: { from: 'Europe/Berlin', to: null }, severity: { from: 'sev2', to: null } },
    });
    const updated = await schedules.get(id);
    expect(updated).toMatchObject({ cron: '0 2 * * *', params: { target: 'db-1' }, createdBy: 'alice' });
    expect(updated).not.toHaveProperty('timezone');
    expect(updated).not.toHaveProperty('severity');
    for (const time of updated.nextRuns) expect(time).toMatch(/T02:00:00\.000Z$/);
  });
});
