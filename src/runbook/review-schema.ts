/**
 * `review:` how often a runbook is reviewed, by whom, and when it last was. The lessons-learned digest
 * (`postmortem.digest`) lists the runbooks whose review is due: never reviewed, or `last + every` reached.
 */
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { Duration, RoleRef } from './schema.js';

const DAY_MS = 86_400_000;

/** A runbook's periodic review. */
export const ReviewSpec = z
  .strictObject({
    // A text that is not a duration has its own issue already.
    every: Duration.refine((text) => (parseDuration(text) ?? DAY_MS) >= DAY_MS, {
      error: 'must be at least 1d: a review is a meeting, not a timer',
    }).meta({ description: 'How often the runbook is reviewed, e.g. 90d or 12w (at least 1d).' }),
    owner: RoleRef.meta({ description: 'The declared role that reviews it, written role:<name>.' }),
    last: z.iso
      .date({ error: 'expected a date such as 2026-09-01 (YYYY-MM-DD)' })
      .optional()
      .meta({ description: 'The day of the last review (YYYY-MM-DD); absent: never reviewed, so due now.' }),
  })
  .meta({
    description:
      'A periodic review of this runbook: the lessons-learned digest lists it once `last + every` has passed.',
  });
export type ReviewSpec = z.infer<typeof ReviewSpec>;
