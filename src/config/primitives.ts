/**
 * Value schemas shared by the config sections: durations (loaded as milliseconds), byte counts, sizes with
 * units (loaded as bytes) and secret references. Kept apart from `schema.ts` so section files can use them
 * without an import cycle.
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

const SIZE_MESSAGE = 'expected a size such as 8MiB, 16 MiB or 5242880 (bytes)';
const SIZE_PATTERN = /^([0-9]{1,16})\s*(B|KiB|MiB|GiB|TiB)?$/;
const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Parses a size written as a whole number of bytes or of a binary unit (`8MiB`, `16 MiB`), or returns undefined. */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  const unit = SIZE_UNITS[match?.[2] ?? 'B'];
  if (!match || unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size in the config file (`8MiB`, `16 MiB`, `512KiB`, or bytes: `5242880`), converted to bytes. */
// Not a union of number and string: the issue mapper would report the closest branch ("expected a number").
export const ByteSize = z.unknown().transform((value, ctx) => {
  if (value === undefined) {
    ctx.addIssue({ code: 'invalid_type', expected: 'number', input: value });
    return z.NEVER;
  }
  const bytes = typeof value === 'number' ? value : typeof value === 'string' ? parseByteSize(value) : undefined;
  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    ctx.addIssue({ code: 'custom', message: SIZE_MESSAGE, input: value });
    return z.NEVER;
  }
  if (bytes < 1) {
    ctx.addIssue({ code: 'custom', message: 'must be at least 1 byte', input: value });
    return z.NEVER;
  }
  return bytes;
});

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

/** An IANA time zone name the runtime knows (`UTC`, `Europe/Berlin`), checked against its time zone database. */
export const TimeZone = z.string({ error: 'expected an IANA time zone such as UTC or Europe/Berlin' }).refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an IANA time zone such as UTC or Europe/Berlin' },
);
