/**
 * One opener per embedded database. PGlite does not stop a second process (or a second instance in this
 * one) from opening the directory it uses, and two writers would corrupt it. `<dir>.lock` holds the pid
 * of the process that has it open; a lock whose process is gone on this host is taken over.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { PRIVATE_FILE_MODE } from '../../storage/private-files.js';

interface LockContent {
  pid: number;
  host: string;
  token: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockContent | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<LockContent>;
    return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string'
      ? { pid: value.pid, host: value.host, token: value.token }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock of `dir`, or throws CONFLICT naming the process that holds it. Resolves to its release. */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const file = `${dir}.lock`;
  const mine: LockContent = { pid: process.pid, host: hostname(), token: randomUUID() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(file, JSON.stringify(mine), { flag: 'wx', mode: PRIVATE_FILE_MODE });
      return async () => {
        if ((await readLock(file))?.token === mine.token) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readLock(file);
    const stale = held !== undefined && held.host === mine.host && held.pid !== process.pid && !alive(held.pid);
    if (!stale) {
      const who = held === undefined ? 'another process' : `process ${held.pid} on ${held.host}`;
      throw new FirebreakError(
        ErrorCode.Conflict,
        `the post-mortem store in ${dir} is open in ${who} (lock ${file}): only one process may open it; stop that one, or remove the lock if it is gone`,
      );
    }
    await rm(file, { force: true });
  }
  throw new FirebreakError(ErrorCode.Conflict, `the post-mortem store in ${dir} is being opened by another process`);
}
