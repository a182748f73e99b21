/**
 * `postmortems`: which incidents need a post-mortem even when their runbook has no `postmortem` step
 * (by severity), the time zone post-mortems show times in, and extra words the blameless check flags.
 */
import { z } from 'zod';
import { SEVERITIES } from '../domain/plan.js';
import { DurationMs, TimeZone } from './primitives.js';

/**
 * `postmortems.review`: the reminders of a post-mortem's review to its facilitators, on Temporal timers
 * (`workflows/postmortem-review.ts`): one `remindBefore` the due date, then an overdue notice at the due
 * date and every `overdueEvery` while it is not published.
 */
export const ReviewRemindersSchema = z.strictObject({
  remindBefore: DurationMs.default(86_400_000).describe('how long before the review is due to remind (default 1d)'),
  overdueEvery: DurationMs.default(7 * 86_400_000).describe('how often an overdue review is reminded (default 7d)'),
});
export type ReviewRemindersConfig = z.infer<typeof ReviewRemindersSchema>;

/** `postmortems` as written; every field has a default, so an absent section means `parse({})`. */
export const PostmortemsConfigSchema = z.strictObject({
  requiredFor: z
    .array(z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }))
    .default(['sev1', 'sev2'])
    .superRefine((severities, ctx) => {
      const seen = new Set<string>();
      severities.forEach((severity, index) => {
        if (seen.has(severity)) ctx.addIssue({ code: 'custom', path: [index], message: `${severity} is listed twice` });
        seen.add(severity);
      });
    }),
  timeZone: TimeZone.default('UTC'),
  blamelessWords: z
    .array(
      z
        .string()
        .trim()
        .min(1, { error: 'must not be empty' })
        .max(100, { error: 'must be at most 100 characters' })
        .regex(/^[^\p{Cc}]*$/u, { error: 'must be one line without control characters' }),
    )
    .default([]),
  /** Absent: the defaults (`reviewRemindersOf`). */
  review: ReviewRemindersSchema.optional(),
});
export type PostmortemsConfig = z.infer<typeof PostmortemsConfigSchema>;

/** The review reminder settings of a `postmortems` config, with the defaults filled in. */
export function reviewRemindersOf(config: Pick<PostmortemsConfig, 'review'> | undefined): ReviewRemindersConfig {
  return config?.review ?? ReviewRemindersSchema.parse({});
}
