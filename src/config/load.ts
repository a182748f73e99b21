/**
 * `loadConfig(env)`: finds the configuration file (`--config`, then `FIREBREAK_CONFIG`, then
 * `./firebreak.yaml`, else built-in defaults), parses it with line:col on every problem, resolves relative
 * paths against the file's directory and applies environment overrides. Called once per entry point,
 * never at import time; it logs nothing, so credentials in the file cannot leak through it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sortIssues, type Result } from '../diagnostics/located-issue.js';
import { parseYamlSource } from '../diagnostics/yaml-source.js';
import { mapZodIssues } from '../diagnostics/zod-issues.js';
import type { BackupsConfig } from './backups-schema.js';
import type { ChannelsConfig } from './channels-schema.js';
import { ConfigFileSchema, type ConfigFile, type FirebreakConfig } from './schema.js';
import { storageUnionChoice, type StorageConfig } from './storage-schema.js';
import { infraUnionChoice } from './infra-schema.js';
import type { DocPath } from '../diagnostics/located-issue.js';

/** Where to look, for entry points that take options. */
export interface LoadConfigOptions {
  /** `--config <path>`; wins over `FIREBREAK_CONFIG`. */
  configPath?: string;
  /** Directories given with `--runbooks`; added to the file's `runbooks.dirs`, else to `./runbooks`. */
  runbookDirs?: readonly string[];
  /** The directory relative paths on the command line and `./firebreak.yaml` are read from. Default: process.cwd(). */
  cwd?: string;
}

/** The default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'firebreak.yaml';

/** The runbook directory used when the file names none, next to the file (or in the working directory). */
export const DEFAULT_RUNBOOKS_DIR = 'runbooks';

/** Loads the configuration; every problem in the file comes back at once, located. */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): Result<FirebreakConfig> {
  const cwd = options.cwd ?? process.cwd();
  const located = locateConfigFile(env, options, cwd);
  if (!located.ok) return located;
  const file = located.value;
  const parsed = file === undefined ? parseDefaults() : parseConfigFile(file);
  if (!parsed.ok) return parsed;
  return { ok: true, value: resolveConfig(parsed.value, file, env, options, cwd) };
}

function locateConfigFile(env: NodeJS.ProcessEnv, options: LoadConfigOptions, cwd: string): Result<string | undefined> {
  const explicit = options.configPath ?? (env.FIREBREAK_CONFIG || undefined);
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (existsSync(file)) return { ok: true, value: file };
    const origin = options.configPath !== undefined ? '--config' : 'FIREBREAK_CONFIG';
    return {
      ok: false,
      issues: [{ file: explicit, line: 1, col: 1, path: '', message: `config file not found (from ${origin})` }],
    };
  }
  const fallback = path.join(cwd, DEFAULT_CONFIG_FILE);
  return { ok: true, value: existsSync(fallback) ? fallback : undefined };
}

function parseDefaults(): Result<ConfigFile> {
  return { ok: true, value: ConfigFileSchema.parse({}) };
}

