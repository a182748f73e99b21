/** Loading the configuration for a command, with problems printed the way runbook problems are. */
import { loadConfig } from '../config/load.js';
import type { FirebreakConfig } from '../config/schema.js';
import { Option } from 'commander';
import { CliError, defaultDataDir, type CliDeps } from './context.js';
import { formatIssueTable } from './output.js';

/** The options every config-reading command accepts. */
export interface ConfigOptions {
  config?: string;
  runbooks?: string[];
}

/** Loads the configuration or fails the command with every problem in the file on stderr. */
export function loadCliConfig(deps: CliDeps, options: ConfigOptions): FirebreakConfig {
  const result = loadConfig(deps.env, {
    ...(options.config !== undefined && { configPath: options.config }),
    runbookDirs: options.runbooks ?? [],
    cwd: deps.cwd,
  });
  if (result.ok) return result.value;
  deps.err(formatIssueTable(result.issues, deps.cwd));
  throw new CliError('the configuration file has problems (listed above)');
}

/** The help of `--runbooks`, which means the same in every command (see loadConfig). */
export const RUNBOOKS_OPTION_HELP =
  "add a runbook directory, repeatable (to the config file's runbooks.dirs, else to ./runbooks)";

/** Collects a repeatable option's values (`--runbooks a --runbooks b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--data-dir <dir>`, defaulting to `FIREBREAK_DATA_DIR`, else `.firebreak` (where the CLI looks for the dev token). */
export function dataDirOption(deps: CliDeps, description: string): Option {
  return new Option('--data-dir <dir>', description).default(
    defaultDataDir(deps),
    '$FIREBREAK_DATA_DIR, else .firebreak',
  );
}
