/**
 * What a `notify` step's message is made of, worked out in the workflow from the frozen plan and the
 * incident state: who it comes from, who receives it on each channel, the context it is rendered with,
 * and which facts it depends on (so a change to one of them can void the approvals).
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { emailAddressProblem } from '../../src/domain/addresses.js';
import { ErrorCode } from '../../src/domain/errors.js';
import type { MessageContext, MessageStep } from '../../src/domain/notify.js';
import type { JsonValue, NotifyChannel, NotifyStep } from '../../src/domain/plan.js';
import type { FactRecord, SenderIdentity } from '../../src/domain/state.js';
import { own } from '../../src/domain/own.js';
import { personOf, roleSender } from '../../src/domain/sender.js';
import type { IncidentRun } from '../run.js';

/**
 * Messages used to be signed by the first member of the `from` role (in `firebreak dev`, the admin, who
 * holds every role). A run that started so keeps signing as it began: its approved texts name that person.
 */
const SENDER_IS_ROLE_PATCH = 'notify-sender-is-the-role';

/** Who a message is sent as: the step's `from` role (its `sender` identity), which must have members. */
export function senderOf(run: IncidentRun, step: NotifyStep): SenderIdentity {
  const [member] = run.membersOf(step.from.role);
  if (member === undefined) {
    throw ApplicationFailure.nonRetryable(
      `${step.id}: role ${step.from.role} has no members, so nobody can send this message`,
      ErrorCode.InvalidInput,
    );
  }
  return patched(SENDER_IS_ROLE_PATCH) ? roleSender(run.plan.roles, step.from.role) : personOf(run.plan, member);
}

/**
 * The recipients of one channel: `${{ }}` interpolated, `role:<name>` expanded to its members' e-mails.
 * An e-mail recipient that is not one address (a line break, a second address) fails the step here,
 * before the message is rendered for approval.
 */
export function recipientsOf(run: IncidentRun, step: NotifyStep, channel: NotifyChannel, check = true): string[] {
  if (channel === 'statuspage') return [];
  const listed = step.to[channel] ?? [];
  const found = new Map<string, string>();
  for (const entry of listed) {
    const text = run.text(entry).trim();
    const role = /^role:(.+)$/.exec(text)?.[1];
    const addresses = role === undefined ? [text] : emailsOfRole(run, role);
    for (const address of addresses) {
      if (address === '') continue;
      if (channel === 'email' && check) requireAddress(step, `to.email (${entry})`, address);
      found.set(address.toLowerCase(), address);
    }
  }
  if (found.size === 0) {
    throw ApplicationFailure.nonRetryable(
      `${step.id}: no recipients for ${channel} (to.${channel}: ${listed.join(', ') || 'empty'})`,
      ErrorCode.InvalidInput,
    );
  }
  return [...found.values()];
}

/** The step's Reply-To, interpolated and checked, or undefined when it has none. */
export function replyToOf(run: IncidentRun, step: NotifyStep, check = true): string | undefined {
  if (step.replyTo === undefined) return undefined;
  const text = run.text(step.replyTo).trim();
  if (!check) return text;
  // `Name <address>` is allowed here, as in the channel; the name may not break a line either.
  const bare = /<([^<>]+)>$/.exec(text)?.[1] ?? text;
  requireAddress(step, `replyTo (${step.replyTo})`, /[\r\n\p{Cc}]/u.test(text) ? text : bare);
  return text;
}

function requireAddress(step: NotifyStep, where: string, address: string): void {
  const problem = emailAddressProblem(address);
  if (problem === undefined) return;
  throw ApplicationFailure.nonRetryable(
    `${step.id}: ${JSON.stringify(address)} in ${where} is not an e-mail address: ${problem}`,
    ErrorCode.InvalidInput,
  );
}

function emailsOfRole(run: IncidentRun, role: string): string[] {
  return run
    .membersOf(role)
    .map((member) => personOf(run.plan, member).email)
    .filter((email): email is string => email !== undefined);
}

