/** `approval`: a human gate that needs votes from the listed roles. */
import { z } from 'zod';
import type { ApprovalStep } from '../../domain/plan.js';
import type { DocPath } from '../../diagnostics/located-issue.js';
import { compact } from '../object.js';
import { roleName, RoleRef, stepCommonShape, Text } from '../schema.js';
import { defineKind, type StepCheckContext } from './types.js';
import { own } from '../../domain/own.js';

const ApprovalStepSchema = z
  .strictObject({
    ...stepCommonShape,
    approval: Text.meta({ description: 'The exact text approvers vote on; may embed ${{ }}.' }),
    approvers: z
      .array(RoleRef)
      .meta({ description: 'Roles whose members may approve; one vote from each by default.' }),
    quorum: z.int().min(1, { error: 'must be at least 1' }).optional(),
    distinct: z.int().min(1, { error: 'must be at least 1' }).optional().meta({
      description:
        'The two-person rule: how many different people (by roster id) must approve, whatever roles they hold; the requester never counts.',
    }),
    onTimeout: z.enum(['escalate', 'reject', 'abort']).default('reject'),
    allowRequester: z.boolean().default(false).meta({
      description: 'Whoever triggered the incident may also approve (refused by default: separation of duties).',
    }),
  })
  .meta({ id: 'ApprovalStep', description: 'A human gate: approvals from the listed roles.' });
type ApprovalStepInput = z.infer<typeof ApprovalStepSchema>;

/** The `approval` step kind. */
export const approvalKind = defineKind<ApprovalStepInput, ApprovalStep>({
  key: 'approval',
  planKind: 'approval',
  summary: 'a human gate that needs approvals from the listed roles',
  schema: ApprovalStepSchema,
  supportsRetry: false,
  secretsAllowedIn: [],
  check(step, ctx) {
    const seen = new Set<string>();
    step.approvers.forEach((ref, index) => {
      ctx.checkRole(['approvers', index], ref);
      if (seen.has(ref)) ctx.report(['approvers', index], `${ref} is listed twice`);
      seen.add(ref);
    });
    if (step.approvers.length === 0) {
      const needsApprovers = (['quorum', 'distinct'] as const).filter((field) => step[field] !== undefined);
      if (needsApprovers.length === 0) ctx.report(['approvers'], 'an approval needs at least one approver role');
      for (const field of needsApprovers)
        ctx.report([field], `\`${field}\` needs approvers: list the roles whose members may approve`);
    }
    checkDistinct(step, ctx);
    checkTimeout(step, ctx);
  },
  compile: (step, ctx) =>
    compact({
      kind: 'approval' as const,
      ...ctx.common(step),
      approval: step.approval,
      approvers: step.approvers.map((ref) => ctx.role(ref)),
      quorum: step.quorum,
      distinct: step.distinct,
      onTimeout: step.onTimeout,
      allowRequester: step.allowRequester,
    }),
  describe: (step) =>
    [
      `approval by ${step.approvers.map((ref) => `role:${ref.role}`).join(' + ')}`,
      step.quorum !== undefined ? `quorum ${step.quorum}` : undefined,
      step.distinct !== undefined ? `${step.distinct} distinct people` : undefined,
      `on timeout ${step.onTimeout}`,
      step.allowRequester === true ? 'requester may approve' : undefined,
    ]
      .filter(Boolean)
      .join('  '),
});

/** What `checkDistinct` reads: the step's vote counts. */
export interface DistinctGate {
  quorum?: number | undefined;
  distinct?: number | undefined;
}

/**
 * Reports a `distinct` larger than the `quorum`: every distinct approval is also an approval, so the
 * quorum would mean nothing and whoever reads the runbook would misjudge how many must approve.
 * (Whether the roles have that many members is not checked: rosters change after validation.)
 */
export function checkDistinct(gate: DistinctGate, ctx: StepCheckContext, at: DocPath = ['distinct']): void {
  if (gate.distinct === undefined || gate.quorum === undefined || gate.distinct <= gate.quorum) return;
  ctx.report(
    at,
    `\`distinct: ${gate.distinct}\` is more than \`quorum: ${gate.quorum}\`: ${gate.distinct} different people must approve, so the quorum would never be what decides; raise \`quorum\` to at least ${gate.distinct} or leave it out`,
  );
}

/** What `checkTimeout` reads: a human gate's timeout policy and its approver roles. */
export interface TimeoutGate {
  onTimeout: 'escalate' | 'reject' | 'abort';
  /** The step's common `timeout`. */
  timeout?: string | undefined;
  approvers: readonly string[];
}

/**
 * Reports an `onTimeout` that cannot happen: `escalate` and `abort` need a timeout, and `escalate` needs an
 * approver role that declares `escalateTo`. `at` is where `onTimeout` sits, relative to the step.
 */
export function checkTimeout(gate: TimeoutGate, ctx: StepCheckContext, at: DocPath = ['onTimeout']): void {
  if (gate.onTimeout !== 'reject' && gate.timeout === undefined) {
    ctx.report(at, `\`onTimeout: ${gate.onTimeout}\` needs a \`timeout\` on the step`);
  }
  if (gate.onTimeout === 'escalate') {
    const escalates = gate.approvers.some((ref) => own(ctx.roles, roleName(ref))?.escalateTo !== undefined);
    if (!escalates && gate.approvers.length > 0) {
      ctx.report(at, '`onTimeout: escalate` but none of the approver roles declares `escalateTo`');
    }
  }
}
