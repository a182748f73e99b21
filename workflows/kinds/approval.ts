/**
 * `approval` steps: votes arrive as the `castVote` Update. The validator refuses a voter outside the
 * listed roles, a second vote by the same person, and a vote bound to a different text. Without a quorum,
 * one approval is needed from each listed role, and one person counts for one role only (so a person in
 * two roles cannot approve alone). With `distinct`, also that many different people, never counting the
 * requester (the two-person rule). Any reject vote rejects. On timeout: escalate (each waiting role's
 * `escalateTo` may vote, for one more timeout period), reject (the step fails), or abort the run.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { formatDuration } from '../../src/domain/duration.js';
import { ErrorCode } from '../../src/domain/errors.js';
import type { ApprovalStep } from '../../src/domain/plan.js';
import { sha256Hex } from '../../src/domain/sha256.js';
import type { ApprovalRecord, CastVote } from '../../src/domain/state.js';
import { refuse, refuseRequester, roleNames, waitForGate, type Gate } from '../gates.js';
import { now, type IncidentRun } from '../run.js';
import {
  addVote,
  decideVotes,
  distinctPeople,
  escalateWaitingRoles,
  hasVoted,
  withDistinct,
  type DistinctCount,
} from '../votes.js';
import type { ExecutorFor } from './types.js';

/**
 * `distinct` (the two-person rule) came after runs that may have been started with it in their plan by a
 * newer trigger but run by an older worker, which ignored it: those keep counting as they did.
 */
const DISTINCT_PATCH = 'approval-distinct-people';

export const approvalExecutor: ExecutorFor<'approval'> = {
  kind: 'approval',
  handlesTimeout: true,
  async execute(step, { run, gates }) {
    const text = run.text(step.approval);
    const listed = roleNames(step.approvers);
    const distinct = step.distinct !== undefined && patched(DISTINCT_PATCH) ? step.distinct : undefined;
    const record: ApprovalRecord = {
      step: step.id,
      text,
      textHash: `sha256:${sha256Hex(text)}`,
      approvers: listed.map((r) => `role:${r}`),
      status: 'pending',
      escalated: false,
      votes: [],
      requestedAt: now(),
      ...(step.quorum === undefined ? {} : { quorum: step.quorum }),
      ...(distinct === undefined ? {} : { distinct, distinctApprovers: [] }),
      ...(step.timeoutMs === undefined ? {} : { timeoutAt: new Date(Date.now() + step.timeoutMs).toISOString() }),
    };
    run.state.approvals[step.id] = record;
    const gate: Gate<CastVote> = {
      kind: 'approval',
      step: step.id,
      roles: [...listed],
      standIns: new Map(),
      validate(command) {
        if (hasVoted(run, record.votes, command.actor)) {
          refuse(ErrorCode.Conflict, `${command.actor.id} already voted on ${step.id}`);
        }
        // An approval binds to the text it approves: a vote that names none approves nothing in particular.
        if (command.vote === 'approve' && command.textHash === undefined) {
          refuse(
            ErrorCode.InvalidInput,
            `An approval of ${step.id} must name the text it approves: give its textHash (approvals.${step.id}.textHash of the incident)`,
          );
        }
        if (command.textHash !== undefined && command.textHash !== record.textHash) {
          refuse(ErrorCode.Conflict, `The text of ${step.id} is not the one this vote was cast on`);
        }
        refuseRequester(run, step.id, step.allowRequester, command);
      },
      apply(command, actingRoles) {
        const roles = addVote(gate, record.votes, command, actingRoles);
        // Timeline state only, not a command: runs recorded with the old `approval.rejectd` still replay.
        const verdict = command.vote === 'approve' ? 'approved' : 'rejected';
        run.event(`approval.${verdict}`, `${command.actor.id} ${verdict} ${step.id}`, {
          actor: command.actor,
          step: step.id,
          data: { roles, ...(command.comment ? { comment: command.comment } : {}) },
        });
        let count: DistinctCount | undefined;
        if (distinct !== undefined) {
          record.distinctApprovers = distinctPeople(run, record.votes);
          count = { needed: distinct, people: record.distinctApprovers };
        }
        record.status = withDistinct(decideVotes(roleNames(step.approvers), step.quorum, record.votes), count);
        if (record.status !== 'pending') record.decidedAt = now();
      },
      done: () => record.status !== 'pending',
    };
    gates.open(gate);
    const actors = listed.map((r) => `role:${r}`);
    run.updateStep(step.id, { status: 'waiting', prompt: text, actors });
    run.addPending({
      kind: 'approval',
      step: step.id,
      title: run.titleOf(step.id),
      prompt: text,
      actors,
      ...(record.timeoutAt ? { dueAt: record.timeoutAt } : {}),
    });
    run.event('approval.requested', `${run.titleOf(step.id)}: ${text}`, {
      step: step.id,
      data: { to: listed.flatMap((r) => run.membersOf(r)) },
    });

    let decided = await waitForGate(run, gate, waitPlan(step, listed));
    // With `distinct` still short once the roles have approved, every role is waiting for more people.
    const peopleShort = distinct !== undefined && decideVotes(listed, step.quorum, record.votes) === 'approved';
    const countedVotes = peopleShort ? [] : record.votes;
    if (!decided && step.onTimeout === 'escalate' && escalateWaitingRoles(run, gate, listed, countedVotes)) {
      record.escalated = true;
      decided = await waitForGate(run, gate, waitPlan(step, []));
    }
    gates.close(step.id);
    return settle(run, step, record, decided);
  },
};

function waitPlan(step: ApprovalStep, escalationRoles: string[]) {
  return { ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }), escalationRoles };
}

function settle(
  run: IncidentRun,
  step: ApprovalStep,
  record: ApprovalRecord,
  decided: boolean,
): { status: string; votes: number; textHash: string } {
  const summary = { status: record.status, votes: record.votes.length, textHash: record.textHash };
  if (decided && record.status === 'approved') {
    run.event('approval.granted', `${run.titleOf(step.id)}: approved`, { step: step.id });
    return summary;
  }
  if (decided) {
    throw ApplicationFailure.nonRetryable(`Approval ${step.id} was rejected`, ErrorCode.ApprovalRejected, summary);
  }
  record.status = 'timed_out';
  record.decidedAt = now();
  const message = `Approval ${step.id} got no decision within ${formatDuration(step.timeoutMs ?? 0)}${record.escalated ? ' (after escalation)' : ''}`;
  run.event('approval.timed_out', message, { step: step.id });
  // `abort` ends the run whatever the step's onFailure says; `reject` and a failed escalation fail the step.
  throw ApplicationFailure.nonRetryable(
    message,
    step.onTimeout === 'abort' ? ErrorCode.Aborted : ErrorCode.Timeout,
    summary,
  );
}
