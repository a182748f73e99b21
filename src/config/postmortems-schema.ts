/**
 * `postmortems`: which incidents need a post-mortem even when their runbook has no `postmortem` step
 * (by severity), the time zone post-mortems show times in, and extra words the blameless check flags.
 */
import { z } from 'zod';
import { MIN_OVERDUE_EVERY_MS } from '../domain/action-items.js';
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

/**
 * `postmortems.actionItems`: when the watcher of an open action item reminds its owner before the due date,
 * and how often it announces an overdue item again. Left out: `remindBefore: 2d`, `overdueEvery: 7d`
 * (`DEFAULT_DUE_TIMINGS`).
 */
export const ActionItemsConfigSchema = z.strictObject({
  remindBefore: DurationMs.prefault('2d'),
  // An owner paged about one item more often than hourly is a storm, not a reminder.
  overdueEvery: DurationMs.prefault('7d').refine((ms) => ms >= MIN_OVERDUE_EVERY_MS, { error: 'must be at least 1h' }),
});
export type ActionItemsConfig = z.infer<typeof ActionItemsConfigSchema>;

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
  actionItems: ActionItemsConfigSchema.optional(),
});
export type PostmortemsConfig = z.infer<typeof PostmortemsConfigSchema>;

/** The review reminder settings of a `postmortems` config, with the defaults filled in. */
export function reviewRemindersOf(config: Pick<PostmortemsConfig, 'review'> | undefined): ReviewRemindersConfig {
  return config?.review ?? ReviewRemindersSchema.parse({});
}
