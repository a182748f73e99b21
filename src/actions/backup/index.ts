/**
 * The backup and restore actions, built over one set of dependencies. Each action lives in its own file;
 * add it to both lists here (the specs let runbooks validate without any configuration).
 */
import type { ActionDefinition, ActionSpec } from '../types.js';
import type { BackupDeps } from '../../backup/deps.js';
import { backupFilesAction, backupFilesSpec } from './backup-files.js';
import { backupPostgresAction, backupPostgresSpec } from './backup-postgres.js';
import { restoreCheckAction, restoreCheckSpec } from './restore-check.js';
import { restoreFilesAction, restoreFilesSpec } from './restore-files.js';
import { restorePostgresAction, restorePostgresSpec } from './restore-postgres.js';
import { backupSelectAction, backupSelectSpec } from './select.js';
import { backupVerifyAction, backupVerifySpec } from './verify.js';
import { drillFreshnessAction, drillFreshnessSpec } from './drill-freshness.js';
import { drillRecordAction, drillRecordSpec } from './drill-record.js';

/** Every backup/restore action, ready to register. */
export function backupActions(deps: BackupDeps): ActionDefinition[] {
  return [
    backupPostgresAction(deps),
    backupFilesAction(deps),
    restorePostgresAction(deps),
    restoreFilesAction(deps),
    restoreCheckAction(deps),
    backupSelectAction(deps),
    backupVerifyAction(deps),
    drillRecordAction(deps),
    drillFreshnessAction(deps),
  ];
}

/** Names, descriptions and input schemas of the backup/restore actions, for runbook validation. */
export const backupActionSpecs: readonly ActionSpec[] = [
  backupPostgresSpec,
  backupFilesSpec,
  restorePostgresSpec,
  restoreFilesSpec,
  restoreCheckSpec,
  backupSelectSpec,
  backupVerifySpec,
  drillRecordSpec,
  drillFreshnessSpec,
];
