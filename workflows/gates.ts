/**
 * Human gates: the points where a run waits for a person (task, decision, approval). A gate knows who may
 * act on it and how to validate and apply a command; the Update handlers find the open gate and delegate,
 * so adding a human step kind never touches the handlers. Waiting is a timed `condition` that also
 * raises escalations (a role's `escalateTo` after `after`), reminders and overdue events.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { ErrorCode } from '../src/domain/errors.js';
import type { RoleRef } from '../src/domain/plan.js';
import type { Actor, CastVote } from '../src/domain/state.js';
import { hasOwn, own } from '../src/domain/own.js';
import { gateKindOf, type GateKind } from '../src/domain/step-kinds.js';
import { now, type IncidentRun } from './run.js';

/** An open human gate. `validate` must not change state: it runs in the Update validator. */
export interface Gate<C> {
  kind: GateKind;
  step: string;
  /** Roles allowed to act; empty means any role in the incident. */
  roles: string[];
  /** Escalation role -> the role it stands in for (filled by `escalate`). */
  standIns: Map<string, string>;
  validate(command: C, actorRoles: string[]): void;
  apply(command: C, actorRoles: string[]): void;
  done(): boolean;
}

/** Fails a command with a code the API maps to an HTTP status. */
export function refuse(code: ErrorCode, message: string): never {
  throw ApplicationFailure.nonRetryable(message, code);
}

/** The open gates of a run, keyed by step id. */
export class GateBook {
  private readonly gates = new Map<string, Gate<unknown>>();

  constructor(private readonly run: IncidentRun) {}

  open<C>(gate: Gate<C>): void {
    this.gates.set(gate.step, gate);
  }

  close(step: string): void {
    this.gates.delete(step);
    this.run.removePending(step);
  }

  /** Finds the open gate of a kind for a step, or refuses with why not. */
  find<C>(kind: GateKind, step: string): Gate<C> {
    const gate = this.gates.get(step);
    if (gate && gate.kind === kind) return gate;
    const known = this.run.state.steps.find((s) => s.id === step);
    if (!known) refuse(ErrorCode.NotFound, `No step ${step} in this incident`);
    // A step is acted on through the gate its kind opens (a notify step's message: an approval gate).
    if (gateKindOf(known.kind) !== kind) {
      refuse(ErrorCode.Conflict, `Step ${step} is ${article(known.kind)}, not ${article(kind)}`);
    }
    refuse(ErrorCode.Conflict, `Step ${step} is not waiting for ${article(kind)} (it is ${known.status})`);
  }

  /** Finds the open decision gate for a decision name. */
  findDecision<C>(decision: string): Gate<C> {
    const step = this.run.decisionSteps.get(decision);
    if (step === undefined) refuse(ErrorCode.NotFound, `No decision ${decision} in this incident`);
    if (hasOwn(this.run.state.decisions, decision))
      refuse(ErrorCode.Conflict, `Decision ${decision} was already recorded`);
    return this.find<C>('decision', step);
  }

  /** Checks the actor may act on the gate and returns the roles they act in. */
  authorize(gate: Gate<unknown>, actor: Actor): string[] {
    const held = this.run.rolesOf(actor);
    if (held.length === 0) refuse(ErrorCode.Forbidden, `${actor.id} holds no role in this incident`);
    if (gate.roles.length === 0) return held;
    const acting = held.filter((role) => gate.roles.includes(role));
    if (acting.length === 0) {
      refuse(
        ErrorCode.Forbidden,
        `${actor.id} may not act on ${gate.step}: it needs ${gate.roles.map((r) => `role:${r}`).join(' or ')}`,
      );
    }
    return acting;
  }
}

/** Whether the actor is the person who triggered the incident (by user id or e-mail). */
export function isRequester(run: IncidentRun, actor: Actor): boolean {
  const requester = run.input.triggeredBy;
  const theirs = new Set([requester.id, requester.email ?? ''].map((key) => key.toLowerCase()).filter((k) => k !== ''));
  return [actor.id, actor.email ?? ''].some((key) => key !== '' && theirs.has(key.toLowerCase()));
}

/**
 * Separation of duties: refuses an approving vote by whoever triggered the incident, unless the step
 * says `allowRequester: true`. A reject vote is always allowed: stopping one's own request is safe.
 */
