/**
 * Turning a trigger request into what a run receives: the runbook's compiled plan bound to the roster as
 * it is now (frozen into the run), and parameters validated against the plan before anything starts.
 */
import type { Plan, Severity } from '../domain/plan.js';
import { SEVERITIES } from '../domain/plan.js';
import type { Actor } from '../domain/state.js';
import { resolveRoster, type RosterMember } from '../runbook/roster.js';
import { validateTriggerParams } from '../runbook/trigger-params.js';
import type { SecretCatalog } from '../secrets/declared.js';
import type { StartIncident } from '../../workflows/definitions.js';

export interface TriggerRequest {
  runbook: string;
  params: Readonly<Record<string, unknown>>;
  severity?: string;
  dedupKey?: string;
  actor: Actor;
}

export interface TriggerProblem {
  path: string;
  message: string;
}

export type Prepared =
  { ok: true; start: StartIncident } | { ok: false; status: 'not_found' | 'invalid'; problems: TriggerProblem[] };

/** Validates a trigger against the loaded runbooks, the roster and the declared secrets, and builds the workflow input. */
export function prepareIncident(
  runbooks: ReadonlyMap<string, { plan: Plan }>,
  roster: readonly RosterMember[],
  request: TriggerRequest,
  secrets: SecretCatalog,
): Prepared {
  const loaded = runbooks.get(request.runbook);
  if (!loaded) {
    const known = [...runbooks.keys()].sort().join(', ') || 'none';
    return {
      ok: false,
      status: 'not_found',
      problems: [{ path: 'runbook', message: `no runbook ${request.runbook} (loaded: ${known})` }],
    };
  }
  const problems: TriggerProblem[] = [];
  const params = validateTriggerParams(loaded.plan, request.params, secrets);
  if (!params.ok) problems.push(...params.issues);
  if (request.severity !== undefined && !(SEVERITIES as readonly string[]).includes(request.severity)) {
    problems.push({ path: 'severity', message: `expected one of ${SEVERITIES.join(', ')}, got ${request.severity}` });
  }
  if (request.dedupKey !== undefined && (request.dedupKey.trim() === '' || request.dedupKey.length > 256)) {
    problems.push({ path: 'dedupKey', message: 'must be 1 to 256 characters' });
  }
  if (!params.ok || problems.length > 0) return { ok: false, status: 'invalid', problems };
  const start: StartIncident = {
    plan: resolveRoster(loaded.plan, roster),
    params: params.value,
    triggeredBy: request.actor,
    ...(request.severity === undefined ? {} : { severity: request.severity as Severity }),
    ...(request.dedupKey === undefined ? {} : { dedupKey: request.dedupKey }),
  };
  return { ok: true, start };
}
