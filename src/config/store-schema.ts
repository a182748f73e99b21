/**
 * `store`: where post-mortems, their revisions and action items are kept. Absent, the embedded PGlite
 * database under `<data dir>/postmortems`; with `postgres.url` (a secret reference to a postgres:// URL),
 * that PostgreSQL database, whose tables live in the schema `firebreak_postmortems`.
 */
import { z } from 'zod';
import { SecretReference } from './primitives.js';

/** `store`: the post-mortem store. */
export const StoreConfigSchema = z.strictObject({
  postgres: z
    .strictObject({
      url: SecretReference.meta({ description: 'postgres://user:pass@host:port/db, as env:NAME or file:PATH' }),
    })
    .optional(),
});
export type StoreConfig = z.infer<typeof StoreConfigSchema>;
