/** Test helpers for running an action directly: the call's secrets known for redaction, logs kept in memory. */
import { createActionContext } from '../../../src/actions/context.js';
import type { ActionContext, Logger } from '../../../src/actions/types.js';
import { createSecretScope } from '../../../src/secrets/scope.js';

/** One captured log line. */
export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A Logger that keeps what it is given. */
export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/**
 * A context for one action call that received the secrets in `env` (name to value), as the activity would
 * have put them into its input: they are redacted from what the action returns.
 */
export function testContext(options: { env?: Record<string, string>; signal?: AbortSignal } = {}): {
  ctx: ActionContext;
  lines: LogLine[];
} {
  const { logger, lines } = memoryLogger();
  const env = new Map(Object.entries(options.env ?? {}));
  const scope = createSecretScope((name) => Promise.resolve(env.get(name) ?? ''));
  // Settles within microtasks, long before an action that does any I/O redacts its output.
  for (const name of env.keys()) void scope.resolve(name);
  const { ctx } = createActionContext({
    incidentId: 'inc-1',
    stepId: 'step-1',
    signal: options.signal ?? new AbortController().signal,
    secrets: scope,
    logger,
  });
  return { ctx, lines };
}

/** Runs `promise` and returns the error it rejects with (failing when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the promise to reject');
}
