/**
 * `command.run`: runs a reviewed script from the configured scripts directory, without a shell, with a
 * minimal environment (never the worker's, which may hold credentials), bounded output and a timeout.
 */
import { z } from 'zod';
import path from 'node:path';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { JsonObject, JsonValue } from '../domain/plan.js';
import { mapJsonStrings } from '../secrets/redaction.js';
import { abortReason } from '../domain/abort.js';
import { isPlainFileName, locateScript } from './command/locate.js';
import { runProcess, type ProcessOutcome } from './command/process.js';
import { DurationText, stringMap } from './schemas.js';
import type { ActionContext, ActionDefinition, ActionSpec } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Variables that make the loader or the shell run other code, or that the worker sets itself.
const RESERVED_ENV = /^(?:PATH|HOME|LANG|LD_.*|DYLD_.*|BASH_ENV|ENV|BASH_FUNC_.*|SHELLOPTS|BASHOPTS|PS4|IFS)$/;

/** Input of `command.run`. */
export const CommandRunInput = z.strictObject({
  command: z
    .string()
    .refine(isPlainFileName, 'must be a file name in the scripts directory (no / or ..)')
    .describe('file name of an executable in actions.command.scriptsDir'),
  // No secret here: argv is public (ps, /proc). `secretInputs` below keeps secrets to env and stdin.
  args: z.array(z.string()).optional(),
  env: stringMap({
    pattern: ENV_NAME,
    patternMessage: 'must be an environment variable name',
    reserved: (name) => RESERVED_ENV.test(name),
    reservedMessage: 'is reserved: the worker sets it, or it would make the shell or loader run other code',
  }).optional(),
  timeout: DurationText.optional().describe('e.g. 5m; default from actions.command.defaultTimeout'),
  stdin: z.string().optional().describe('text written to standard input; may hold secrets'),
});
export type CommandRunInput = z.infer<typeof CommandRunInput>;

/** Configuration of `command.run` (`actions.command` in the config file). */
export interface CommandRunOptions {
  scriptsDir: string;
  /** Limit for each of stdout and stderr. */
  maxOutputBytes: number;
  defaultTimeoutMs: number;
  /** PATH, HOME and LANG given to every command; defaults to the worker's own values of these three only. */
  baseEnv?: Readonly<Record<string, string>>;
  /** Time between SIGTERM and SIGKILL when a command is stopped. Default 2 s. */
  killGraceMs?: number;
}

/** Name, description and schema of `command.run`. */
export const commandRunSpec: ActionSpec<typeof CommandRunInput> = {
  name: 'command.run',
  description: 'Run a script from the scripts directory without a shell; fails on a non-zero exit.',
  input: CommandRunInput,
  secretInputs: [['env', '*'], ['stdin']],
};

const STDERR_IN_MESSAGE = 500;

/** The worker's PATH, HOME and LANG, and nothing else from its environment. */
function defaultBaseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
}

/** Creates the `command.run` action. */
export function commandRunAction(options: CommandRunOptions): ActionDefinition<typeof CommandRunInput> {
  const baseEnv = { ...(options.baseEnv ?? defaultBaseEnv()) };
  return {
    ...commandRunSpec,
    async execute(input, ctx) {
      const file = await locateScript(options.scriptsDir, input.command);
      const timeoutMs =
        (input.timeout === undefined ? undefined : parseDuration(input.timeout)) ?? options.defaultTimeoutMs;
      const env = { ...baseEnv };
      for (const [name, value] of Object.entries(input.env ?? {})) env[name] = value;
      const outcome = await runProcess({
        file,
        args: input.args ?? [],
        env,
        cwd: path.dirname(file),
        stdin: input.stdin,
        timeoutMs,
        maxOutputBytes: options.maxOutputBytes,
        killGraceMs: options.killGraceMs ?? 2_000,
        signal: ctx.signal,
      }).catch((error: NodeJS.ErrnoException) => {
        throw startError(input.command, error);
      });
      const output = describeOutcome(outcome, ctx);
      ctx.logger.info(
        { command: input.command, exitCode: outcome.exitCode, durationMs: outcome.durationMs },
        'command.run finished',
      );
      checkOutcome(input.command, timeoutMs, outcome, output, ctx);
      return { output, note: `${input.command} exited with ${outcome.exitCode ?? outcome.exitSignal}` };
    },
  };
}

function describeOutcome(outcome: ProcessOutcome, ctx: ActionContext): JsonObject {
  const stdout = ctx.redact(outcome.stdout.text());
  const output: JsonObject = {
    exitCode: outcome.exitCode,
    stdout,
    stderr: ctx.redact(outcome.stderr.text()),
    truncated: { stdout: outcome.stdout.truncated, stderr: outcome.stderr.truncated },
    durationMs: outcome.durationMs,
  };
  if (outcome.exitSignal !== null) output.signal = outcome.exitSignal;
  // Parse the raw text, then redact the values: a secret with quotes in it is escaped in the text.
  const json = outcome.stdout.truncated ? undefined : parseDocument(outcome.stdout.text());
  if (json !== undefined) output.json = mapJsonStrings(json, (text) => ctx.redact(text));
  return output;
}

/** Stdout that is one JSON object or array; plain text such as `true` or `3` is not taken as JSON. */
function parseDocument(text: string): JsonValue | undefined {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return undefined;
  try {
    return JSON.parse(trimmed) as JsonValue;
  } catch {
    return undefined;
  }
}

/** A script that cannot be executed (no shebang, no permission) will not start on a retry either. */
function startError(command: string, error: NodeJS.ErrnoException): FirebreakError {
  const code = error.code ?? 'error';
  const permanent = code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC';
  return new FirebreakError(
    permanent ? ErrorCode.NotAllowed : ErrorCode.Transient,
    `${command} could not start (${code})`,
  );
}

function checkOutcome(
  name: string,
  timeoutMs: number,
  outcome: ProcessOutcome,
  output: JsonObject,
  ctx: ActionContext,
): void {
  if (outcome.stopped === 'aborted') throw abortReason(ctx.signal);
  if (outcome.stopped === 'timeout') {
    const limit = formatDuration(timeoutMs);
    throw new FirebreakError(ErrorCode.Timeout, `${name} ran past its ${limit} timeout and was stopped`, output);
  }
  if (outcome.exitCode === 0) return;
  const how = outcome.exitCode === null ? `was killed by ${outcome.exitSignal}` : `exited with ${outcome.exitCode}`;
  const stderr = typeof output.stderr === 'string' ? output.stderr.trimEnd() : '';
  const tail = stderr.length > STDERR_IN_MESSAGE ? `…${stderr.slice(-STDERR_IN_MESSAGE)}` : stderr;
  throw new FirebreakError(ErrorCode.CommandFailed, `${name} ${how}${tail ? `: ${tail}` : ''}`, output);
}
