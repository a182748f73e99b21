/**
 * Runs one operation's script as command.run runs scripts: located inside the scripts directory, no shell,
 * its own process group, a minimal environment, a timeout, bounded output. The operation is argv[1] and the
 * request is JSON on stdin (never in argv, which any user can read in `ps`); the answer is one JSON object
 * on stdout, checked with the operation's schema. Exit codes follow sysexits(3): 75 (EX_TEMPFAIL) is
 * TRANSIENT and retried, the others from 64 to 78 are not retried.
 */
import path from 'node:path';
import type { z } from 'zod';
import { formatDuration } from '../../domain/duration.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { locateScript } from '../../actions/command/locate.js';
import { runProcess, type ProcessOutcome } from '../../actions/command/process.js';
import { redact } from '../../secrets/redaction.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import type { InfraOperation } from '../types.js';

/** The longest answer a script may write on stdout (a large inventory fits; a runaway script does not). */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;
/** How much of the end of stderr an error message quotes. */
const STDERR_IN_MESSAGE = 500;

/** A variable of the scripts' environment: text, or a secret reference read when a script runs. */
export type CommandEnvValue = string | { secret: string };

/** Where and how a command provider runs its scripts. */
export interface ScriptContext {
  scriptsDir: string;
  /** The script of each configured operation. */
  scripts: Readonly<Partial<Record<InfraOperation, string>>>;
  timeoutMs: number;
  env: Readonly<Record<string, CommandEnvValue>>;
  /** PATH, HOME and LANG given to every script. */
  baseEnv: Readonly<Record<string, string>>;
  secrets: SecretResolver;
  /** Time between SIGTERM and SIGKILL when a script is stopped. */
  killGraceMs: number;
}

/** What sysexits(3) calls each code from 64 to 78, and what Firebreak makes of it. */
const SYSEXITS: ReadonlyMap<number, { name: string; code: ErrorCode }> = new Map([
  [64, { name: 'EX_USAGE', code: ErrorCode.InvalidInput }],
  [65, { name: 'EX_DATAERR', code: ErrorCode.InvalidInput }],
  [66, { name: 'EX_NOINPUT', code: ErrorCode.NotFound }],
  [67, { name: 'EX_NOUSER', code: ErrorCode.InvalidInput }],
  [68, { name: 'EX_NOHOST', code: ErrorCode.NotFound }],
  [69, { name: 'EX_UNAVAILABLE', code: ErrorCode.InvalidInput }],
  [70, { name: 'EX_SOFTWARE', code: ErrorCode.InvalidInput }],
  [71, { name: 'EX_OSERR', code: ErrorCode.InvalidInput }],
  [72, { name: 'EX_OSFILE', code: ErrorCode.InvalidInput }],
  [73, { name: 'EX_CANTCREAT', code: ErrorCode.InvalidInput }],
  [74, { name: 'EX_IOERR', code: ErrorCode.InvalidInput }],
  [75, { name: 'EX_TEMPFAIL', code: ErrorCode.Transient }],
  [76, { name: 'EX_PROTOCOL', code: ErrorCode.InvalidInput }],
  [77, { name: 'EX_NOPERM', code: ErrorCode.NotAllowed }],
  [78, { name: 'EX_CONFIG', code: ErrorCode.NotAllowed }],
]);

/** The environment of one run: the base, the configured text, the secrets read now (returned for redaction). */
async function environment(context: ScriptContext): Promise<{ env: Record<string, string>; secrets: string[] }> {
  const env: Record<string, string> = { ...context.baseEnv };
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(context.env)) {
    if (typeof value === 'string') {
      env[name] = value;
      continue;
    }
    const resolved = await context.secrets.resolve(value.secret);
    env[name] = resolved;
    secrets.push(resolved);
  }
  return { env, secrets };
}

/**
 * Runs the script of `operation` with `request` on stdin and returns its answer parsed with `schema`.
 * Errors name the script and the operation (and the field, for a bad answer); secrets are redacted from
 * the stderr they quote.
 */
export async function runOperation<S extends z.ZodType>(
  context: ScriptContext,
  operation: InfraOperation,
  request: Readonly<Record<string, unknown>>,
  schema: S,
): Promise<z.output<S>> {
  const script = context.scripts[operation];
  if (script === undefined) throw new FirebreakError(ErrorCode.Unsupported, `no script is configured for ${operation}`);
  const where = `${script} (${operation})`;
  const file = await locateScript(context.scriptsDir, script);
  const { env, secrets } = await environment(context);
  let outcome: ProcessOutcome;
  try {
    outcome = await runProcess({
      file,
      args: [operation],
      env,
      cwd: path.dirname(file),
      stdin: JSON.stringify({ operation, ...request }),
      timeoutMs: context.timeoutMs,
      maxOutputBytes: MAX_RESULT_BYTES,
      killGraceMs: context.killGraceMs,
      // The port has no cancellation; the timeout bounds every run.
      signal: new AbortController().signal,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const permanent = code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC';
    throw new FirebreakError(
      permanent ? ErrorCode.NotAllowed : ErrorCode.Transient,
      `${where} could not start (${code})`,
    );
  }
  checkExit(where, context.timeoutMs, outcome, secrets);
  return parseAnswer(where, outcome, schema);
}

function stderrTail(outcome: ProcessOutcome, secrets: readonly string[]): string {
  const text = redact(outcome.stderr.text(), secrets).trimEnd();
  const tail = text.length > STDERR_IN_MESSAGE ? `…${text.slice(-STDERR_IN_MESSAGE)}` : text;
  return tail === '' ? '' : `: ${tail}`;
}

function checkExit(where: string, timeoutMs: number, outcome: ProcessOutcome, secrets: readonly string[]): void {
  if (outcome.stopped === 'timeout') {
    throw new FirebreakError(
      ErrorCode.Timeout,
      `${where} ran past its ${formatDuration(timeoutMs)} timeout and was stopped`,
    );
  }
  if (outcome.exitCode === 0) return;
  if (outcome.exitCode === null) {
    throw new FirebreakError(
      ErrorCode.CommandFailed,
      `${where} was killed by ${outcome.exitSignal}${stderrTail(outcome, secrets)}`,
    );
  }
  const known = SYSEXITS.get(outcome.exitCode);
  const how = `${where} exited with ${outcome.exitCode}${known ? ` (${known.name})` : ''}`;
  throw new FirebreakError(known?.code ?? ErrorCode.CommandFailed, `${how}${stderrTail(outcome, secrets)}`);
}

function parseAnswer<S extends z.ZodType>(where: string, outcome: ProcessOutcome, schema: S): z.output<S> {
  if (outcome.stdout.truncated) {
    throw new FirebreakError(
      ErrorCode.CommandFailed,
      `${where} wrote more than ${MAX_RESULT_BYTES} bytes on stdout: not an answer`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(outcome.stdout.text());
  } catch {
    throw new FirebreakError(ErrorCode.CommandFailed, `${where} did not write one JSON object on stdout`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FirebreakError(ErrorCode.CommandFailed, `${where} wrote JSON that is not an object on stdout`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length
    ? issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('')
        .replace(/^\./, '')
    : '(the answer)';
  throw new FirebreakError(
    ErrorCode.CommandFailed,
    `${where} answered a bad result: ${field}: ${issue?.message ?? 'invalid'}`,
  );
}
