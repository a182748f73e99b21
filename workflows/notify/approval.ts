/**
 * The approval of a message: a `castVote` gate bound to the message's fingerprint. A vote must name the
 * fingerprint of the exact text it approves. Whoever triggered the incident cannot approve it unless the
 * step says `allowRequester: true`; with `fourEyes`, neither can the person who last set a fact the message
 * uses, nor whoever supplied a param it uses (the trigger params: the requester, whatever allowRequester says). Votes are mirrored into `state.approvals` so every approval view shows them.
 */
import { ErrorCode } from '../../src/domain/errors.js';
import type { NotifyStep } from '../../src/domain/plan.js';
import type { ApprovalRecord, CastVote, MessageRecord } from '../../src/domain/state.js';
import { own } from '../../src/domain/own.js';
import { isRequester, refuse, refuseRequester, roleNames, type Gate } from '../gates.js';
import { now, type IncidentRun } from '../run.js';
import { addVote, decideVotes, distinctPeople, hasVoted, withDistinct } from '../votes.js';
import { paramsOf } from './compose.js';

/** The gate approvers vote through. `decision()` tells the message loop what the votes add up to. */
export interface MessageGate extends Gate<CastVote> {
  decision(): 'pending' | 'approved' | 'rejected';
  /** Starts a new count, for a new version of the message. */
  reset(): void;
  /** Also ends a wait on the gate when true (a fact the message uses changed). */
  interrupt?: () => boolean;
}

/** The gate for one message; the message loop opens it and waits on it. */
export function messageGate(run: IncidentRun, step: NotifyStep, record: MessageRecord): MessageGate {
  const listed = roleNames(step.approvers);
  let decision: 'pending' | 'approved' | 'rejected' = 'pending';
  const gate: MessageGate = {
    kind: 'approval',
    step: step.id,
    roles: [...listed],
    standIns: new Map(),
    validate(command) {
      if (record.status !== 'pending_approval') {
        refuse(ErrorCode.Conflict, `The message of ${step.id} is not awaiting approval (it is ${record.status})`);
      }
      if (command.vote === 'approve' && command.textHash === undefined) {
        refuse(
          ErrorCode.InvalidInput,
          `An approval of message ${step.id} must name the fingerprint it approves (see npx firebreak comms show)`,
        );
      }
      if (command.textHash !== undefined && command.textHash !== record.fingerprint) {
        refuse(
          ErrorCode.Conflict,
          `Fingerprint ${command.textHash} is not the message ${step.id} shows now (${record.fingerprint ?? 'none'}): review it again`,
        );
      }
      if (hasVoted(run, record.votes, command.actor)) {
        refuse(ErrorCode.Conflict, `${command.actor.id} already voted on this version of ${step.id}`);
      }
      refuseRequester(run, step.id, step.allowRequester, command);
      if (step.fourEyes && command.vote === 'approve') checkFourEyes(run, step, record, command);
    },
    apply(command, actingRoles) {
      const roles = addVote(gate, record.votes, command, actingRoles);
      run.event(
        'message.voted',
        `${command.actor.id} ${command.vote === 'approve' ? 'approved' : 'rejected'} message ${step.id} (${record.fingerprint ?? ''})`,
        {
          actor: command.actor,
          step: step.id,
          data: {
            roles,
            fingerprint: record.fingerprint ?? null,
            ...(command.comment ? { comment: command.comment } : {}),
          },
        },
      );
      const people = record.distinct === undefined ? undefined : distinctPeople(run, record.votes);
      decision = withDistinct(
        decideVotes(listed, step.quorum, record.votes),
        record.distinct === undefined || people === undefined ? undefined : { needed: record.distinct, people },
      );
      mirrorApproval(run, step, record, decision);
    },
    done: () => decision !== 'pending' || (gate.interrupt?.() ?? false),
    decision: () => decision,
    reset() {
      decision = 'pending';
    },
  };
  return gate;
}

function checkFourEyes(run: IncidentRun, step: NotifyStep, record: MessageRecord, command: CastVote): void {
  // Params are supplied at trigger time, so whoever triggered the incident supplied them all.
  const params = paramsOf(step);
  if (params.length > 0 && isRequester(run, command.actor)) {
    refuse(
      ErrorCode.Forbidden,
      `Four-eyes rule: ${command.actor.id} supplied the params ${params.join(', ')} (they triggered the incident), which this message uses; someone else must approve it`,
    );
  }
  const keys = new Set([command.actor.id.toLowerCase(), (command.actor.email ?? '').toLowerCase()]);
  const changed = record.facts.filter((name) => {
    const setBy = own(run.state.facts, name)?.setBy;
    return setBy !== undefined && keys.has(setBy.toLowerCase());
  });
  if (changed.length > 0) {
    refuse(
      ErrorCode.Forbidden,
      `Four-eyes rule: ${command.actor.id} last set ${changed.join(', ')}, which this message uses; someone else must approve it`,
    );
  }
}

/** Keeps `state.approvals[step]` in step with the message, so approval views and `approve` work on it. */
export function mirrorApproval(
  run: IncidentRun,
  step: NotifyStep,
  record: MessageRecord,
  status: ApprovalRecord['status'],
): void {
  const existing = run.state.approvals[step.id];
  if (record.distinct !== undefined) record.distinctApprovers = distinctPeople(run, record.votes);
  run.state.approvals[step.id] = {
    step: step.id,
    text: `Message ${record.message} (${record.channels.map((c) => c.channel).join(', ')}): see npx firebreak comms show ${run.state.incidentId} ${step.id}`,
    textHash: record.fingerprint ?? '',
    approvers: [...record.approvers],
    status,
    escalated: existing?.escalated ?? false,
    votes: [...record.votes],
    requestedAt: existing?.requestedAt ?? now(),
    ...(step.quorum === undefined ? {} : { quorum: step.quorum }),
    ...(record.distinct === undefined
      ? {}
      : { distinct: record.distinct, distinctApprovers: [...(record.distinctApprovers ?? [])] }),
    ...(status === 'pending' ? {} : { decidedAt: now() }),
  };
}
