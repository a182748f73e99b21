/**
 * `approval` steps: votes arrive as the `castVote` Update. The validator refuses a voter outside the
 * listed roles, a second vote by the same person, and a vote bound to a different text. Without a quorum,
 * one approval is needed from each listed role, and one person counts for one role only (so a person in
 * two roles cannot approve alone). Any reject vote rejects. On timeout: escalate (each waiting role's
 * `escalateTo` may vote, for one more timeout period), reject (the step fails), or abort the run.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { formatDuration } from '../../src/domain/duration.js';
import { ErrorCode } from '../../src/domain/errors.js';
import type { ApprovalStep } from '../../src/domain/plan.js';
import { sha256Hex } from '../../src/domain/sha256.js';
import type { ApprovalRecord, CastVote, VoteRecord } from '../../src/domain/state.js';
import { own } from '../../src/domain/own.js';
import { escalate, refuse, refuseRequester, roleNames, waitForGate, type Gate } from '../gates.js';
import { now, type IncidentRun } from '../run.js';
import type { ExecutorFor } from './types.js';

export const approvalExecutor: ExecutorFor<'approval'> = {
  kind: 'approval',
  handlesTimeout: true,
  async execute(step, { run, gates }) {
    const text = run.text(step.approval);
    const listed = roleNames(step.approvers);
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
      ...(step.timeoutMs === undefined ? {} : { timeoutAt: new Date(Date.now() + step.timeoutMs).toISOString() }),
    };
    run.state.approvals[step.id] = record;
    const gate: Gate<CastVote> = {
      kind: 'approval',
      step: step.id,
      roles: [...listed],
      standIns: new Map(),
      validate(command) {
        if (record.votes.some((vote) => vote.voter === command.actor.id)) {
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
        const roles = [...new Set(actingRoles.map((role) => gate.standIns.get(role) ?? role))];
        record.votes.push({
          voter: command.actor.id,
          vote: command.vote,
          roles,
          at: now(),
          ...(command.comment ? { comment: command.comment } : {}),
        });
        run.event(
          `approval.${command.vote}d`,
          `${command.actor.id} ${command.vote === 'approve' ? 'approved' : 'rejected'} ${step.id}`,
          {
            actor: command.actor,
            step: step.id,
            data: { roles, ...(command.comment ? { comment: command.comment } : {}) },
          },
        );
        record.status = decideVotes(roleNames(step.approvers), step.quorum, record.votes);
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
    if (!decided && step.onTimeout === 'escalate' && escalateWaitingRoles(run, gate, listed, record.votes)) {
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

/**
 * The status of a vote count: any reject rejects; with a quorum, that many approvals; without one, an
 * approval from each role, one person counting for one role only.
 */
export function decideVotes(
  roles: readonly string[],
  quorum: number | undefined,
  votes: readonly VoteRecord[],
): 'pending' | 'approved' | 'rejected' {
  if (votes.some((vote) => vote.vote === 'reject')) return 'rejected';
  const approvals = votes.filter((vote) => vote.vote === 'approve');
  if (quorum !== undefined) return approvals.length >= quorum ? 'approved' : 'pending';
  return coversEveryRole(
    [...roles],
    approvals.map((vote) => vote.roles),
  )
    ? 'approved'
    : 'pending';
}

/** Whether each role can be matched to a distinct voter holding it (bipartite matching, small sets). */
function coversEveryRole(roles: string[], voterRoles: string[][]): boolean {
  const owner = new Map<string, number>();
  const assign = (voter: number, seen: Set<string>): boolean => {
    for (const role of voterRoles[voter] ?? []) {
      if (!roles.includes(role) || seen.has(role)) continue;
      seen.add(role);
      const current = owner.get(role);
      if (current === undefined || assign(current, seen)) {
        owner.set(role, voter);
        return true;
      }
    }
    return false;
  };
  voterRoles.forEach((_, voter) => assign(voter, new Set()));
  return roles.every((role) => owner.has(role));
}

/** Lets each listed role that has not approved be stood in for by its `escalateTo`. Returns whether any was. */
export function escalateWaitingRoles(
  run: IncidentRun,
  gate: Gate<CastVote>,
  roles: readonly string[],
  votes: readonly VoteRecord[],
): boolean {
  const approvedRoles = new Set(votes.flatMap((vote) => vote.roles));
  let any = false;
  for (const role of roles) {
    const target = own(run.plan.roles, role)?.escalateTo;
    if (approvedRoles.has(role) || target === undefined) continue;
    escalate(run, gate, [role], target);
    any = true;
  }
  if (!any)
    run.event('approval.escalation_unavailable', `${gate.step} timed out and no waiting role has an escalateTo`, {
      step: gate.step,
    });
  return any;
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