export function refuseRequester(
  run: IncidentRun,
  step: string,
  allowRequester: boolean | undefined,
  command: CastVote,
): void {
  if (allowRequester === true || command.vote !== 'approve' || !isRequester(run, command.actor)) return;
  refuse(
    ErrorCode.Forbidden,
    `${command.actor.id} triggered this incident and may not approve ${step}; someone else must (or the step sets allowRequester: true)`,
  );
}

/** Timed things that happen while a gate waits, in addition to the gate being acted on. */
export interface WaitPlan {
  /** When the wait gives up (the step's timeout), in ms from now. */
  timeoutMs?: number;
  /** When the step is due (tasks): a reminder at 80% of the window and an overdue event at the end. */
  dueMs?: number;
  /** Roles whose `escalateTo` applies after their `after`. */
  escalationRoles: string[];
}

/** Waits until the gate is done or the timeout passes; returns false on timeout. */
export async function waitForGate(run: IncidentRun, gate: Gate<unknown>, plan: WaitPlan): Promise<boolean> {
  const started = Date.now();
  const events: Array<{ at: number; fire: () => void; label: string }> = [];
  if (plan.dueMs !== undefined) {
    const dueMs = plan.dueMs;
    const reminder = { at: started + Math.floor(dueMs * 0.8), label: `${gate.step}: reminder before due` };
    events.push({ ...reminder, fire: () => remindDue(run, gate, started + dueMs) });
    events.push({ at: started + dueMs, label: `${gate.step}: due`, fire: () => markOverdue(run, gate) });
  }
  for (const role of plan.escalationRoles) {
    const spec = own(run.plan.roles, role);
    if (spec?.escalateTo !== undefined && spec.afterMs !== undefined) {
      const target = spec.escalateTo;
      const label = `${gate.step}: escalate role:${role} to role:${target}`;
      events.push({ at: started + spec.afterMs, label, fire: () => escalate(run, gate, [role], target) });
    }
  }
  const deadline = plan.timeoutMs === undefined ? undefined : started + plan.timeoutMs;
  events.sort((a, b) => a.at - b.at);
  for (;;) {
    const next = events[0];
    const until = Math.min(next?.at ?? Infinity, deadline ?? Infinity);
    if (until === Infinity) {
      await condition(() => gate.done());
      return true;
    }
    const summary = next !== undefined && next.at <= until ? next.label : `${gate.step}: timeout`;
    if (await condition(() => gate.done(), Math.max(until - Date.now(), 1), { summary })) return true;
    if (next && next.at <= Date.now()) {
      events.shift();
      next.fire();
    } else if (deadline !== undefined && Date.now() >= deadline) {
      return false;
    }
  }
}

/** Lets `target` act in place of `fromRoles` on a gate, and records it. */
export function escalate(run: IncidentRun, gate: Gate<unknown>, fromRoles: string[], target: string): void {
  if (gate.roles.includes(target)) return;
  gate.roles.push(target);
  for (const role of fromRoles) if (!gate.standIns.has(target)) gate.standIns.set(target, role);
  run.updatePending(gate.step, { actors: gate.roles.map((r) => `role:${r}`) });
  run.updateStep(gate.step, { actors: gate.roles.map((r) => `role:${r}`) });
  run.event(
    'escalated',
    `${gate.step} escalated from ${fromRoles.map((r) => `role:${r}`).join(', ')} to role:${target}`,
    {
      step: gate.step,
      data: { from: fromRoles, to: target, notify: run.membersOf(target) },
    },
  );
}

function remindDue(run: IncidentRun, gate: Gate<unknown>, dueAt: number): void {
  const to = gate.roles.flatMap((role) => run.membersOf(role));
  run.event('reminder', `${gate.step} is due at ${new Date(dueAt).toISOString()}`, {
    step: gate.step,
    data: { to, dueAt: new Date(dueAt).toISOString() },
  });
}

function markOverdue(run: IncidentRun, gate: Gate<unknown>): void {
  run.event('overdue', `${gate.step} is overdue`, {
    step: gate.step,
    data: { to: gate.roles.flatMap((r) => run.membersOf(r)) },
  });
  run.updateStep(gate.step, { overdueAt: now() });
}

/** The role names of role references. */
export function roleNames(refs: readonly RoleRef[] | undefined): string[] {
  return (refs ?? []).map((ref) => ref.role);
}

/** `a task`, `an approval`: for messages people read. */
function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}
