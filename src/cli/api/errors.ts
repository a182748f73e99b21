/** Turns failed API calls into one-line `CliError`s worded for a person, each with its exit code. */
import { z } from 'zod';
import { humanizeDuration } from '../../domain/duration.js';
import { CliError } from '../context.js';
import { CLI } from '../output.js';
import { EXIT } from './exit-codes.js';

/** The hint printed when no token was given or the server did not accept it. */
export const SIGN_IN_HINT = `set FIREBREAK_TOKEN, or run ${CLI} dev which writes .firebreak/admin.token`;

const ApiErrorBody = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

// A framework's own error (an unknown route, a body it could not parse) may use its flat shape instead.
const FlatErrorBody = z.object({ message: z.string() });

interface ServerError {
  message: string;
  issues: { path: string; message: string }[];
}

/** A non-2xx answer as a `CliError`: the status picks the wording and the exit code. */
export function httpError(status: number, body: unknown, retryAfter: string | null): CliError {
  const { message, issues } = readServerError(status, body);
  const say = (prefix: string, exitCode: number): CliError =>
    new CliError(`${prefix}: ${withoutPrefix(message, prefix)}`, exitCode);
  switch (status) {
    case 400:
      // The issues say it all (the server's message only summarises them): one per line under the heading.
      return issues.length === 0
        ? say('invalid request', EXIT.invalid)
        : new CliError(
            ['invalid request:', ...issues.map((issue) => `  ${issue.path || '(body)'}: ${issue.message}`)].join('\n'),
            EXIT.invalid,
          );
    case 401:
      return new CliError(`not signed in: the token was missing or not accepted (${SIGN_IN_HINT})`, EXIT.auth);
    case 403:
      return say('not allowed', EXIT.auth);
    case 404:
      return say('not found', EXIT.notFound);
    case 409:
      return say('refused', EXIT.conflict);
    case 422:
      // Refused on what it says (a post-mortem's blameless flags): each issue names where, one per line.
      return issues.length === 0
        ? say('refused', EXIT.conflict)
        : new CliError(
            [`refused: ${message}`, ...issues.map((issue) => `  ${issue.path || '(body)'}: ${issue.message}`)].join(
              '\n',
            ),
            EXIT.conflict,
          );
    case 413:
      return say('request too large', EXIT.invalid);
    case 429:
      return new CliError(`too many requests: ${message}; ${retryHint(retryAfter)}`, EXIT.busy);
    default:
      return status >= 500
        ? new CliError(`Firebreak failed (HTTP ${status}): ${message}`, EXIT.failure)
        : new CliError(`request failed (HTTP ${status}): ${message}`, EXIT.failure);
  }
}

// The server may already start its message with the same words (`invalid request: ...`): say them once.
function withoutPrefix(message: string, prefix: string): string {
  return message.toLowerCase().startsWith(`${prefix}:`) ? message.slice(prefix.length + 1).trim() : message;
}

function readServerError(status: number, body: unknown): ServerError {
  const wrapped = ApiErrorBody.safeParse(body);
  if (wrapped.success) {
    const { message, issues = [] } = wrapped.data.error;
    return {
      message: oneLine(message),
      issues: issues.map((issue) => ({ path: issue.path, message: oneLine(issue.message) })),
    };
  }
  const flat = FlatErrorBody.safeParse(body);
  return { message: flat.success ? oneLine(flat.data.message) : `HTTP ${status}`, issues: [] };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

// Retry-After is either a number of seconds or an HTTP date.
function retryHint(retryAfter: string | null): string {
  if (retryAfter === null) return 'retry in a moment';
  const seconds = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : (Date.parse(retryAfter) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? `retry in ${humanizeDuration(seconds * 1000)}` : 'retry in a moment';
}

/** A request that got no answer at all (refused, unknown host, timed out) as a `CliError`. */
export function unreachableError(error: unknown, baseUrl: string, timeoutMs: number): CliError {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new CliError(
      `no answer from Firebreak at ${baseUrl} within ${timeoutMs < 1000 ? `${timeoutMs}ms` : humanizeDuration(timeoutMs)}: is it overloaded or stuck?`,
      EXIT.unreachable,
    );
  }
  const code = networkCode(error);
  const reason =
    code === 'ECONNREFUSED'
      ? `is \`${CLI} dev\` or \`${CLI} server\` running?`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve; check --url or FIREBREAK_URL'
        : `${code ?? (error instanceof Error ? error.message : String(error))}`;
  return new CliError(`cannot reach Firebreak at ${baseUrl}: ${reason}`, EXIT.unreachable);
}

// fetch wraps the socket error as `cause`; with several addresses (IPv4 and IPv6) it is an AggregateError.
function networkCode(error: unknown): string | undefined {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const candidates: unknown[] = [cause, ...(cause instanceof AggregateError ? (cause.errors as unknown[]) : [])];
  for (const candidate of candidates) {
    if (candidate instanceof Error && 'code' in candidate && typeof candidate.code === 'string') return candidate.code;
  }
  return undefined;
}
