/**
 * `backups`: what the backup and restore actions work on. Sources are named databases (a connection URL
 * as a secret reference) and directories; restores go to scratch targets only: a scratch PostgreSQL
 * server (admin URL, also a secret reference) and a directory (default `<data dir>/restore`). Data and
 * manifests live under separate prefixes of the blob store (`storage`), so a manifest is never stored
 * inside the data it vouches for.
 */
import { z } from 'zod';
import { SOURCE_NAME } from '../backup/manifest.js';
import { SecretReference } from './primitives.js';

const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const KeyPrefix = z.string().regex(KEY_PREFIX, { error: 'expected a key prefix such as backups or env/prod/backups' });

/** `backups.postgres.<name>`: a database to back up. */
export const PostgresSourceConfigSchema = z.strictObject({
  url: SecretReference.meta({ description: 'postgres://user:pass@host:port/db, as env:NAME or file:PATH' }),
});

/** `backups.directories.<name>`: a directory to back up (relative to the config file). */
export const DirectorySourceConfigSchema = z.strictObject({ path: z.string().min(1) });

/** `backups.restore`: the scratch targets restores go to; never a source. */
export const RestoreTargetsConfigSchema = z.strictObject({
  postgres: z.strictObject({ url: SecretReference }).optional(),
  directory: z.string().min(1).optional(),
  /** Where backup objects are downloaded before they are restored (default `<data dir>/restore-staging`). */
  staging: z.string().min(1).optional(),
});

const DEFAULT_DATA_PREFIX = 'backups';
const DEFAULT_MANIFEST_PREFIX = 'manifests';

function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}

/** `backups`: sources, scratch targets and where in the blob store backups and manifests are kept. */
export const BackupsConfigSchema = z
  .strictObject({
    dataPrefix: KeyPrefix.optional(),
    manifestPrefix: KeyPrefix.optional(),
    /** Where pg_dump and pg_restore are (relative to the config file); PATH when absent. */
    postgresBinDir: z.string().min(1).optional(),
    postgres: z.record(z.string(), PostgresSourceConfigSchema).default({}),
    directories: z.record(z.string(), DirectorySourceConfigSchema).default({}),
    restore: RestoreTargetsConfigSchema.prefault({}),
  })
  .superRefine((backups, ctx) => {
    for (const section of ['postgres', 'directories'] as const) {
      for (const name of Object.keys(backups[section])) {
        if (!SOURCE_NAME.test(name)) {
          ctx.addIssue({ code: 'custom', path: [section, name], message: 'expected a source name: a-z, 0-9, _ . -' });
        } else if (section === 'directories' && name in backups.postgres) {
          ctx.addIssue({ code: 'custom', path: [section, name], message: `source ${name} is also a postgres source` });
        }
      }
    }
    const data = backups.dataPrefix ?? DEFAULT_DATA_PREFIX;
    const manifests = backups.manifestPrefix ?? DEFAULT_MANIFEST_PREFIX;
    if (within(data, manifests) || within(manifests, data)) {
      ctx.addIssue({
        code: 'custom',
        path: [backups.manifestPrefix === undefined ? 'dataPrefix' : 'manifestPrefix'],
        message: `manifests must be kept apart from the data: ${manifests} and ${data} overlap`,
      });
    }
  });
export type BackupsConfig = z.infer<typeof BackupsConfigSchema>;
