/**
 * Finds a `command.run` command in the configured scripts directory. Only a plain file name is accepted,
 * and the file must be a regular, executable file there: runbooks choose among reviewed scripts, never a path.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';

/** Whether a command name is a plain file name (no separators, no dot segments, no NUL). */
export function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** The absolute path of `command` inside `scriptsDir`, or a NOT_ALLOWED error naming the directory. */
export async function locateScript(scriptsDir: string, command: string): Promise<string> {
  const dir = path.resolve(scriptsDir);
  const where = `the scripts directory ${dir} (actions.command.scriptsDir)`;
  if (!isPlainFileName(command)) {
    throw new FirebreakError(ErrorCode.NotAllowed, `command "${command}" must be a file name inside ${where}`);
  }
  const file = path.join(dir, command);
  // Symlinks inside the directory are followed on purpose: the directory's content is the configuration.
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    throw new FirebreakError(ErrorCode.NotAllowed, `command "${command}" is not a file in ${where}`);
  }
  try {
    await access(file, constants.X_OK);
  } catch {
    throw new FirebreakError(ErrorCode.NotAllowed, `command "${command}" in ${where} is not executable`);
  }
  return file;
}
