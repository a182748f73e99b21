/**
 * The contract every runbook action implements: a strict zod schema for its interpolated `with`, and an
 * executor that runs inside an activity with a context giving it cancellation, heartbeats and secrets.
 */
import type { z } from 'zod';
import type { BackupSection } from '../backup/deps.js';
import type { JsonValue } from '../domain/plan.js';
import type { InfraOperation } from '../infra/types.js';
import type { SecretPathPattern } from '../domain/secret-slots.js';

/** A pino-compatible structured logger: fields first, then the message. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What an action returns: its output (recorded as the step's output) and an optional timeline note. */
export interface ActionResult {
  output: JsonValue;
  /** Text the workflow appends to the incident timeline. */
  note?: string;
}

/** What an executing action may use; built per activity call. */
export interface ActionContext {
  incidentId: string;
  stepId: string;
  /** Aborted when the activity is cancelled or the step runs past its timeout; the reason is the error to throw. */
  signal: AbortSignal;
  /**
   * Reports liveness and, with `details`, progress (a byte offset): a retry after a crash receives the
   * last details reported as `resumeFrom` and can carry on from there instead of starting over.
   */
  heartbeat(details?: unknown): void;
  /** The last progress the previous attempt reported with `heartbeat(details)`; undefined on a first attempt. */
  resumeFrom?: unknown;
  /**
   * True when no retry follows a failure of this attempt (the step's last under its retry policy): what an
   * action keeps for a retry (a partly downloaded file) is of no use after it. False when unknown.
   */
  lastAttempt: boolean;
  /** Replaces every secret value this call received (in any common encoding) with `[redacted]`. */
  redact(text: string): string;
  logger: Logger;
}

/** The static half of an action: enough to validate runbooks without any configuration. */
export interface ActionSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /**
   * Where in `with` a runbook may put a secret param (`['headers', '*']`): checked when a runbook is
   * validated and again when the action runs. Absent: nowhere. The activity puts the values in before
   * `execute`, so an action never resolves anything itself.
   */
  secretInputs?: readonly SecretPathPattern[];
  /** Strict schema of the interpolated `with`; kept free of transforms so it exports to JSON Schema. */
  input: S;
  /**
   * The `backups` sections of the config in which the `source` input must name a source: checked when a
   * schedule of the runbook is created, so a source that is not configured is refused then, not at 1 am.
   */
  backupSources?: readonly BackupSection[];
  /**
   * The infrastructure operation the action asks of the provider its `provider` input names: when the
   * config is known, a runbook naming a provider that is not configured or lacks it is refused.
   */
  infraOperation?: InfraOperation;
  /**
   * The step must name a preceding approval step (`requires: approval:<step>`) with at least this many
   * distinct people: checked when the runbook is validated, and by the workflow before the step runs.
   */
  approval?: { distinct: number };
}

/** A runnable action. `execute` receives `with` already parsed by `input`. */
export interface ActionDefinition<S extends z.ZodType = z.ZodType> extends ActionSpec<S> {
  // Method syntax on purpose: it lets a definition with a precise input type sit in a list of definitions.
  execute(input: z.output<S>, ctx: ActionContext): Promise<ActionResult>;
}
