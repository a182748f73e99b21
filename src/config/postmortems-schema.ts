/**
 * `postmortems`: which incidents need a post-mortem even when their runbook has no `postmortem` step
 * (by severity), the time zone post-mortems show times in, and extra words the blameless check flags.
 */
import { z } from 'zod';
import { SEVERITIES } from '../domain/plan.js';
import { TimeZone } from './primitives.js';

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
});
export type PostmortemsConfig = z.infer<typeof PostmortemsConfigSchema>;
