/**
 * `postmortem` steps: record that the incident needs a post-mortem, with who runs and reviews it, and go on
 * at once. Nothing here waits or calls an activity: the post-mortem is drafted when the incident closes.
 */
import { formatDuration } from '../../src/domain/duration.js';
import type { PostmortemStep, RoleRef } from '../../src/domain/plan.js';
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
  const people = identities(run);
  // A role's frozen members hold each roster user twice (id and e-mail): one entry per person.
  const members = (refs: readonly RoleRef[]): string[] => [
    ...new Set(refs.flatMap((ref) => run.membersOf(ref.role)).map((member) => people(member))),
  ];
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

/** Maps a role member (a roster id or e-mail) to the roster id; a member off the roster stays as written. */
function identities(run: IncidentRun): (member: string) => string {
  const byKey = new Map<string, string>();
  for (const [id, person] of Object.entries(run.plan.people ?? {})) {
    byKey.set(id.toLowerCase(), id);
    if (person.email !== undefined) byKey.set(person.email.toLowerCase(), id);
  }
  return (member) => byKey.get(member.toLowerCase()) ?? member;
}

function describe(step: PostmortemStep): string {
  const parts = [`Post-mortem required, facilitated by role:${step.facilitator.role}`];
  if (step.reviewers.length > 0)
    parts.push(`reviewed by ${step.reviewers.map((ref) => `role:${ref.role}`).join(', ')}`);
  if (step.dueMs !== undefined) parts.push(`due ${formatDuration(step.dueMs)} after the incident closes`);
  return parts.join(', ');
}
