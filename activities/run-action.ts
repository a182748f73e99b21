/** Helpers of the `runAction` activity: input checks, the run's abort signal and a logger with step fields. */
import type { z } from 'zod';
import type { ActionRegistry } from '../src/actions/registry.js';
import type { ActionDefinition, Logger } from '../src/actions/types.js';
import { formatDuration } from '../src/domain/duration.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import type { JsonObject } from '../src/domain/plan.js';
import { invalidInputFailure } from './failures.js';

/** Input of `runAction`: one action step, its `with` already interpolated (secrets still as markers). */
export interface RunActionInput {
  incidentId: string;
  stepId: string;
  action: string;
  with: JsonObject;
  /** The step's timeout: the action is stopped with TIMEOUT when it runs longer. */
  timeoutMs?: number;
  /** The step's retry policy's attempts, so the action knows its last attempt (absent: not known). */
  maxAttempts?: number;
}

/** Formats zod issues as `with.path: message`, one per issue, separated by `; `. */
export function formatWithIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${['with', ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; ');
}

/** The action and its parsed input, or a non-retryable INVALID_INPUT failure naming every problem. */
export function prepareAction(
  actions: ActionRegistry,
  input: RunActionInput,
): { definition: ActionDefinition; data: unknown } {
  const definition = actions.get(input.action);
  if (!definition) {
    throw invalidInputFailure(`unknown action "${input.action}" (known: ${actions.names().join(', ')})`);
  }
  const parsed = definition.input.safeParse(input.with);
  if (!parsed.success) throw invalidInputFailure(`${input.action}: ${formatWithIssues(parsed.error)}`);
  return { definition, data: parsed.data };
}

/** A logger that adds `fields` to every line. */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return {
    info: (extra, message) => logger.info({ ...fields, ...extra }, message),
    warn: (extra, message) => logger.warn({ ...fields, ...extra }, message),
    error: (extra, message) => logger.error({ ...fields, ...extra }, message),
  };
}

/** An abort signal for one run, and how to release its listeners. */
export interface RunSignal {
  signal: AbortSignal;
  dispose(): void;
}

/** A signal aborted by activity cancellation (reason: CancelledFailure) or by the step timeout (TIMEOUT). */
export function runSignal(cancellation: AbortSignal, input: RunActionInput): RunSignal {
  const controller = new AbortController();
  const onCancel = () => controller.abort(cancellation.reason);
  cancellation.addEventListener('abort', onCancel, { once: true });
  if (cancellation.aborted) onCancel();
  const { timeoutMs } = input;
  const onTimeout = () => {
    const limit = formatDuration(timeoutMs ?? 0);
    controller.abort(new FirebreakError(ErrorCode.Timeout, `step ${input.stepId} ran past its ${limit} timeout`));
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(onTimeout, timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      cancellation.removeEventListener('abort', onCancel);
    },
  };
}