function parseConfigFile(file: string): Result<ConfigFile> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const message = `cannot read config file: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, issues: [{ file, line: 1, col: 1, path: '', message }] };
  }
  const yaml = parseYamlSource(file, text);
  if (!yaml.ok) return yaml;
  // An empty file is a file with every default.
  const value = yaml.value.value ?? {};
  const result = ConfigFileSchema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const resolveUnion = (at: DocPath, raw: unknown) => storageUnionChoice(at, raw) ?? infraUnionChoice(at, raw);
  const issues = mapZodIssues(result.error.issues, yaml.value, { value, resolveUnion });
  return { ok: false, issues: sortIssues(issues) };
}

function resolveConfig(
  file: ConfigFile,
  source: string | undefined,
  env: NodeJS.ProcessEnv,
  options: LoadConfigOptions,
  cwd: string,
): FirebreakConfig {
  // Paths in the file are relative to the file; paths on the command line, to the working directory.
  const base = source === undefined ? cwd : path.dirname(source);
  const cliDirs = (options.runbookDirs ?? []).map((dir) => path.resolve(cwd, dir));
  // `--runbooks` adds to the file's directories, or to the default ./runbooks, for every command alike. The
  // default is left out when it does not exist and other directories were given (`server --runbooks /srv/x`
  // runs from any directory); alone, a missing default is reported like any unreadable directory.
  const defaultDirs = [path.resolve(base, DEFAULT_RUNBOOKS_DIR)].filter(
    (dir) => cliDirs.length === 0 || existsSync(dir),
  );
  const fileDirs = file.runbooks.dirs?.map((dir) => path.resolve(base, dir)) ?? defaultDirs;
  const config: FirebreakConfig = {
    users: file.users,
    runbooks: { dirs: [...new Set([...fileDirs, ...cliDirs])] },
    templates: { dirs: [...new Set((file.templates.dirs ?? ['./templates']).map((dir) => path.resolve(base, dir)))] },
    temporal: {
      address: env.FIREBREAK_TEMPORAL_ADDRESS || file.temporal.address,
      namespace: env.FIREBREAK_TEMPORAL_NAMESPACE || file.temporal.namespace,
    },
    actions: {
      http: file.actions.http,
      command: { ...file.actions.command, scriptsDir: path.resolve(base, file.actions.command.scriptsDir) },
    },
    secrets: file.secrets,
    ...(file.access === undefined ? {} : { access: file.access }),
    ...(file.api === undefined ? {} : { api: file.api }),
    ...(file.webhooks === undefined ? {} : { webhooks: file.webhooks }),
    ...(file.channels === undefined ? {} : { channels: resolveChannels(file.channels, base) }),
    ...(file.storage === undefined ? {} : { storage: resolveStorage(file.storage, base) }),
    ...(file.backups === undefined ? {} : { backups: resolveBackups(file.backups, base) }),
    ...(file.postmortems === undefined ? {} : { postmortems: file.postmortems }),
    ...(file.store === undefined ? {} : { store: file.store }),
    ...(file.infra === undefined ? {} : { infra: file.infra }),
    ...(file.evidence?.storage === undefined
      ? {}
      : { evidence: { storage: resolveStorage(file.evidence.storage, base) } }),
  };
  if (source !== undefined) config.source = source;
  return config;
}

/** The SMTP CA file, like every path in the file, is relative to the file; secret references stay as written. */
function resolveChannels(channels: ChannelsConfig, base: string): ChannelsConfig {
  const smtp = channels.email.smtp;
  const ca = smtp?.tls?.ca;
  if (smtp?.tls === undefined || ca === undefined) return channels;
  const tls = { ...smtp.tls, ca: `file:${path.resolve(base, ca.slice('file:'.length))}` };
  return { ...channels, email: { ...channels.email, smtp: { ...smtp, tls } } };
}

function resolveStorage<T extends StorageConfig>(storage: T, base: string): T {
  return storage.type === 'filesystem' ? { ...storage, dir: path.resolve(base, storage.dir) } : storage;
}

/** Source directories, the restore and staging directories and the PostgreSQL bin directory are relative to the file. */
function resolveBackups(backups: BackupsConfig, base: string): BackupsConfig {
  const directories = Object.fromEntries(
    Object.entries(backups.directories).map(([name, dir]) => [name, { ...dir, path: path.resolve(base, dir.path) }]),
  );
  const { directory, staging } = backups.restore;
  return {
    ...backups,
    directories,
    restore: {
      ...backups.restore,
      ...(directory === undefined ? {} : { directory: path.resolve(base, directory) }),
      ...(staging === undefined ? {} : { staging: path.resolve(base, staging) }),
    },
    ...(backups.postgresBinDir === undefined ? {} : { postgresBinDir: path.resolve(base, backups.postgresBinDir) }),
  };
}

/** The directory relative references (secrets `file:`, scripts) resolve against: the config file's, else the cwd. */
export function configBaseDir(config: FirebreakConfig, cwd: string): string {
  return config.source === undefined ? cwd : path.dirname(config.source);
}
