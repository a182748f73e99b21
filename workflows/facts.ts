/** Facts: what responders establish, each with value, confirmed/suspected, who set it and when. */
import { ErrorCode } from '../src/domain/errors.js';
import { checkValueLimits, describeLimitProblem } from '../src/domain/limits.js';
import { own } from '../src/domain/own.js';
import type { JsonValue } from '../src/domain/plan.js';
import type { Actor, FactInput } from '../src/domain/state.js';
import { checkFactValue } from '../src/domain/values.js';
import { refuse } from './gates.js';
import { now, type IncidentRun } from './run.js';

/**
 * Refuses a fact the runbook does not declare (only its own names: `constructor` is not a fact), a value
 * of the wrong type, or one over the value limits. Runs in Update validators, the second line behind the API.
 */
export function validateFact(run: IncidentRun, name: string, value: JsonValue): void {
  const spec = own(run.plan.facts, name);
  if (!spec) {
    const known = Object.keys(run.plan.facts).join(', ') || 'none';
    refuse(ErrorCode.NotFound, `Fact ${name} is not declared by runbook ${run.plan.runbookId} (declared: ${known})`);
  }
  const problem = checkFactValue(spec.type, value);
  if (problem !== undefined) refuse(ErrorCode.InvalidInput, `Fact ${name}: ${problem}`);
  const limited = checkValueLimits(value);
  if (limited !== undefined) refuse(ErrorCode.InvalidInput, `Fact ${name}: ${describeLimitProblem(limited)}`);
}

/** Records a fact (replacing any earlier value, which stays in the timeline). */
export function recordFact(run: IncidentRun, name: string, input: FactInput, actor: Actor, step?: string): void {
  const previous = own(run.state.facts, name);
  const status = input.confirmed === false ? 'suspected' : 'confirmed';
  run.state.facts[name] = {
    name,
    value: input.value,
    status,
    setBy: actor.id,
    setAt: now(),
    ...(step === undefined ? {} : { step }),
  };
  const data: Record<string, JsonValue> = { name, value: input.value, status };
  if (previous) data.previous = previous.value;
  run.event('fact.set', `${name} = ${JSON.stringify(input.value)} (${status})`, {
    actor,
    data,
    ...(step === undefined ? {} : { step }),
  });
}
