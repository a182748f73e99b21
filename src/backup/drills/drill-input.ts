/**
 * What `drill.record` takes: the drill's earlier steps as they are (`${{ steps.select }}`, with status and
 * output), or explicit values for drills whose steps are not the built-in actions, and the targets. The
 * steps are read into the facts a drill is judged on: the backup, per-phase timings, bytes and checks.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from '../../domain/duration.js';
import { CheckResultSchema, type CheckResult } from '../checks/schema.js';
import { BACKUP_KINDS } from '../manifest.js';

const Instant = z.iso.datetime({ offset: true });
const Ms = z.number().min(0);
const Duration = z.string().regex(DURATION_PATTERN, { error: 'expected a duration such as 30m, 12h or 7d' });

/** The backup a drill restored (the `chosen` output of backup.select fits). */
export const DrillBackupSchema = z.strictObject({
  id: z.string(),
  createdAt: Instant,
  size: z.int().min(0),
  sha256: z.string(),
  source: z.string().optional(),
  kind: z.enum(BACKUP_KINDS).optional(),
  key: z.string().optional(),
});
export type DrillBackup = z.infer<typeof DrillBackupSchema>;

/** Milliseconds per phase; absent or null when the phase did not run or did not finish. */
export const DrillPhasesSchema = z.strictObject({
  select: Ms.nullable().optional(),
  verify: Ms.nullable().optional(),
  restore: Ms.nullable().optional(),
  checks: Ms.nullable().optional(),
});
export type DrillPhases = z.infer<typeof DrillPhasesSchema>;

/** Targets declared by the drill runbook; missing one fails the drill. */
export const DrillTargetsSchema = z.strictObject({
  rto: Duration.optional().meta({ description: 'Longest acceptable restore duration.' }),
  rpo: Duration.optional().meta({ description: 'Oldest acceptable backup at the start of the drill.' }),
});

/**
 * An earlier step: `${{ steps.x }}` as it is (no `output` when it has none), or the same spelled out,
 * `{ status: ${{ steps.x.status }}, output: ${{ has(steps.x.output) ? steps.x.output : null }} }`.
 */
const StepRef = z.strictObject({ status: z.string(), output: z.unknown().optional() });

/** The input of `drill.record`; explicit values win over what the steps' outputs say. */
export const DrillInputSchema = z.strictObject({
  runbook: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'expected a runbook id (kebab-case)' })
    .meta({ description: 'The drill runbook id; its records are kept under drills/<runbook>/.' }),
  startedAt: Instant.meta({ description: 'When the drill started: ${{ incident.startedAt }}.' }),
  select: StepRef.optional().meta({ description: 'The backup.select step: ${{ steps.select }}.' }),
  verify: StepRef.optional().meta({ description: 'The backup.verify step: ${{ steps.verify }}.' }),
  restore: StepRef.optional().meta({
    description: 'The restore.postgres or restore.files step: ${{ steps.restore }}.',
  }),
  backup: DrillBackupSchema.optional().meta({ description: 'Default: the select output `chosen`.' }),
  phases: DrillPhasesSchema.optional().meta({ description: 'Default: the steps’ own timings.' }),
  bytes: z
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Bytes restored; default the restore output, else the backup size.' }),
  checks: z.array(CheckResultSchema).optional().meta({ description: 'Default: the restore output `checks`.' }),
  targets: DrillTargetsSchema.optional(),
});
export type DrillInput = z.infer<typeof DrillInputSchema>;

/** What a drill is judged on, read from its input. */
export interface DrillFacts {
  backup: DrillBackup | null;
  phases: DrillPhases;
  bytes: number;
  checks: CheckResult[];
  /** Earlier steps that did not succeed, as reasons. */
  stepFailures: string[];
}

const SelectOutput = z.looseObject({ chosen: DrillBackupSchema.optional(), durationMs: Ms.optional() });
const VerifyOutput = z.looseObject({ durationMs: Ms.optional() });
const RestoreOutput = z.looseObject({
  restoreMs: Ms.optional(),
  bytes: z.int().min(0).optional(),
  checks: z.array(CheckResultSchema).optional(),
  timings: z.looseObject({ checkMs: Ms.optional() }).optional(),
});

/** Reads the steps (and explicit values) into the facts of a drill. */
export function drillFacts(input: DrillInput): DrillFacts {
  const select = outputOf(input.select, SelectOutput);
  const verify = outputOf(input.verify, VerifyOutput);
  const restore = outputOf(input.restore, RestoreOutput);
  const backup = input.backup ?? select?.chosen ?? null;
  const fromSteps: DrillPhases = {
    select: select?.durationMs ?? null,
    verify: verify?.durationMs ?? null,
    restore: restore?.restoreMs ?? null,
    checks: restore?.timings?.checkMs ?? null,
  };
  return {
    backup,
    phases: { ...dropUnused(fromSteps, input), ...input.phases },
    bytes: input.bytes ?? restore?.bytes ?? backup?.size ?? 0,
    checks: input.checks ?? restore?.checks ?? [],
    stepFailures: stepFailures(input),
  };
}

function outputOf<T>(step: z.infer<typeof StepRef> | undefined, schema: z.ZodType<T>): T | undefined {
  if (step?.status !== 'succeeded') return undefined;
  const parsed = schema.safeParse(step.output);
  return parsed.success ? parsed.data : undefined;
}

// Phases of steps the drill does not name are left out, rather than recorded as "did not finish".
function dropUnused(phases: DrillPhases, input: DrillInput): DrillPhases {
  const kept: DrillPhases = {};
  if (input.select) kept.select = phases.select ?? null;
  if (input.verify) kept.verify = phases.verify ?? null;
  if (input.restore) kept.restore = phases.restore ?? null;
  if (input.restore) kept.checks = phases.checks ?? null;
  return kept;
}

function stepFailures(input: DrillInput): string[] {
  const named = [
    ['select', input.select],
    ['verify', input.verify],
    ['restore', input.restore],
  ] as const;
  return named
    .filter(([, step]) => step !== undefined && step.status !== 'succeeded')
    .map(
      ([phase, step]) =>
        `the ${phase} step ${step?.status === 'failed' ? 'failed' : `did not succeed (${step?.status})`}`,
    );
}
