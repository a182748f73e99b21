/**
 * Names of scratch targets (databases and directories) that restores create: `firebreak_drill_<stamp>_<hex>`,
 * lowercase so PostgreSQL needs no quoting, with the creation time in the name so a janitor can tell how
 * old a leftover is without any other record. Nothing without this shape is ever dropped by a janitor.
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { backupIdTime, newBackupId } from '../manifest.js';

/** Every scratch database and directory name starts with this. */
export const SCRATCH_PREFIX = 'firebreak_drill_';

const SCRATCH_NAME = /^firebreak_drill_(\d{8}t\d{9}z)_([0-9a-f]{8})$/;

/** A new scratch name for a restore started at `at`. */
export function scratchName(at: Date): string {
  return `${SCRATCH_PREFIX}${newBackupId(at).toLowerCase().replace('-', '_')}`;
}

/** When the scratch target `name` was created, or undefined when `name` is not a scratch name. */
export function scratchNameTime(name: string): Date | undefined {
  const match = SCRATCH_NAME.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return backupIdTime(`${match[1].toUpperCase()}-${match[2]}`);
}

/** Throws INVALID_INPUT unless `name` is a scratch name: restores only ever create and drop those. */
export function assertScratchName(name: string): string {
  if (scratchNameTime(name) === undefined) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `${JSON.stringify(name)} is not a scratch name (${SCRATCH_PREFIX}…)`,
    );
  }
  return name;
}
