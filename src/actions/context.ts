/** Builds the ActionContext an action runs with, from a secret resolver and the caller's signal. */
import { createSecretScope, type SecretScope } from '../secrets/scope.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { ActionContext, Logger } from './types.js';

/** What a caller (the activity, or a test) provides to build a context. */
export interface ActionContextInit {
  incidentId: string;
  stepId: string;
  signal: AbortSignal;
  secrets: SecretResolver;
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

/** Creates a context whose secret resolution and redaction share one per-call scope. */
export function createActionContext(init: ActionContextInit): ScopedActionContext {
  const scope = createSecretScope(init.secrets);
  const ctx: ActionContext = {
    incidentId: init.incidentId,
    stepId: init.stepId,
    signal: init.signal,
    heartbeat: init.heartbeat ?? (() => undefined),
    resumeFrom: init.resumeFrom,
    lastAttempt: init.lastAttempt ?? false,
    resolveSecrets: (text) => scope.resolve(text),
    redact: (text) => scope.redact(text),
    logger: init.logger,
  };
  return { ctx, scope };
}
