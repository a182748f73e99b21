/** `--log-format` and FIREBREAK_LOG_LEVEL, shared by the long-running commands (`dev`, `server`, `worker`). */
import { Option, type Command } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from '../logging/formats.js';
import { CliError, type CliDeps } from './context.js';

/** The logging options a command was given. */
export interface LogOptions {
  logFormat?: LogFormat;
}

/** Adds `--log-format json|pretty` to a command. */
export function withLogOptions(command: Command): Command {
  return command.addOption(
    new Option(
      '--log-format <format>',
      'log lines on stderr: pretty (default on a terminal) or json (default otherwise)',
    ).choices(LOG_FORMATS),
  );
}

/** The logger's settings: the level from FIREBREAK_LOG_LEVEL (checked), the format from the flag or the terminal. */
export function logSettings(
  deps: CliDeps,
  options: LogOptions,
): { level: string; format: LogFormat; colorize: boolean } {
  const level = deps.env.FIREBREAK_LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new CliError(`FIREBREAK_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const terminal = deps.stderrIsTTY === true;
  return { level, format: options.logFormat ?? (terminal ? 'pretty' : 'json'), colorize: terminal };
}
