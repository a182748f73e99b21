/**
 * Whether a closed incident needs a post-mortem, and why: one rule, shared by the incident workflow (which
 * starts the drafting workflow when it closes) and by drafting itself (`src/postmortems/from-incident.ts`).
 * Workflow-safe: no I/O, no clock.
 */
import { own } from './own.js';
import { kindOfPlan, type Plan, type PostmortemStep, type RoleRef, type Severity } from './plan.js';
import type { IncidentState } from './state.js';
import { forEachStep, isPostmortemStep } from './step-kinds.js';

/**
 * Why an incident needs a post-mortem:
 * - `step`: its `postmortem` step ran and recorded the requirement (`state.postmortem`);
 * - `plan-step`: its runbook has a `postmortem` step the run never reached (it ended before);
 * - `severity`: its severity is in `postmortems.requiredFor` (top-level incidents only).
 */
export type PostmortemReason = 'step' | 'plan-step' | 'severity';

/** What the run knows about its place: a child runbook's run names its parent. */
export interface RunPlace {
  parent?: { incidentId: string; step: string };
}

/**
 * Why this closed incident needs a post-mortem, or undefined when it does not. A `postmortem` step that
 * was skipped by its `when` means the runbook decided none is needed on that path: only severity can then
 * require one. Severity requires one only of a top-level incident: not of a scheduled job (a backup or
 * drill run, kind `job`) and not of a child runbook's run, whose story is its parent's post-mortem.
 */
export function postmortemReason(
  state: Pick<IncidentState, 'postmortem' | 'severity' | 'steps'>,
  plan: Plan,
  place: RunPlace,
  requiredFor: readonly Severity[],
): PostmortemReason | undefined {
  if (state.postmortem !== undefined) return 'step';
  const step = postmortemStepOf(plan);
  if (step !== undefined) {
    const status = state.steps.find((s) => s.id === step.id)?.status;
    if (status === undefined || status === 'pending') return 'plan-step';
  }
  return severityApplies(plan, place) && requiredFor.includes(state.severity) ? 'severity' : undefined;
}

/** Whether severity alone can require a post-mortem of this run: a top-level incident, not a job or a child. */
export function severityApplies(plan: Pick<Plan, 'kind'>, place: RunPlace): boolean {
  return kindOfPlan(plan) === 'incident' && place.parent === undefined;
}

/** The plan's first `postmortem` step (in runbook order, nested ones included), if it has one. */
export function postmortemStepOf(plan: Pick<Plan, 'steps'>): PostmortemStep | undefined {
  let found: PostmortemStep | undefined;
  forEachStep(plan.steps, (step) => {
    if (found === undefined && isPostmortemStep(step)) found = step;
  });
  return found;
}

/**
 * The roster ids of the members of `refs`' roles on the run's frozen roster, one per person: a role's
 * frozen members hold each roster user twice (id and e-mail); a member off the roster stays as written.
 */
export function rosterIdsOf(plan: Pick<Plan, 'roles' | 'people'>, refs: readonly RoleRef[]): string[] {
  const byKey = new Map<string, string>();
  for (const [id, person] of Object.entries(plan.people ?? {})) {
    byKey.set(id.toLowerCase(), id);
    if (person.email !== undefined) byKey.set(person.email.toLowerCase(), id);
  }
  const members = refs.flatMap((ref) => own(plan.roles, ref.role)?.members ?? []);
  return [...new Set(members.map((member) => byKey.get(member.toLowerCase()) ?? member))];
}

/** The id of the workflow that drafts (and later reviews) an incident's post-mortem: one per incident. */
export function postmortemWorkflowId(incidentId: string): string {
  return `postmortem:${incidentId}`;
}

/** The `patched()` id under which a closing incident starts its post-mortem workflow (issue 13). */
export const POSTMORTEM_DRAFT_PATCH = 'postmortem-draft';
