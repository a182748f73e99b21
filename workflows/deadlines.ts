/**
 * Deadline clocks. Each clock starts when its decision is recorded (at the decision's time, not the
 * trigger's), raises reminders at its offsets, turns overdue at `within`, and is met when its `metBy` step
 * succeeds. While the deadline's `when` cannot be evaluated yet (the deciding fact is not recorded), the
 * clock keeps running and still reminds: a regulatory clock is safer over-reminded than missed.
 */
import { condition } from '@temporalio/workflow';
import { formatDuration, humanizeDuration } from '../src/domain/duration.js';
import type { DeadlinePlan } from '../src/domain/plan.js';
import type { DeadlineRecord } from '../src/domain/state.js';
import { now, type IncidentRun } from './run.js';

/** Runs every deadline clock of the plan until it is met; cancel the surrounding scope to stop them. */
export async function runDeadlines(run: IncidentRun): Promise<void> {
  for (const deadline of run.plan.deadlines) {
    run.state.deadlines[deadline.id] = {
      id: deadline.id,
      title: run.display(deadline.title),
      status: 'not_started',
      remindersSent: [],
    };
  }
  await Promise.all(run.plan.deadlines.map((deadline) => runClock(run, deadline)));
}

/** At the end of a run: record deadlines met at the last moment; one whose `when` is false does not apply. */
export function settleDeadlines(run: IncidentRun): void {
  for (const deadline of run.plan.deadlines) {
    const record = run.state.deadlines[deadline.id];
    if (!record || record.status === 'met' || record.status === 'met_late') continue;
    // The run may end in the same moment the metBy step succeeds, before the clock saw it.
    if (record.status !== 'not_started' && run.step(deadline.metBy.step).status === 'succeeded')
      markMet(run, deadline, record);
    else if (deadline.when !== undefined && run.tryCondition(deadline.when) === false) record.status = 'not_applicable';
  }
}

async function runClock(run: IncidentRun, deadline: DeadlinePlan): Promise<void> {
  const record = run.state.deadlines[deadline.id]!;
  await condition(() => run.state.decisions[deadline.startsAt.decision] !== undefined);
  const start = Date.parse(run.state.decisions[deadline.startsAt.decision]!.at);
  const dueAt = start + deadline.withinMs;
  const dueIso = new Date(dueAt).toISOString();
  Object.assign(record, { status: 'running', startedAt: new Date(start).toISOString(), dueAt: dueIso });
  run.event('deadline.started', `${run.display(deadline.title)}: due within ${formatDuration(deadline.withinMs)}, by ${dueIso}`, {
    data: { deadline: deadline.id, dueAt: dueIso },
  });
  const met = () => run.step(deadline.metBy.step).status === 'succeeded';

  for (const offset of [...deadline.remindMs].sort((a, b) => a - b)) {
    const label = `deadline ${deadline.id}: reminder ${formatDuration(offset)} after ${deadline.startsAt.decision}`;
    if (await waitUntil(met, start + offset, label)) return markMet(run, deadline, record);
    if (applies(run, deadline)) remind(run, deadline, record, dueAt, offset);
  }
  const due = `deadline ${deadline.id}: due ${formatDuration(deadline.withinMs)} after ${deadline.startsAt.decision}`;
  if (await waitUntil(met, dueAt, due)) return markMet(run, deadline, record);
  if (applies(run, deadline)) {
    Object.assign(record, { status: 'overdue', overdueAt: now() });
    run.event('deadline.overdue', `${run.display(deadline.title)} is overdue (was due ${record.dueAt})`, {
      data: { deadline: deadline.id, to: recipients(run, deadline) },
    });
  }
  await condition(met);
  markMet(run, deadline, record);
}

/** Waits until `done` or the absolute time `at`; true when done. `summary` names the timer in the UI. */
async function waitUntil(done: () => boolean, at: number, summary: string): Promise<boolean> {
  const remaining = at - Date.now();
  if (remaining <= 0) return done();
  return condition(done, remaining, { summary });
}

function applies(run: IncidentRun, deadline: DeadlinePlan): boolean {
  return deadline.when === undefined || run.tryCondition(deadline.when) !== false;
}

function remind(run: IncidentRun, deadline: DeadlinePlan, record: DeadlineRecord, dueAt: number, offset: number): void {
  record.remindersSent.push(now());
  const left = humanizeDuration(Math.max(dueAt - Date.now(), 0));
  run.event('reminder', `${run.display(deadline.title)}: ${left} left (due ${record.dueAt})`, {
    data: { deadline: deadline.id, offset: formatDuration(offset), to: recipients(run, deadline) },
  });
}

function markMet(run: IncidentRun, deadline: DeadlinePlan, record: DeadlineRecord): void {
  const late = record.status === 'overdue';
  Object.assign(record, { status: late ? 'met_late' : 'met', metAt: now() });
  run.event('deadline.met', `${run.display(deadline.title)} met${late ? ' late' : ''} by ${deadline.metBy.step}`, {
    data: { deadline: deadline.id },
  });
}

function recipients(run: IncidentRun, deadline: DeadlinePlan): string[] {
  return deadline.remindTo ? run.membersOf(deadline.remindTo.role) : [];
}
