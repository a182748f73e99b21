/**
 * Counting votes, shared by `approval` steps and the approval of `notify` messages: how a vote is
 * recorded, what the votes add up to, and who may stand in for a role that has not approved in time.
 */
import type { Actor, CastVote, VoteRecord } from '../src/domain/state.js';
import { own } from '../src/domain/own.js';
import { personOf } from '../src/domain/sender.js';
import { escalate, isRequester, type Gate } from './gates.js';
import { now, type IncidentRun } from './run.js';

/**
 * Records an accepted vote, counting it for the roles the voter acts in (an escalation role counts for
 * the role it stands in for). Returns those roles.
 */
export function addVote(
  gate: Gate<CastVote>,
  votes: VoteRecord[],
  command: CastVote,
  actingRoles: readonly string[],
): string[] {
  const roles = [...new Set(actingRoles.map((role) => gate.standIns.get(role) ?? role))];
  votes.push({
    voter: command.actor.id,
    vote: command.vote,
    roles,
    at: now(),
    ...(command.comment ? { comment: command.comment } : {}),
  });
  return roles;
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

/** Approving people a count still needs: `distinct` of the step and the people who have approved so far. */
export interface DistinctCount {
  needed: number;
  people: readonly string[];
}

/**
 * Applies the two-person rule to a count: an approval stays pending until `distinct.needed` different
 * people have approved. A rejection stands whatever the count.
 */
export function withDistinct(
  status: 'pending' | 'approved' | 'rejected',
  distinct: DistinctCount | undefined,
): 'pending' | 'approved' | 'rejected' {
  if (status !== 'approved' || distinct === undefined) return status;
  return distinct.people.length >= distinct.needed ? 'approved' : 'pending';
}

/**
 * Who a voter is, for telling people apart: their roster id, found by id or by e-mail (case-insensitive,
 * so an e-mail alias is the same person), else their id in lower case (votes record only the voter's
 * id, so a key must be computable from it alone).
 */
export function personKey(run: IncidentRun, actor: Actor): string {
  for (const handle of [actor.id, actor.email ?? '']) {
    if (handle === '') continue;
    const person = personOf(run.plan, handle);
    if (own(run.plan.people ?? {}, person.id) !== undefined) return person.id;
  }
  return actor.id.toLowerCase();
}

/**
 * The people whose approvals count for `distinct`, in the order they approved: each voter's person once,
 * never whoever triggered the incident (the rule exists so that no single person decides, and the
 * requester has already decided by asking).
 */
export function distinctPeople(run: IncidentRun, votes: readonly VoteRecord[]): string[] {
  const requester = personKey(run, run.input.triggeredBy);
  const people: string[] = [];
  for (const vote of votes) {
    const voter = { id: vote.voter };
    if (vote.vote !== 'approve' || isRequester(run, voter)) continue;
    const person = personKey(run, voter);
    if (person !== requester && !people.includes(person)) people.push(person);
  }
  return people;
}

/** Whether the actor already voted in `votes`, under this id or another handle of the same person (an e-mail alias). */
export function hasVoted(run: IncidentRun, votes: readonly VoteRecord[], actor: Actor): boolean {
  const person = personKey(run, actor);
  return votes.some((vote) => vote.voter === actor.id || personKey(run, { id: vote.voter }) === person);
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
