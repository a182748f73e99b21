/**
 * `notify`: renders a message from its templates once the facts it requires are confirmed, has the
 * approvers vote on the exact rendered text, then sends it through its channels (and, with `repeat`,
 * sends updates). The message's templates are embedded in the plan when the runbook is compiled.
 */
import { formatDuration } from '../../domain/duration.js';
import type { MessageTemplates, NotifyRecipients, NotifyRepeatPlan, NotifyStep } from '../../domain/plan.js';
import { embedMessage } from '../../templating/embedded.js';
import { compact } from '../object.js';
import { checkNotify } from './notify-checks.js';
import { NotifyStepSchema, repeatOf, type NotifySpecInput, type NotifyStepInput } from './notify-schema.js';
import { defineKind, type StepCompileContext } from './types.js';

/** The `notify` step kind. */
export const notifyKind = defineKind<NotifyStepInput, NotifyStep>({
  key: 'notify',
  planKind: 'notify',
  summary: 'sends a message rendered from templates, approved on its exact text',
  schema: NotifyStepSchema,
  // Retry applies to deliveries: a channel that fails is tried again, never a re-render.
  supportsRetry: true,
  secretsAllowedIn: [],
  check: checkNotify,
  compile: (step, ctx) => {
    const spec = step.notify;
    return compact({
      kind: 'notify' as const,
      ...ctx.common(step),
      message: spec.message,
      channels: [...spec.channels],
      to: compileRecipients(spec.to),
      from: ctx.role(spec.from),
      replyTo: spec.replyTo,
      approvers: spec.approvers.map((ref) => ctx.role(ref)),
      quorum: spec.quorum,
      distinct: spec.distinct,
      requires: [...spec.requires],
      fourEyes: spec.fourEyes,
      allowRequester: spec.allowRequester,
      onTimeout: spec.onTimeout,
      repeat: spec.repeat === undefined ? undefined : compileRepeat(spec.repeat, ctx),
      templates: embed(spec, ctx),
    });
  },
  describe: (step) =>
    [
      `notify ${step.message} via ${step.channels.join(', ')}`,
      `from role:${step.from.role}`,
      step.approvers.length === 0
        ? 'no approval'
        : `approved by ${step.approvers.map((ref) => `role:${ref.role}`).join(' + ')}`,
      step.quorum !== undefined ? `quorum ${step.quorum}` : undefined,
      step.distinct !== undefined ? `${step.distinct} distinct people` : undefined,
      step.repeat !== undefined ? `repeats every ${formatDuration(step.repeat.everyMs)}` : undefined,
    ]
      .filter(Boolean)
      .join('  '),
});

function compileRepeat(repeat: NonNullable<NotifySpecInput['repeat']>, ctx: StepCompileContext): NotifyRepeatPlan {
  const { every, until, preApproved } = repeatOf(repeat);
  return compact({ everyMs: ctx.ms(every), until, preApproved });
}

// Entries are kept as written: `role:x` and `${{ }}` are resolved when the message is sent.
function compileRecipients(to: NotifySpecInput['to']): NotifyRecipients {
  return compact({
    email: to.email && [...to.email],
    webhook: to.webhook && [...to.webhook],
    chat: to.chat && [...to.chat],
  });
}

function embed(spec: NotifySpecInput, ctx: StepCompileContext): MessageTemplates {
  // The checks refused the runbook when templates were missing or lacked the message; reaching this is a bug.
  if (ctx.templates === undefined) throw new Error(`notify step compiled without templates`);
  const result = embedMessage(ctx.templates, spec.message, spec.channels);
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('; '));
  return result.value;
}
