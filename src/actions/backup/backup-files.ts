/**
 * `backup.files`: archives a configured directory (tar.gz, streamed) into the blob store with a manifest
 * kept apart from it that records the object's SHA-256 and every file's.
 */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from '../types.js';
import type { BackupDeps } from '../../backup/deps.js';
import { backupFiles } from '../../backup/write/files.js';
import { SOURCE_NAME } from '../../backup/manifest.js';
import { backupOutput, humanBytes } from './backup-output.js';

/** Input of `backup.files`. */
export const BackupFilesInput = z.strictObject({
  source: z.string().regex(SOURCE_NAME).meta({ description: 'A directory configured under backups.directories.' }),
});
export type BackupFilesInput = z.infer<typeof BackupFilesInput>;

/** Name, description and schema of `backup.files`. */
export const backupFilesSpec: ActionSpec<typeof BackupFilesInput> = {
  name: 'backup.files',
  description: 'Stream a tar.gz of a configured directory into the blob store, with a manifest of file hashes.',
  input: BackupFilesInput,
  backupSources: ['directories'],
};

/** The `backup.files` action over the backup dependencies. */
export function backupFilesAction(deps: BackupDeps): ActionDefinition<typeof BackupFilesInput> {
  return {
    ...backupFilesSpec,
    async execute(input, ctx) {
      const outcome = await backupFiles(deps, input.source, {
        signal: ctx.signal,
        onProgress: (bytes) => ctx.heartbeat({ bytes }),
      });
      const { manifest } = outcome;
      const files = manifest.files?.count ?? 0;
      ctx.logger.info({ backup: manifest.id, bytes: manifest.size, files }, 'backup.files finished');
      const note = `Backed up directory ${input.source}: backup ${manifest.id}, ${humanBytes(manifest.size)}, ${files} files`;
      return { output: backupOutput(outcome), note };
    },
  };
}
