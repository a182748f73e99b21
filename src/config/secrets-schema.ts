/**
 * `secrets`: the only secrets runbooks can reach. Each entry names a reference (`env:NAME`, `file:PATH`),
 * optionally for some runbooks only; a `secret` param takes one of these names, never a reference.
 */
import { z } from 'zod';
import { SECRET_NAME, type DeclaredSecret } from '../secrets/declared.js';
import { SecretReference } from './primitives.js';

const RunbookId = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'expected a runbook id' });

const SecretEntry = z.union(
  [
    SecretReference,
    z.strictObject({
      ref: SecretReference,
      runbooks: z.array(RunbookId).min(1, { error: 'list at least one runbook, or leave `runbooks` out' }).optional(),
      description: z.string().max(500).optional(),
    }),
  ],
  { error: 'expected a secret reference (env:NAME or file:PATH) or { ref, runbooks }' },
);

/** `secrets:` as written: a name to a reference, or to `{ ref, runbooks, description }`. */
export const SecretsConfigSchema = z
  .record(
    z.string().regex(SECRET_NAME, {
      error: 'expected a secret name: a letter, then letters, digits, _, - or . (at most 64)',
    }),
    SecretEntry,
  )
  .default({})
  .transform((entries): Record<string, DeclaredSecret> => {
    const out: Record<string, DeclaredSecret> = Object.create(null) as Record<string, DeclaredSecret>;
    for (const [name, entry] of Object.entries(entries)) {
      out[name] =
        typeof entry === 'string'
          ? { reference: entry }
          : {
              reference: entry.ref,
              ...(entry.runbooks === undefined ? {} : { runbooks: entry.runbooks }),
              ...(entry.description === undefined ? {} : { description: entry.description }),
            };
    }
    return out;
  });
