/**
 * Value schemas shared by the config sections: durations (loaded as milliseconds), byte counts and secret
 * references. Kept apart from `schema.ts` so section files can use them without an import cycle.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../domain/duration.js';

const DURATION_MESSAGE = 'expected a duration such as 30s, 15m, 4h, 3d or 2w';
const SECRET_MESSAGE = 'expected a secret reference (env:NAME or file:PATH)';

/** A duration in the config file, converted to milliseconds. */
export const DurationMs = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : DURATION_MESSAGE) })
  .regex(DURATION_PATTERN, { error: DURATION_MESSAGE })
  .transform((text) => parseDuration(text) ?? 0);

/** A positive whole number of bytes. */
export const ByteCount = z.int({ error: 'expected a whole number of bytes' }).min(1, { error: 'must be at least 1' });

/** The shape of a secret reference: `env:NAME` or `file:PATH`. */
export const SECRET_REFERENCE = /^(?:env:[A-Za-z_][A-Za-z0-9_]*|file:\S.*)$/;

/** A secret reference: the value is read when it is used, never written in the file. */
export const SecretReference = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : SECRET_MESSAGE) })
  .regex(SECRET_REFERENCE, { error: SECRET_MESSAGE });

/** Text without control characters (no line breaks): safe in a mail header or a page title. */
export const SingleLine = z
  .string()
  .min(1)
  .regex(/^[^\p{Cc}]*$/u, { error: 'must be one line without control characters' });
