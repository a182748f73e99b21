/** The authoring schema of `notify` steps: what may be written under `notify:`. */
import { z } from 'zod';
import { NOTIFY_CHANNELS } from '../../domain/plan.js';
import { Duration, Identifier, RoleRef, stepCommonShape, StepId, Text } from '../schema.js';

const EndpointName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  error: 'expected an endpoint name from `channels.webhook.endpoints` in the config: letters, digits, ., _ and -',
});

const NotifyRecipientsSchema = z
  .strictObject({
    email: z.array(Text).optional().meta({
      description: 'E-mail addresses, role:<name> (the members of a declared role) or ${{ }} templates.',
    }),
    webhook: z.array(EndpointName).optional().meta({ description: 'Webhook endpoints (format json) from the config.' }),
    chat: z.array(EndpointName).optional().meta({ description: 'Webhook endpoints in Slack format from the config.' }),
  })
  .meta({ description: 'Recipients per channel; the status page takes none.' });

const NotifyRepeatSchema = z
  .union([
    Duration,
    z.strictObject({
      every: Duration.meta({ description: 'How often an update goes out (at least 1m).' }),
      until: StepId.optional().meta({ description: 'A step whose completion stops the repeats.' }),
      preApproved: z.boolean().default(false).meta({ description: 'Updates go out without a new approval.' }),
    }),
  ])
  .meta({ description: 'Send an update every so often, until a step completes or the incident closes.' });

const NotifySpecSchema = z.strictObject({
  message: Text.meta({
    description: 'A message of the template directories: templates/<message>/<channel>.<part>.hbs.',
  }),
  channels: z
    .array(z.enum(NOTIFY_CHANNELS))
    .min(1, { error: 'a notify step needs at least one channel' })
    .meta({ description: 'email, webhook, chat or statuspage; each at most once.' }),
  to: NotifyRecipientsSchema.default({}),
  from: RoleRef.meta({ description: 'The role whose member the message comes from.' }),
  replyTo: Text.optional().meta({ description: 'An e-mail address for replies, or a ${{ }} template.' }),
  approvers: z
    .array(RoleRef)
    .default([])
    .meta({ description: 'Roles that must approve the exact rendered text; none means it is sent without approval.' }),
  quorum: z.int().min(1, { error: 'must be at least 1' }).optional(),
  distinct: z.int().min(1, { error: 'must be at least 1' }).optional().meta({
    description:
      'The two-person rule: how many different people (by roster id) must approve, whatever roles they hold; the requester never counts.',
  }),
  requires: z
    .array(Identifier)
    .default([])
    .meta({ description: 'Facts that must be confirmed before the message is rendered for approval.' }),
  fourEyes: z.boolean().default(false).meta({
    description:
      'Whoever last set a fact the message uses, or supplied a param it uses (the trigger params), may not approve it.',
  }),
  allowRequester: z.boolean().default(false).meta({
    description: 'Whoever triggered the incident may also approve (refused by default: separation of duties).',
  }),
  onTimeout: z.enum(['escalate', 'reject', 'abort']).default('reject'),
  repeat: NotifyRepeatSchema.optional(),
});

/** A `notify` step as written. */
export const NotifyStepSchema = z
  .strictObject({ ...stepCommonShape, notify: NotifySpecSchema })
  .meta({ id: 'NotifyStep', description: 'Sends a message from templates, approved on its exact rendered text.' });

/** A parsed `notify` step. */
export type NotifyStepInput = z.infer<typeof NotifyStepSchema>;
/** The `notify:` mapping of a step as written. */
export type NotifySpecInput = NotifyStepInput['notify'];

/** `repeat` in its long form, whichever form was written. */
export function repeatOf(repeat: NonNullable<NotifySpecInput['repeat']>): {
  every: string;
  until?: string | undefined;
  preApproved: boolean;
} {
  return typeof repeat === 'string' ? { every: repeat, preApproved: false } : repeat;
}
