/**
 * Running pg_dump and pg_restore: located in the configured bin directory (else on PATH), started without
 * a shell and with a minimal environment, their stderr kept (tail only) for the error message, stopped
 * when the caller aborts. A non-zero exit becomes a FirebreakError classified from the message.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { abortReason } from '../../domain/abort.js';

const execFileAsync = promisify(execFile);
const STDERR_KEPT = 4096;
const STDERR_SHOWN = 600;

/** The path of a PostgreSQL client tool: in `binDir` when given, else looked up on PATH. */
export function pgTool(name: 'pg_dump' | 'pg_restore', binDir: string | undefined): string {
  return binDir === undefined ? name : path.join(binDir, name);
}

/** The tool's version (`15.18` from `pg_dump (PostgreSQL) 15.18 (Debian …)`). */
export async function toolVersion(file: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, ['--version'], {
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' },
    });
    return /\(PostgreSQL\)\s+(\S+)/.exec(stdout)?.[1] ?? stdout.trim();
  } catch (error) {
    throw missingTool(file, error);
  }
}

function missingTool(file: string, error: unknown): FirebreakError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES') {
    const hint = 'install postgresql-client or set backups.postgresBinDir';
    return new FirebreakError(ErrorCode.InvalidInput, `${path.basename(file)} not found at ${file} (${hint})`);
  }
  const why = error instanceof Error ? error.message : String(error);
  return new FirebreakError(ErrorCode.Transient, `${path.basename(file)} --version failed: ${why}`);
}

/** A started tool: its process, and a promise that settles when it has exited (rejects on failure). */
export interface ToolRun {
  child: ChildProcess;
  /** Resolves on exit code 0; rejects with a classified FirebreakError otherwise, or the abort reason. */
  exited: Promise<void>;
  /** Stops the tool (SIGTERM); `exited` then rejects. */
  stop(): void;
}

/** What to run and how. */
export interface ToolRequest {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** `pipe` for the stream the caller feeds or reads. */
  stdin: 'pipe' | 'ignore';
  stdout: 'pipe' | 'ignore';
  signal?: AbortSignal;
  /** Strings never shown in messages (the password), replaced with [redacted]. */
  secrets: string[];
}

/** Starts a tool. Its stderr is kept (tail) and its exit classified; `signal` stops it. */
export function startTool(request: ToolRequest): ToolRun {
  const child = spawn(request.file, request.args, {
    env: request.env,
    stdio: [request.stdin, request.stdout, 'pipe'],
    shell: false,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEPT);
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const onAbort = () => stop();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) stop();
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(missingTool(request.file, error)));
    child.once('close', (code, signal) => {
      request.signal?.removeEventListener('abort', onAbort);
      if (request.signal?.aborted) return reject(abortReason(request.signal));
      if (code === 0) return resolve();
      const how = code === null ? `was stopped by ${signal ?? 'a signal'}` : `exited with ${code}`;
      reject(toolError(path.basename(request.file), how, redact(stderr, request.secrets)));
    });
  });
  // Callers await `exited` at their own pace; a rejection before then must not count as unhandled.
  exited.catch(() => undefined);
  return { child, exited, stop };
}

function redact(text: string, secrets: string[]): string {
  return secrets
    .filter((secret) => secret.length > 0)
    .reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** Classifies a failed run from its stderr: credentials and missing databases are not worth retrying. */
export function toolError(tool: string, how: string, stderr: string): FirebreakError {
  const trimmed = stderr.trim();
  const tail = trimmed.length > STDERR_SHOWN ? `…${trimmed.slice(-STDERR_SHOWN)}` : trimmed;
  const message = `${tool} ${how}${tail ? `: ${tail}` : ''}`;
  if (/password authentication failed|no password supplied|permission denied|role .* does not exist/i.test(trimmed)) {
    return new FirebreakError(ErrorCode.NotAllowed, message);
  }
  if (/database .* does not exist/i.test(trimmed)) return new FirebreakError(ErrorCode.NotFound, message);
  if (/could not connect|connection refused|server closed the connection|timeout expired/i.test(trimmed)) {
    return new FirebreakError(ErrorCode.Transient, message);
  }
  return new FirebreakError(ErrorCode.CommandFailed, message);
}
