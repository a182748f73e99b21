/**
 * Choosing a backup by a fixed rule, so that a drill (or a known-good restore) can say exactly which point
 * it used and why. The rules order the candidates; with verification the first one that verifies wins.
 *
 *   latest   newest first
 *   before   only those created strictly before an instant, newest first (known-good restore)
 *   random   only those created within a window before now, in an order seeded by the incident and step,
 *            so a retried step walks the same order and a new backup does not reshuffle the others
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BACKUP_KINDS, type BackupManifest } from '../manifest.js';

/** The selection rules. */
export const SELECT_RULES = ['latest', 'before', 'random'] as const;
export type SelectRule = (typeof SELECT_RULES)[number];

/** A rule with its parameters, parsed. */
export type SelectCriteria =
  { rule: 'latest' } | { rule: 'before'; before: Date } | { rule: 'random'; windowMs?: number; seed: string };

/** The candidates a rule admits, in the order to try them, and how many it left out. */
export interface OrderedCandidates {
  ordered: BackupManifest[];
  /** Backups the rule left out: created at or after `before`, or outside the window. */
  excluded: number;
}

/** The seed of `random` for one step of one incident: the same on every retry. */
export function selectionSeed(incidentId: string, stepId: string): string {
  return createHash('sha256').update(`${incidentId}\n${stepId}`).digest('hex').slice(0, 32);
}

/** Orders a source's backups by the rule; `now` bounds the random window. Pure and deterministic. */
export function orderCandidates(
  manifests: readonly BackupManifest[],
  criteria: SelectCriteria,
  now: Date,
): OrderedCandidates {
  const admitted = manifests.filter((manifest) => admits(manifest, criteria, now));
  const ordered = criteria.rule === 'random' ? byRank(admitted, criteria.seed) : [...admitted].sort(newestFirst);
  return { ordered, excluded: manifests.length - admitted.length };
}

function admits(manifest: BackupManifest, criteria: SelectCriteria, now: Date): boolean {
  const created = Date.parse(manifest.createdAt);
  if (criteria.rule === 'before') return created < criteria.before.getTime();
  if (criteria.rule === 'random' && criteria.windowMs !== undefined) {
    return created >= now.getTime() - criteria.windowMs && created <= now.getTime();
  }
  return true;
}

/** Newest `createdAt` first; ids (which sort by time) break ties. */
export function newestFirst(a: BackupManifest, b: BackupManifest): number {
  const delta = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (delta !== 0) return delta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * A seeded shuffle by rank: each backup's rank is SHA-256(seed, id), so the order of two backups never
 * depends on which other backups exist (rendezvous hashing).
 */
function byRank(manifests: readonly BackupManifest[], seed: string): BackupManifest[] {
  const rank = (id: string) => createHash('sha256').update(`${seed}\n${id}`).digest('hex');
  return manifests
    .map((manifest) => ({ manifest, rank: rank(manifest.id) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .map((entry) => entry.manifest);
}

/** A backup as selection reports it (and as `drill.record` takes it). */
export const BackupSummarySchema = z.strictObject({
  id: z.string(),
  source: z.string(),
  kind: z.enum(BACKUP_KINDS),
  key: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  size: z.int().min(0),
  sha256: z.string(),
});
export type BackupSummary = z.infer<typeof BackupSummarySchema>;

/** The summary of a manifest. */
export function summarize(manifest: BackupManifest): BackupSummary {
  const { id, source, kind, key, createdAt, size, sha256 } = manifest;
  return { id, source, kind, key, createdAt, size, sha256 };
}

/** Why the rule admitted nothing, for the error a step fails with. */
export function nothingToSelect(source: string, criteria: SelectCriteria, total: number): string {
  if (total === 0) return `source ${source} has no readable backups`;
  if (criteria.rule === 'before')
    return `none of the ${total} backups of ${source} was created before ${criteria.before.toISOString()}`;
  return `none of the ${total} backups of ${source} was created within the window`;
}
