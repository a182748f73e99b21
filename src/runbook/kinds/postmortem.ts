/**
 * `postmortem`: the incident needs a post-mortem, with a facilitator, reviewers, an audience, a review due
 * date and the step that marks containment. It never blocks the incident: the run records the requirement
 * and goes on, and the post-mortem is drafted when the incident closes.
 */
import { z } from 'zod';
import type { PostmortemStep } from '../../domain/plan.js';
import { formatDuration } from '../../domain/duration.js';
import { compact } from '../object.js';
import { Duration, RoleRef, stepCommonShape, Text } from '../schema.js';
import { defineKind, type StepCheckContext } from './types.js';

/** One role or a list of them (`audience: role:all-staff` or `reviewers: [role:security, role:legal]`). */
const RoleRefs = z.union([RoleRef, z.array(RoleRef).min(1, { error: 'list at least one role, or leave it out' })]);

const StepRef = z
  .string()
  .regex(/^step:[A-Za-z][A-Za-z0-9_-]*$/, { error: 'expected step:<id>' })
  .meta({ description: 'A step of this runbook, written step:<id>.' });

const PostmortemSpec = z
  .strictObject({
    facilitator: RoleRef.optional().meta({ description: 'Who runs the post-mortem (required, or `owner`).' }),
    owner: RoleRef.optional().meta({ description: 'The format v1 spelling of `facilitator`; give one of the two.' }),
    reviewers: RoleRefs.optional().meta({ description: 'Roles that review the post-mortem before it is published.' }),
    audience: RoleRefs.optional().meta({ description: 'Roles the published post-mortem is sent to.' }),
    due: Duration.optional().meta({ description: 'How long after the incident closes the review is due.' }),
    containedBy: StepRef.optional().meta({
      description: 'The step whose end marks containment, for the time to containment.',
    }),
    tags: z.array(Text).default([]).meta({ description: 'Tags the post-mortem starts with.' }),
  })
  .meta({ id: 'PostmortemSpec', description: 'Who runs and reviews the post-mortem, and when it is due.' });

const PostmortemStepSchema = z
  .strictObject({ ...stepCommonShape, postmortem: PostmortemSpec })
  .meta({ id: 'PostmortemStep', description: 'Requires a post-mortem; never blocks the incident.' });
type PostmortemStepInput = z.infer<typeof PostmortemStepSchema>;
type PostmortemSpecInput = z.infer<typeof PostmortemSpec>;

function listOf(refs: string | readonly string[] | undefined): string[] {
  if (refs === undefined) return [];
  return typeof refs === 'string' ? [refs] : [...refs];
}

/** The facilitator role reference, whichever spelling gave it. */
function facilitatorOf(spec: PostmortemSpecInput): string | undefined {
  return spec.facilitator ?? spec.owner;
}

function checkRoleList(
  ctx: StepCheckContext,
  key: 'reviewers' | 'audience',
  refs: string | string[] | undefined,
): void {
  if (refs === undefined) return;
  if (typeof refs === 'string') {
    ctx.checkRole(['postmortem', key], refs);
    return;
  }
  const seen = new Set<string>();
  refs.forEach((ref, index) => {
    ctx.checkRole(['postmortem', key, index], ref);
    if (seen.has(ref)) ctx.report(['postmortem', key, index], `${ref} is listed twice`);
    seen.add(ref);
  });
}

function checkContainedBy(ctx: StepCheckContext, stepId: string, ref: string): void {
  const target = ref.slice('step:'.length);
  const path = ['postmortem', 'containedBy'];
  if (target === stepId) {
    ctx.report(path, 'a post-mortem step cannot mark containment itself: name the step that contains the incident');
  } else if (ctx.compensationIds.has(target)) {
    ctx.report(path, `\`${target}\` is a compensation: containment is marked by a step under \`steps:\``);
  } else if (!ctx.stepIds.has(target)) {
    ctx.report(path, `unknown step \`${target}\` (no step has this id)`);
  }
}

/** The `postmortem` step kind. */
export const postmortemKind = defineKind<PostmortemStepInput, PostmortemStep>({
  key: 'postmortem',
  planKind: 'postmortem',
  summary: 'requires a post-mortem (facilitator, reviewers, due date); never blocks the incident',
  schema: PostmortemStepSchema,
  supportsRetry: false,
  secretsAllowedIn: [],
  oncePerRunbook: true,
  check(step, ctx) {
    const spec = step.postmortem;
    if (spec.facilitator !== undefined && spec.owner !== undefined) {
      ctx.report(
        ['postmortem', 'owner'],
        '`owner` and `facilitator` are the same field (`owner` is the format v1 spelling): give one of them',
        { key: true },
      );
    }
    const facilitator = facilitatorOf(spec);
    const written = (key: string): boolean => ctx.written(['postmortem', key]) !== undefined;
    if (facilitator === undefined) {
      // A facilitator the schema refused is reported there already.
      if (!written('facilitator') && !written('owner'))
        ctx.report(['postmortem'], 'a post-mortem needs a facilitator: add `facilitator: role:<name>`');
    } else {
      ctx.checkRole(['postmortem', spec.facilitator === undefined ? 'owner' : 'facilitator'], facilitator);
    }
    checkRoleList(ctx, 'reviewers', spec.reviewers);
    checkRoleList(ctx, 'audience', spec.audience);
    if (spec.containedBy !== undefined) checkContainedBy(ctx, step.id, spec.containedBy);
    const tags = new Set<string>();
    spec.tags.forEach((tag, index) => {
      if (tags.has(tag)) ctx.report(['postmortem', 'tags', index], `tag \`${tag}\` is listed twice`);
      tags.add(tag);
    });
  },
  compile(step, ctx) {
    const spec = step.postmortem;
    // Checks refuse a step without a facilitator before anything is compiled.
    const facilitator = facilitatorOf(spec) ?? '';
    return compact({
      kind: 'postmortem' as const,
      ...ctx.common(step),
      facilitator: ctx.role(facilitator),
      reviewers: listOf(spec.reviewers).map((ref) => ctx.role(ref)),
      audience: listOf(spec.audience).map((ref) => ctx.role(ref)),
      dueMs: spec.due === undefined ? undefined : ctx.ms(spec.due),
      containedBy: spec.containedBy?.slice('step:'.length),
      tags: [...spec.tags],
    });
  },
  describe: (step) =>
    [
      'postmortem',
      `facilitator role:${step.facilitator.role}`,
      step.reviewers.length > 0 ? `reviewers ${step.reviewers.map((ref) => `role:${ref.role}`).join(', ')}` : undefined,
      step.audience.length > 0 ? `audience ${step.audience.map((ref) => `role:${ref.role}`).join(', ')}` : undefined,
      step.dueMs !== undefined ? `due ${formatDuration(step.dueMs)}` : undefined,
      step.containedBy !== undefined ? `containedBy step:${step.containedBy}` : undefined,
    ]
      .filter(Boolean)
      .join('  '),
});
