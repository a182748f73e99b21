/**
 * The backup formats, one record each: where its sources are configured, what a source of it is called,
 * and how a target holding it (a live source, a restored copy) is checked. Code that serves every format
 * (`restore.check`) looks the record up by the manifest's `kind` (`backupFormat`) instead of branching on
 * kinds: a new format adds its record here, its kind and data file extension in manifest.ts (TypeScript
 * asks for each), and its own write and restore drivers and actions (`backup.<kind>`, `restore.<kind>`),
 * which differ per format in inputs and outcome and are not looked up by kind.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { own } from '../domain/own.js';
import { runFileChecks } from './checks/files.js';
import { runPostgresChecks } from './checks/postgres.js';
import type { CheckResult, CheckSpec } from './checks/schema.js';
import type { BackupDeps, BackupSection } from './deps.js';
import type { BackupKind, BackupManifest } from './manifest.js';

/** How checks treat the target they run against. */
export interface TargetCheckOptions {
  /** The target is live (not a scratch restore): nothing may write to it. */
  readOnly?: boolean;
  /** Names the target in reasons, e.g. `database primary-db`. */
  label?: string;
}

/** One backup format. */
export interface BackupFormat {
  kind: BackupKind;
  /** The section of `backups` in the config (and of BackupDeps) its sources are configured in. */
  section: BackupSection;
  /** What a source of the format is, in messages: `database`, `directory`. */
  noun: string;
  /** Whether `source` is configured in the format's section. */
  configured(deps: BackupDeps, source: string): boolean;
  /**
   * Where the live, configured `source` is, for checks: a directory's path, a database's URL (the secret
   * resolved: never log it); undefined when `source` is not configured in the format's section.
   */
  liveTarget(deps: BackupDeps, source: string): Promise<string | undefined>;
  /** Runs `checks` against `target` (a path or a URL, as `liveTarget` gives), comparing it with `manifest`. */
  runChecks(
    target: string,
    manifest: BackupManifest,
    checks: readonly CheckSpec[],
    options?: TargetCheckOptions,
  ): Promise<CheckResult[]>;
}

const postgres: BackupFormat = {
  kind: 'postgres',
  section: 'postgres',
  noun: 'database',
  configured: (deps, source) => own(deps.postgres, source) !== undefined,
  async liveTarget(deps, source) {
    const configured = own(deps.postgres, source);
    return configured === undefined ? undefined : deps.secrets.resolve(configured.url);
  },
  runChecks: runPostgresChecks,
};

const files: BackupFormat = {
  kind: 'files',
  section: 'directories',
  noun: 'directory',
  configured: (deps, source) => own(deps.directories, source) !== undefined,
  liveTarget: (deps, source) => Promise.resolve(own(deps.directories, source)?.path),
  // Files are only read: `readOnly` changes nothing for them.
  runChecks: (dir, manifest, checks, options = {}) =>
    runFileChecks(dir, manifest, checks, options.label === undefined ? {} : { label: options.label }),
};

/** Every backup format, by kind (looked up as own properties only). */
export const BACKUP_FORMATS: Readonly<Record<BackupKind, BackupFormat>> = { postgres, files };

/** The format of `kind`; a kind that is not one (a manifest from a newer release) is INVALID_INPUT. */
export function backupFormat(kind: string): BackupFormat {
  const format = own(BACKUP_FORMATS, kind);
  if (format === undefined) throw new FirebreakError(ErrorCode.InvalidInput, `no backup format ${kind}`);
  return format;
}

/** Every backup format, in a stable order (postgres, then files). */
export function backupFormats(): BackupFormat[] {
  return Object.values(BACKUP_FORMATS);
}