/** The render context: the incident, its non-secret params, facts with their status, decisions, the sender. */
export function contextOf(
  run: IncidentRun,
  step: NotifyStep,
  sender: SenderIdentity,
  sequence: number,
): MessageContext {
  const { plan, state } = run;
  const params: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(state.params)) {
    // A secret param's value is a reference; it is never rendered (validation refuses templates that try).
    if (own(plan.params, name)?.type !== 'secret') params[name] = value;
  }
  return {
    incident: {
      id: state.incidentId,
      title: plan.title,
      severity: state.severity,
      startedAt: state.startedAt,
      runbook: { id: plan.runbookId, title: plan.title },
    },
    params,
    facts: { ...state.facts },
    decisions: { ...state.decisions },
    sender,
    message: {
      sequence,
      renderedAt: new Date().toISOString(),
      ...(step.repeat === undefined ? {} : { nextUpdateAt: new Date(Date.now() + step.repeat.everyMs).toISOString() }),
    },
    ...stepsOf(run, step),
  };
}

/**
 * The steps the message's templates name, with their status and output. Only those: a message that names
 * none renders with exactly the context it always had, and no other step's output travels to the renderer.
 */
function stepsOf(run: IncidentRun, step: NotifyStep): { steps?: Record<string, MessageStep> } {
  const ids = new Set(
    step.templates.variables
      .filter((path) => path.startsWith('steps.'))
      .map((path) => path.split('.')[1] ?? '')
      .filter((id) => id !== ''),
  );
  if (ids.size === 0) return {};
  const steps: Record<string, MessageStep> = {};
  for (const id of [...ids].sort()) {
    const state = run.state.steps.find((candidate) => candidate.id === id);
    if (state === undefined) continue;
    steps[id] = state.output === undefined ? { status: state.status } : { status: state.status, output: state.output };
  }
  return { steps };
}

/** The facts a message depends on: its `requires` and every fact its templates use. */
export function factsOf(step: NotifyStep): string[] {
  const used = step.templates.variables
    .filter((path) => path.startsWith('facts.'))
    .map((path) => path.split('.')[1] ?? '')
    .filter((name) => name !== '');
  return [...new Set([...step.requires, ...used])].sort();
}

/** The params a message uses: in its templates, its recipients or its reply-to address. */
export function paramsOf(step: NotifyStep): string[] {
  const used = step.templates.variables
    .filter((path) => path.startsWith('params.'))
    .map((path) => path.split('.')[1] ?? '');
  const written = [...(step.to.email ?? []), step.replyTo ?? ''];
  for (const text of written)
    for (const match of text.matchAll(/\bparams\.([A-Za-z_][A-Za-z0-9_]*)/g)) used.push(match[1] ?? '');
  return [...new Set(used.filter((name) => name !== ''))].sort();
}

/** The `requires` facts that are not confirmed yet. */
export function unconfirmed(run: IncidentRun, step: NotifyStep): string[] {
  return step.requires.filter((name) => own(run.state.facts, name)?.status !== 'confirmed');
}

/** A comparable snapshot of the facts a message depends on. */
export type FactSnapshot = Map<string, string>;

/** Takes a snapshot of `names` as they are now. */
export function snapshotFacts(run: IncidentRun, names: readonly string[]): FactSnapshot {
  return new Map(names.map((name) => [name, signature(own(run.state.facts, name))]));
}

/** The facts among the snapshot's that changed since, each described for the timeline. */
export function changedFacts(run: IncidentRun, snapshot: FactSnapshot): string[] {
  const changes: string[] = [];
  for (const [name, before] of snapshot) {
    const fact = own(run.state.facts, name);
    if (signature(fact) === before) continue;
    changes.push(
      fact === undefined
        ? `${name} was cleared`
        : `${name} was set to ${JSON.stringify(fact.value)} (${fact.status}) by ${fact.setBy}`,
    );
  }
  return changes;
}

function signature(fact: FactRecord | undefined): string {
  return fact === undefined ? '' : JSON.stringify([fact.value, fact.status, fact.setBy, fact.setAt]);
}
