/**
 * Restore drill results: the record kept for every drill (the backup used, per-phase timings, RTO, RPO,
 * throughput, check results, targets and the verdict), how a verdict is reached, and where records live:
 * one append-only JSON blob per drill, `drills/<runbook>/<started>-<incident>.json`.
 */
import { z } from 'zod';
import { humanizeDuration, parseDuration } from '../../domain/duration.js';
import { CheckResultSchema, checksVerdict, type CheckResult } from '../checks/schema.js';
import {
  DrillBackupSchema,
  drillFacts,
  DrillPhasesSchema,
  DrillTargetsSchema,
  type DrillInput,
} from './drill-input.js';

/** Where drill records live in the blob store. */
export const DRILLS_PREFIX = 'drills';

const Instant = z.iso.datetime({ offset: true });
const Ms = z.number().min(0);

/** One drill's record, as stored (version 1). */
export const DrillRecordSchema = z.strictObject({
  version: z.literal(1),
  runbook: z.string(),
  incidentId: z.string(),
  /** Null when no backup was selected (none found, or the select step failed). */
  backup: DrillBackupSchema.nullable(),
  phases: DrillPhasesSchema,
  /** Restore duration; null when the restore did not finish. */
  rtoMs: Ms.nullable(),
  /** Age of the backup when the drill started; null without a backup. */
  rpoMs: z.number().nullable(),
  bytes: z.int().min(0),
  throughputBytesPerS: Ms,
  checks: z.array(CheckResultSchema),
  targets: DrillTargetsSchema,
  status: z.enum(['passed', 'failed']),
  reasons: z.array(z.string()),
  /** When the drill started (its incident) and when it was recorded. */
  startedAt: Instant,
  at: Instant,
});
export type DrillRecord = z.infer<typeof DrillRecordSchema>;

/** Judges a drill and builds its record. Pure: `at` is the recording time. */
export function evaluateDrill(input: DrillInput, incidentId: string, at: Date): DrillRecord {
  const facts = drillFacts(input);
  const targets = input.targets ?? {};
  const rtoMs = facts.phases.restore ?? null;
  const rpoMs = facts.backup === null ? null : Date.parse(input.startedAt) - Date.parse(facts.backup.createdAt);
  const reasons = [
    ...(facts.backup === null ? ['no backup was selected'] : []),
    ...facts.stepFailures,
    ...checksVerdict(facts.checks).reasons,
    ...targetMisses(targets, rtoMs, rpoMs),
  ];
  return {
    version: 1,
    runbook: input.runbook,
    incidentId,
    backup: facts.backup,
    phases: facts.phases,
    rtoMs,
    rpoMs,
    bytes: facts.bytes,
    throughputBytesPerS: rtoMs !== null && rtoMs > 0 ? Math.round((facts.bytes * 1000) / rtoMs) : 0,
    checks: facts.checks,
    targets,
    status: reasons.length === 0 ? 'passed' : 'failed',
    reasons,
    startedAt: new Date(input.startedAt).toISOString(),
    at: at.toISOString(),
  };
}

function targetMisses(targets: DrillRecord['targets'], rtoMs: number | null, rpoMs: number | null): string[] {
  const misses: string[] = [];
  const rto = targets.rto === undefined ? undefined : parseDuration(targets.rto);
  const rpo = targets.rpo === undefined ? undefined : parseDuration(targets.rpo);
  if (rto !== undefined && rtoMs === null) {
    misses.push(`RTO not measured (the restore did not finish); target ${targets.rto}`);
  }
  if (rto !== undefined && rtoMs !== null && rtoMs > rto) {
    misses.push(`RTO ${humanizeDuration(rtoMs)} missed the target of ${targets.rto}`);
  }
  if (rpo !== undefined && rpoMs !== null && rpoMs > rpo) {
    misses.push(`RPO ${humanizeDuration(rpoMs)} missed the target of ${targets.rpo}`);
  }
  return misses;
}

/** The blob key of a drill's record: sortable by start time, one per incident. */
export function drillKey(runbook: string, startedAt: string, incidentId: string): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:.]/g, '');
  const incident = incidentId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${drillPrefixOf(runbook)}${stamp}-${incident}.json`;
}

/** The prefix a runbook's drill records are listed under. */
export function drillPrefixOf(runbook: string): string {
  return `${DRILLS_PREFIX}/${runbook}/`;
}

/** One line for people: status, RTO and RPO against their targets, checks. */
export function describeDrill(record: DrillRecord): string {
  const against = (ms: number | null, target: string | undefined): string =>
    `${ms === null ? 'n/a' : humanizeDuration(ms)}${target === undefined ? '' : ` (target ${target})`}`;
  const counts = countChecks(record.checks);
  return (
    `Drill ${record.status}: backup ${record.backup?.id ?? 'none'}, RTO ${against(record.rtoMs, record.targets.rto)}, ` +
    `RPO ${against(record.rpoMs, record.targets.rpo)}, ${(record.throughputBytesPerS / 1048576).toFixed(1)} MiB/s, ` +
    `checks ${counts}.`
  );
}

/** `3 pass, 1 fail, 1 skipped`. */
export function countChecks(checks: readonly CheckResult[]): string {
  const { counts } = checksVerdict(checks);
  const parts = [`${counts.PASS} pass`];
  if (counts.FAIL > 0) parts.push(`${counts.FAIL} fail`);
  if (counts.SKIPPED > 0) parts.push(`${counts.SKIPPED} skipped`);
  return parts.join(', ');
}
