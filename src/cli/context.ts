/**
 * What every command receives: where to write, the environment, the working directory and the action
 * catalog. Tests pass their own to run the CLI in-process; `main.ts` passes the real ones.
 */
import type { ActionCatalog } from '../runbook/action-catalog.js';

/** Output and inputs a command may use; it never touches `process` directly. */
export interface CliDeps {
  /** Writes to standard output (text as given, newline included). */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether standard error is a terminal (logs are then human lines by default); false when left out. */
  stderrIsTTY?: boolean;
  actions: ActionCatalog;
}

/** A failure the command explains in one line; the CLI prints `error: <message>` and exits non-zero. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Ends a command with an exit code after it has printed its own output (validation found problems). */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** The data directory when `--data-dir` is not given: `FIREBREAK_DATA_DIR`, else `.firebreak` (the CLI looks there too). */
export function defaultDataDir(deps: CliDeps): string {
  return deps.env.FIREBREAK_DATA_DIR || '.firebreak';
}
