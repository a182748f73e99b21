/**
 * What `firebreak comms preview` renders a message from, read from the command line and checked against
 * the runbook: the notify step, facts from a JSON file, decisions, and the sender. Every problem is a
 * sentence naming what is wrong; nothing here touches a server.
 */
import { checkFactValue } from '../domain/values.js';
import type { JsonValue, NotifyChannel, NotifyStep, Plan } from '../domain/plan.js';
import { decisionOf, forEachStep, isMessageStep } from '../domain/step-kinds.js';
import type { DecisionRecord, FactRecord, SenderIdentity } from '../domain/state.js';
import { own } from '../domain/own.js';
import { personOf, roleSender } from '../domain/sender.js';

/** Who the preview says set the facts and recorded the decisions. */
export const PREVIEW_ACTOR = 'preview';

/** The notify step with this id (parallel branches included), or why there is none. */
export function findNotifyStep(
  plan: Plan,
  stepId: string,
): { ok: true; step: NotifyStep } | { ok: false; problem: string } {
  let found: Plan['steps'][number] | undefined;
  const notify: string[] = [];
  forEachStep(plan.steps, (step) => {
    if (step.id === stepId) found = step;
    if (isMessageStep(step)) notify.push(step.id);
  });
  const known = notify.join(', ') || 'none';
  if (found === undefined)
    return { ok: false, problem: `runbook ${plan.runbookId} has no step \`${stepId}\` (notify steps: ${known})` };
  if (!isMessageStep(found)) {
    return {
      ok: false,
      problem: `step \`${stepId}\` is a ${found.kind} step, not a notify step (notify steps: ${known})`,
    };
  }
  return { ok: true, step: found };
}

/**
 * Facts from the parsed JSON of a facts file: `{ "name": value }` sets a confirmed fact, and
 * `{ "name": { "value": v, "confirmed": false } }` a suspected one. Every unknown name or wrong type is
 * a problem naming the fact.
 */
export function readFacts(
  plan: Pick<Plan, 'facts'>,
  json: unknown,
  at: string,
): { ok: true; facts: Record<string, FactRecord> } | { ok: false; problems: string[] } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, problems: ['the facts file must hold a JSON object: { "<fact>": <value>, ... }'] };
  }
  const declared = Object.keys(plan.facts).join(', ') || 'none';
  const facts: Record<string, FactRecord> = {};
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, JsonValue>)) {
    const spec = own(plan.facts, name);
    if (spec === undefined) {
      problems.push(`fact \`${name}\`: not declared by the runbook (facts: ${declared})`);
      continue;
    }
    const { value, confirmed } = factInput(raw);
    const wrong = checkFactValue(spec.type, value);
    if (wrong !== undefined) problems.push(`fact \`${name}\`: ${wrong}`);
    else facts[name] = { name, value, status: confirmed ? 'confirmed' : 'suspected', setBy: PREVIEW_ACTOR, setAt: at };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, facts };
}

/** `{ "value": v, "confirmed"?: bool }` (only those keys) is the long form; anything else is the value itself. */
function factInput(raw: JsonValue): { value: JsonValue; confirmed: boolean } {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.hasOwn(raw, 'value')) {
    const keys = Object.keys(raw);
    const confirmed = raw.confirmed;
    if (
      keys.every((key) => key === 'value' || key === 'confirmed') &&
      (confirmed === undefined || typeof confirmed === 'boolean')
    ) {
      return { value: raw.value ?? null, confirmed: confirmed ?? true };
    }
  }
  return { value: raw, confirmed: true };
}

/** Decisions from `--decision name` or `--decision name=option`, checked against the runbook's decisions. */
export function readDecisions(
  plan: Pick<Plan, 'decisions' | 'steps'>,
  texts: readonly string[],
  at: string,
): { ok: true; decisions: Record<string, DecisionRecord> } | { ok: false; problems: string[] } {
  const declared = Object.keys(plan.decisions).join(', ') || 'none';
  const decisions: Record<string, DecisionRecord> = {};
  const problems: string[] = [];
  for (const text of texts) {
    const equals = text.indexOf('=');
    const name = (equals < 0 ? text : text.slice(0, equals)).trim();
    const option = equals < 0 ? undefined : text.slice(equals + 1).trim();
    const spec = own(plan.decisions, name);
    if (spec === undefined) {
      problems.push(`decision \`${name}\`: not declared by the runbook (decisions: ${declared})`);
    } else if (spec.options !== undefined && (option === undefined || !spec.options.includes(option))) {
      problems.push(`decision \`${name}\`: expected one of ${spec.options.join(', ')} (--decision ${name}=<option>)`);
    } else if (Object.hasOwn(decisions, name)) {
      problems.push(`decision \`${name}\` is given twice`);
    } else {
      const step = decisionStep(plan, name) ?? name;
      decisions[name] = { name, ...(option ? { option } : {}), by: PREVIEW_ACTOR, at, step };
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, decisions };
}

function decisionStep(plan: Pick<Plan, 'steps'>, name: string): string | undefined {
  let id: string | undefined;
  forEachStep(plan.steps, (step) => {
    if (id === undefined && decisionOf(step) === name) id = step.id;
  });
  return id;
}

/** The sender, as a run picks it: the step's `from` role, when it has members on the roster-resolved plan. */
export function senderOf(plan: Plan, step: NotifyStep): SenderIdentity | undefined {
  const first = own(plan.roles, step.from.role)?.members[0];
  return first === undefined ? undefined : roleSender(plan.roles, step.from.role);
}

/**
 * Who a channel goes to, as far as a preview can tell: `role:<name>` becomes its members' e-mails;
 * entries with `${{ }}` are shown as written (a run interpolates them).
 */
export function recipientsOf(plan: Plan, step: NotifyStep, channel: NotifyChannel): string[] {
  if (channel === 'statuspage') return [];
  const found = new Map<string, string>();
  for (const entry of step.to[channel] ?? []) {
    const role = /^role:(.+)$/.exec(entry.trim())?.[1];
    const members = role === undefined ? [entry.trim()] : (own(plan.roles, role)?.members ?? []);
    const addresses = role === undefined ? members : members.map((member) => personOf(plan, member).email ?? '');
    for (const address of addresses) if (address !== '') found.set(address.toLowerCase(), address);
  }
  return [...found.values()];
}
