/**
 * Owner-only files and directories for what Firebreak keeps on disk (the data directory, Temporal's
 * SQLite, the outbox, blobs, the audit log, the admin token, staging): directories 0700, files 0600.
 * `mkdir`'s mode applies only to directories it creates, so an existing wider directory is narrowed too.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';

/** The mode of a directory that holds incident data. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of a file that holds incident data. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` and missing parents as 0700, and narrows `dir` itself to 0700 if it is wider. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, PRIVATE_DIR_MODE);
}

/** `ensurePrivateDir` for the synchronous start-up code of the CLI. */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, PRIVATE_DIR_MODE);
}
