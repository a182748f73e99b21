/**
 * The backup and restore actions, built over one set of dependencies. Each action lives in its own file;
 * add it to the list here.
 */
import type { ActionDefinition } from '../../actions/types.js';
import type { BackupDeps } from '../deps.js';

/** Every backup/restore action, ready to register. */
export function backupActions(_deps: BackupDeps): ActionDefinition[] {
  return [];
}
