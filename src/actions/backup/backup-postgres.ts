/**
 * `backup.postgres`: dumps a configured database (`pg_dump -Fc`, streamed) into the blob store with a
 * manifest kept apart from it that records the object's SHA-256 and every table's exact row count.
 */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from '../types.js';
import type { BackupDeps } from '../../backup/deps.js';
import { SOURCE_NAME } from '../../backup/manifest.js';
import { backupPostgres } from '../../backup/write/postgres.js';
import { backupOutput, humanBytes } from './backup-output.js';

/** Input of `backup.postgres`. */
export const BackupPostgresInput = z.strictObject({
  source: z.string().regex(SOURCE_NAME).meta({ description: 'A database configured under backups.postgres.' }),
});
export type BackupPostgresInput = z.infer<typeof BackupPostgresInput>;

/** Name, description and schema of `backup.postgres`. */
export const backupPostgresSpec: ActionSpec<typeof BackupPostgresInput> = {
  name: 'backup.postgres',
  description: 'Stream pg_dump -Fc of a configured database into the blob store, with a manifest of row counts.',
  input: BackupPostgresInput,
  backupSources: ['postgres'],
};

/** The `backup.postgres` action over the backup dependencies. */
export function backupPostgresAction(deps: BackupDeps): ActionDefinition<typeof BackupPostgresInput> {
  return {
    ...backupPostgresSpec,
    async execute(input, ctx) {
      // A dump cannot resume mid-stream: a retry starts a new backup (with a new id) from the beginning.
      const outcome = await backupPostgres(deps, input.source, {
        signal: ctx.signal,
        onProgress: (bytes) => ctx.heartbeat({ bytes }),
      });
      const { manifest } = outcome;
      const tables = Object.keys(manifest.postgres?.tables ?? {}).length;
      ctx.logger.info({ backup: manifest.id, bytes: manifest.size, tables }, 'backup.postgres finished');
      const note = `Backed up database ${input.source}: backup ${manifest.id}, ${humanBytes(manifest.size)}, ${tables} tables`;
      return { output: backupOutput(outcome), note };
    },
  };
}
