/**
 * `postmortem` steps: record that the incident needs a post-mortem, with who runs and reviews it, and go on
 * at once. Nothing here waits or calls an activity: the post-mortem is drafted when the incident closes.
 */
import { formatDuration } from '../../src/domain/duration.js';
import type { PostmortemStep, RoleRef } from '../../src/domain/plan.js';
import { rosterIdsOf } from '../../src/domain/postmortem.js';
import type { PostmortemRequirement } from '../../src/domain/state.js';
import type { IncidentRun } from '../run.js';
import { now } from '../run.js';
import type { ExecutorFor } from './types.js';

export const postmortemExecutor: ExecutorFor<'postmortem'> = {
  kind: 'postmortem',
  // Recording the requirement takes no time: there is nothing for a timeout to bound.
  handlesTimeout: true,
  execute(step, ctx) {
    const requirement = requirementOf(step, ctx.run);
    ctx.run.state.postmortem = requirement;
    ctx.run.event('postmortem.required', describe(step), {
      step: step.id,
      data: { ...requirement, roles: { ...requirement.roles } },
    });
    return Promise.resolve(undefined);
  },
};

function requirementOf(step: PostmortemStep, run: IncidentRun): PostmortemRequirement {
  const members = (refs: readonly RoleRef[]): string[] => rosterIdsOf(run.plan, refs);
  const requirement: PostmortemRequirement = {
    step: step.id,
    requiredAt: now(),
    facilitators: members([step.facilitator]),
    reviewers: members(step.reviewers),
    audience: members(step.audience),
    roles: {
      facilitator: step.facilitator.role,
      reviewers: step.reviewers.map((ref) => ref.role),
      audience: step.audience.map((ref) => ref.role),
    },
    tags: [...step.tags],
  };
  if (step.dueMs !== undefined) requirement.dueMs = step.dueMs;
  if (step.containedBy !== undefined) requirement.containedBy = step.containedBy;
  return requirement;
}

function describe(step: PostmortemStep): string {
  const parts = [`Post-mortem required, facilitated by role:${step.facilitator.role}`];
  if (step.reviewers.length > 0)
    parts.push(`reviewed by ${step.reviewers.map((ref) => `role:${ref.role}`).join(', ')}`);
  if (step.dueMs !== undefined) parts.push(`due ${formatDuration(step.dueMs)} after the incident closes`);
  return parts.join(', ');
}
