/**
 * One message of a `notify` step, from facts to delivery: wait until the required facts are confirmed,
 * render every channel in an activity, ask the approvers to approve the fingerprint of exactly those bytes,
 * render again (voiding the votes, and saying why) whenever a fact the message uses changes before it is
 * approved, then send the approved bytes.
 */
import { ApplicationFailure, condition, isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { formatDuration } from '../../src/domain/duration.js';
import { ErrorCode } from '../../src/domain/errors.js';
import type { RenderMessageResult } from '../../src/domain/notify.js';
import type { NotifyChannel, NotifyStep } from '../../src/domain/plan.js';
import type { MessageRecord, SenderIdentity, VoteRecord } from '../../src/domain/state.js';
import { roleNames, waitForGate } from '../gates.js';
import type { StepContext } from '../kinds/types.js';
import { now, type IncidentRun } from '../run.js';
import { decideVotes, escalateWaitingRoles } from '../votes.js';
import { messageGate, mirrorApproval, type MessageGate } from './approval.js';
import {
  changedFacts,
  contextOf,
  factsOf,
  recipientsOf,
  replyToOf,
  senderOf,
  snapshotFacts,
  unconfirmed,
  type FactSnapshot,
} from './compose.js';
import { deliver } from './deliver.js';

/** The `renderMessage` activity, with a summary naming the step and message for the UI. */
function renderActivity(step: NotifyStep) {
  return proxyActivities<Activities>({
    startToCloseTimeout: 30_000,
    retry: { maximumAttempts: 3 },
    summary: `${step.id}: render ${step.message}`,
  }).renderMessage;
}

/** Recipients and Reply-To are checked before the message is rendered for approval (issue 10, finding 7). */
const CHECK_ADDRESSES_PATCH = 'notify-checks-addresses';
/** `distinct` (the two-person rule) is counted only by workers that know it: older runs count as they did. */
const DISTINCT_PATCH = 'notify-distinct-people';
/** A message loop that keeps re-rendering is stopped rather than allowed to grow the history without end. */
const MAX_RENDERS = 200;
/** Template problems no fact can fix: the step fails at once. */
const FATAL_RENDER_CODES = new Set(['UNKNOWN_MESSAGE', 'UNKNOWN_CHANNEL', 'MISSING_PARTIAL']);

/** What a message run is asked to do. */
export interface MessageOptions {
  sequence: number;
  needsApproval: boolean;
}

/** Composes, approves and sends one message of the step; returns its record once sent. */
export async function sendMessageOnce(
  ctx: StepContext,
  step: NotifyStep,
  options: MessageOptions,
): Promise<MessageRecord> {
  const { run, gates } = ctx;
  const sender = senderOf(run, step);
  // Recipients and Reply-To are worked out (and checked) once, before anything is rendered for approval.
  // Runs that started before the check keep going as they began (they reach the channel's own check).
  const check = patched(CHECK_ADDRESSES_PATCH);
  const recipients = new Map(
    step.channels.map((channel) => [channel, recipientsOf(run, step, channel, check)] as const),
  );
  const replyTo = replyToOf(run, step, check);
  const record = newRecord(run, step, options.sequence, sender);
  const gate = options.needsApproval ? messageGate(run, step, record) : undefined;
  const clock = { deadline: step.timeoutMs === undefined ? undefined : Date.now() + step.timeoutMs, escalated: false };
  try {
    let approvedAt: FactSnapshot | undefined;
    for (let renders = 0; approvedAt === undefined; renders++) {
      if (renders >= MAX_RENDERS)
        fail(step, ErrorCode.Conflict, `${step.id}: the message changed ${MAX_RENDERS} times`);
      await waitForRequiredFacts(run, step, record, clock.deadline);
      const snapshot = snapshotFacts(run, record.facts);
      const rendered = await renderActivity(step)({
        incidentId: run.state.incidentId,
        stepId: step.id,
        templates: step.templates,
        channels: [...step.channels],
        context: contextOf(run, step, sender, options.sequence),
      });
      if (changedFacts(run, snapshot).length > 0) continue;
      if (!rendered.ok) {
        await waitAfterProblem(run, step, record, rendered, snapshot, clock.deadline);
        continue;
      }
      applyRendering(run, step, record, rendered, recipients);
      if (gate === undefined) approvedAt = snapshot;
      else if (await approvalRound(ctx, step, record, gate, snapshot, clock)) approvedAt = snapshot;
    }
    await deliver(run, step, record, approvedAt, replyTo);
    return record;
  } catch (error) {
    if (isCancellation(error)) record.status = 'cancelled';
    throw error;
  } finally {
    if (gate !== undefined) gates.close(step.id);
  }
}

function newRecord(run: IncidentRun, step: NotifyStep, sequence: number, sender: SenderIdentity): MessageRecord {
  const previous = run.state.messages?.[step.id];
  const record: MessageRecord = {
    step: step.id,
    message: step.message,
    sequence,
    status: 'waiting_for_facts',
    from: sender,
    channels: [],
    facts: factsOf(step),
    approvers: roleNames(step.approvers).map((role) => `role:${role}`),
    fourEyes: step.fourEyes,
    votes: [],
    voided: [],
    sent: previous?.sent ?? [],
    ...(step.quorum === undefined ? {} : { quorum: step.quorum }),
    ...(step.distinct !== undefined && patched(DISTINCT_PATCH)
      ? { distinct: step.distinct, distinctApprovers: [] }
      : {}),
  };
  run.state.messages = { ...run.state.messages, [step.id]: record };
  return record;
}

/** Waits until every `requires` fact is confirmed; fails the step when its timeout passes first. */
async function waitForRequiredFacts(
  run: IncidentRun,
  step: NotifyStep,
  record: MessageRecord,
  deadline: number | undefined,
): Promise<void> {
  const missing = unconfirmed(run, step);
  if (missing.length === 0) return;
  record.status = 'waiting_for_facts';
  record.waitingFor = missing;
  const prompt = `Waiting for confirmed facts: ${missing.join(', ')}`;
  run.updateStep(step.id, { status: 'waiting', prompt });
  run.event('message.waiting', `${run.titleOf(step.id)}: ${prompt}`, { step: step.id, data: { facts: missing } });
  const ready = await waitUntil(() => unconfirmed(run, step).length === 0, deadline, `${step.id}: timeout`);
  if (!ready) {
    const still = unconfirmed(run, step).join(', ');
    fail(
      step,
      ErrorCode.Timeout,
      `${step.id}: facts ${still} were not confirmed within ${formatDuration(step.timeoutMs ?? 0)}`,
    );
  }
  delete record.waitingFor;
}

/** A render that failed on the data: show why, and wait for a fact to change before trying again. */
async function waitAfterProblem(
  run: IncidentRun,
  step: NotifyStep,
  record: MessageRecord,
  rendered: Extract<RenderMessageResult, { ok: false }>,
  snapshot: FactSnapshot,
  deadline: number | undefined,
): Promise<void> {
  const fixable = !FATAL_RENDER_CODES.has(rendered.code) && !(rendered.variable ?? '').startsWith('params.');
  if (!fixable) fail(step, ErrorCode.InvalidInput, `${step.id}: the message cannot be rendered: ${rendered.message}`);
  if (record.problem !== rendered.message) {
    run.event('message.blocked', `${run.titleOf(step.id)}: ${rendered.message}`, {
      step: step.id,
      data: { code: rendered.code, ...(rendered.variable ? { variable: rendered.variable } : {}) },
    });
  }
  record.status = 'waiting_for_facts';
  record.problem = rendered.message;
  run.updateStep(step.id, { status: 'waiting', prompt: `The message cannot be rendered yet: ${rendered.message}` });
  if (!(await waitUntil(() => changedFacts(run, snapshot).length > 0, deadline, `${step.id}: timeout`))) {
    fail(step, ErrorCode.Timeout, `${step.id}: the message could not be rendered in time: ${rendered.message}`);
  }
}

function applyRendering(
  run: IncidentRun,
  step: NotifyStep,
  record: MessageRecord,
  rendered: Extract<RenderMessageResult, { ok: true }>,
  recipients: ReadonlyMap<NotifyChannel, string[]>,
): void {
  record.channels = rendered.channels.map((entry) => ({ ...entry, recipients: recipients.get(entry.channel) ?? [] }));
  record.fingerprint = rendered.fingerprint;
  record.renderedAt = now();
  delete record.problem;
  run.event('message.rendered', `${run.titleOf(step.id)}: rendered ${step.message} (${rendered.fingerprint})`, {
    step: step.id,
    data: { fingerprint: rendered.fingerprint, channels: step.channels },
  });
}

/**
 * Asks for approval of the rendered message and waits. Returns true once approved, false when a fact the
 * message uses changed (the votes are void and the message is rendered again); throws on reject/timeout.
 */
async function approvalRound(
  ctx: StepContext,
  step: NotifyStep,
  record: MessageRecord,
  gate: MessageGate,
  snapshot: FactSnapshot,
  clock: { deadline: number | undefined; escalated: boolean },
): Promise<boolean> {
  const { run, gates } = ctx;
  record.status = 'pending_approval';
  gate.reset();
  gate.interrupt = () => changedFacts(run, snapshot).length > 0;
  mirrorApproval(run, step, record, 'pending');
  gates.open(gate);
  requestApproval(run, step, record, gate, clock.deadline);
  for (;;) {
    const remaining = clock.deadline === undefined ? undefined : Math.max(clock.deadline - Date.now(), 1);
    const roles = clock.escalated ? [] : roleNames(step.approvers);
    const decided = await waitForGate(run, gate, {
      ...(remaining === undefined ? {} : { timeoutMs: remaining }),
      escalationRoles: roles,
    });
    const changes = changedFacts(run, snapshot);
    if (changes.length > 0) {
      voidVotes(run, step, record, changes);
      return false;
    }
    if (decided) return settleVotes(run, step, record, gate);
    if (
      step.onTimeout === 'escalate' &&
      !clock.escalated &&
      escalateWaitingRoles(run, gate, roleNames(step.approvers), countedVotes(step, record))
    ) {
      clock.escalated = true;
      clock.deadline = Date.now() + (step.timeoutMs ?? 0);
      const approval = run.state.approvals[step.id];
      if (approval) approval.escalated = true;
      continue;
    }
    record.status = 'timed_out';
    mirrorApproval(run, step, record, 'timed_out');
    const message = `Message ${step.id} got no approval within ${formatDuration(step.timeoutMs ?? 0)}${clock.escalated ? ' (after escalation)' : ''}`;
    run.event('message.timed_out', message, { step: step.id });
    fail(step, step.onTimeout === 'abort' ? ErrorCode.Aborted : ErrorCode.Timeout, message);
  }
}

function requestApproval(
  run: IncidentRun,
  step: NotifyStep,
  record: MessageRecord,
  gate: MessageGate,
  deadline: number | undefined,
): void {
  const actors = gate.roles.map((role) => `role:${role}`);
  const channels = record.channels.map((entry) => entry.channel).join(', ');
  const prompt = `Approve message ${step.message} (${channels}) exactly as rendered: npx firebreak comms show ${run.state.incidentId} ${step.id}`;
  const dueAt = deadline === undefined ? undefined : new Date(deadline).toISOString();
  run.updateStep(step.id, { status: 'waiting', prompt, actors });
  run.addPending({
    kind: 'approval',
    step: step.id,
    title: run.titleOf(step.id),
    prompt,
    actors,
    ...(record.fingerprint ? { fingerprint: record.fingerprint } : {}),
    ...(dueAt ? { dueAt } : {}),
  });
  run.event('message.approval_requested', `${run.titleOf(step.id)}: approve ${record.fingerprint ?? ''}`, {
    step: step.id,
    data: { fingerprint: record.fingerprint ?? null, to: gate.roles.flatMap((role) => run.membersOf(role)) },
  });
}

function voidVotes(run: IncidentRun, step: NotifyStep, record: MessageRecord, changes: string[]): void {
  const reason = `${changes.join('; ')} after the message was rendered`;
  if (record.votes.length > 0) {
    record.voided.push({ fingerprint: record.fingerprint ?? '', votes: record.votes, reason, at: now() });
  }
  const voided = record.votes.length;
  record.votes = [];
  record.status = 'waiting_for_facts';
  mirrorApproval(run, step, record, 'pending');
  run.removePending(step.id);
  const what = voided > 0 ? `${voided} vote(s) on ${step.id} are void` : `${step.id} must be rendered again`;
  run.event('message.votes_voided', `${what}: ${reason}`, {
    step: step.id,
    data: { fingerprint: record.fingerprint ?? null, voided, reason },
  });
}

function settleVotes(run: IncidentRun, step: NotifyStep, record: MessageRecord, gate: MessageGate): boolean {
  const decision = gate.decision();
  run.removePending(step.id);
  if (decision === 'approved') {
    record.status = 'approved';
    record.approvedAt = now();
    mirrorApproval(run, step, record, 'approved');
    run.event('message.approved', `${run.titleOf(step.id)}: approved ${record.fingerprint ?? ''}`, { step: step.id });
    return true;
  }
  record.status = 'rejected';
  mirrorApproval(run, step, record, 'rejected');
  run.event('message.rejected', `${run.titleOf(step.id)}: rejected ${record.fingerprint ?? ''}`, { step: step.id });
  fail(step, ErrorCode.ApprovalRejected, `Message ${step.id} was rejected`);
}

/** Waits for a condition until an optional deadline; false when the deadline passed first. */
async function waitUntil(ready: () => boolean, deadline: number | undefined, summary: string): Promise<boolean> {
  if (deadline === undefined) {
    await condition(ready);
    return true;
  }
  return condition(ready, Math.max(deadline - Date.now(), 1), { summary });
}

function fail(step: NotifyStep, code: ErrorCode, message: string): never {
  throw ApplicationFailure.nonRetryable(message, code, { step: step.id });
}

/** The votes an escalation looks at: none once the roles have approved but `distinct` people are missing. */
function countedVotes(step: NotifyStep, record: MessageRecord): VoteRecord[] {
  const rolesDone = decideVotes(roleNames(step.approvers), step.quorum, record.votes) === 'approved';
  return record.distinct !== undefined && rolesDone ? [] : record.votes;
}
