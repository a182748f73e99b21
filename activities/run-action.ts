/** Helpers of the `runAction` activity: input checks, the run's abort signal and a logger with step fields. */
import type { z } from 'zod';
import type { ActionRegistry } from '../src/actions/registry.js';
import type { ActionDefinition, Logger } from '../src/actions/types.js';
import { formatDuration } from '../src/domain/duration.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import type { JsonObject } from '../src/domain/plan.js';
import { formatSlotPath, secretPathAllowed, type SecretSlot } from '../src/domain/secret-slots.js';
import type { SecretScope } from '../src/secrets/scope.js';
import { invalidInputFailure } from './failures.js';

/** Input of `runAction`: one action step, its `with` already interpolated, and where its secrets go. */
export interface RunActionInput {
  incidentId: string;
  /** The runbook the step belongs to: secrets declared for other runbooks are refused. */
  runbook?: string;
  stepId: string;
  action: string;
  /** The interpolated `with`; a string that uses a secret holds a placeholder, never a value or a name. */
  with: JsonObject;
  /** Where secrets go into `with`, from the runbook's structure (never from a value). */
  secrets?: SecretSlot[];
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

/**
 * Puts the secrets into an action's parsed input, at the paths the workflow named from the runbook's
 * structure, after checking that the action takes a secret there. Text parts are copied as they are: a
 * value from outside is only ever text, whatever characters it holds.
 */
export async function applySecretSlots(
  definition: ActionDefinition,
  data: unknown,
  slots: readonly SecretSlot[],
  scope: SecretScope,
): Promise<void> {
  for (const slot of slots) {
    const where = formatSlotPath(slot.path);
    if (!secretPathAllowed(slot.path, definition.secretInputs ?? [])) {
      throw invalidInputFailure(`${definition.name} takes no secret at ${where}`);
    }
    let text = '';
    for (const part of slot.parts) text += 'text' in part ? part.text : await scope.resolve(part.secret);
    setOwnString(data, slot.path, text, where);
  }
}

/** Replaces the string at `path` (own properties only: a path never walks onto a prototype). */
function setOwnString(root: unknown, path: readonly (string | number)[], value: string, where: string): void {
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string | number;
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) break;
    if (i === path.length - 1) {
      if (typeof (node as Record<string | number, unknown>)[key] !== 'string') break;
      (node as Record<string | number, unknown>)[key] = value;
      return;
    }
    node = (node as Record<string | number, unknown>)[key];
  }
  throw invalidInputFailure(`no text at ${where} to put a secret in`);
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
