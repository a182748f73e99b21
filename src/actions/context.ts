/** Builds the ActionContext an action runs with, over the secret scope of the call and the caller's signal. */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { createSecretScope, type SecretScope } from '../secrets/scope.js';
import type { ActionContext, Logger } from './types.js';

/** What a caller (the activity, or a test) provides to build a context. */
export interface ActionContextInit {
  incidentId: string;
  stepId: string;
  signal: AbortSignal;
  /** The call's secrets (already put into the input by the activity), for redaction; none when absent. */
  secrets?: SecretScope;
  logger: Logger;
  heartbeat?: (details?: unknown) => void;
  /** The last heartbeat details of the previous attempt, when this is a retry. */
  resumeFrom?: unknown;
  /** Whether no retry follows this attempt (default false). */
  lastAttempt?: boolean;
}

/** An action context plus the secret scope behind it, which the caller uses to redact what leaves. */
export interface ScopedActionContext {
  ctx: ActionContext;
  scope: SecretScope;
}

/** A scope that holds no secret: for calls whose input uses none. */
export function emptySecretScope(): SecretScope {
  return createSecretScope(() =>
    Promise.reject(new FirebreakError(ErrorCode.SecretUnavailable, 'this call was given no secrets')),
  );
}

/** Creates a context whose redaction uses the call's secret scope. */
export function createActionContext(init: ActionContextInit): ScopedActionContext {
  const scope = init.secrets ?? emptySecretScope();
  const ctx: ActionContext = {
    incidentId: init.incidentId,
    stepId: init.stepId,
    signal: init.signal,
    heartbeat: init.heartbeat ?? (() => undefined),
    resumeFrom: init.resumeFrom,
    lastAttempt: init.lastAttempt ?? false,
    redact: (text) => scope.redact(text),
    logger: init.logger,
  };
  return { ctx, scope };
}
