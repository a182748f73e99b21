/**
 * `backup.select`: chooses a backup of a source by rule (latest, before an instant, random in a window),
 * optionally walking the candidates until one verifies, and records the choice and its data loss.
 */
import { z } from 'zod';
import type { ActionContext, ActionDefinition, ActionResult, ActionSpec } from '../types.js';
import { DURATION_PATTERN, humanizeDuration, parseDuration } from '../../domain/duration.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/plan.js';
import { listManifests, type UnreadableManifest } from '../../backup/catalog.js';
import type { BackupDeps } from '../../backup/deps.js';
import { SOURCE_NAME, type BackupManifest } from '../../backup/manifest.js';
import {
  nothingToSelect,
  orderCandidates,
  selectionSeed,
  summarize,
  type BackupSummary,
  type SelectCriteria,
} from '../../backup/restore/select.js';
import { walkVerified, type Rejection } from './select-walk.js';

const Source = z.string().regex(SOURCE_NAME).meta({ description: 'A configured backup source.' });
const Verify = z
  .boolean()
  .optional()
  .meta({ description: 'Walk the candidates until one passes backup.verify (default false).' });
const Duration = z.string().regex(DURATION_PATTERN, { error: 'expected a duration such as 30m, 12h or 7d' });

/** Input of `backup.select`, one shape per rule. */
export const BackupSelectInput = z.discriminatedUnion('rule', [
  z.strictObject({ source: Source, rule: z.literal('latest'), verify: Verify }),
  z.strictObject({
    source: Source,
    rule: z.literal('before'),
    before: z.iso.datetime({ offset: true }).meta({ description: 'e.g. the earliest sign of compromise.' }),
    margin: Duration.optional().meta({ description: 'Only backups created before `before` minus this.' }),
    verify: Verify,
  }),
  z.strictObject({
    source: Source,
    rule: z.literal('random'),
    window: Duration.optional().meta({ description: 'Only backups created within this long before now.' }),
    verify: Verify,
  }),
]);
export type BackupSelectInput = z.infer<typeof BackupSelectInput>;

/** Name, description and schema of `backup.select`. */
export const backupSelectSpec: ActionSpec<typeof BackupSelectInput> = {
  name: 'backup.select',
  description:
    'Choose a backup of a source by rule (latest, before an instant, random in a window), optionally verified.',
  input: BackupSelectInput,
};

/** The `backup.select` action over the backup dependencies. */
export function backupSelectAction(deps: BackupDeps): ActionDefinition<typeof BackupSelectInput> {
  return { ...backupSelectSpec, execute: (input, ctx) => select(deps, input, ctx) };
}

async function select(deps: BackupDeps, input: BackupSelectInput, ctx: ActionContext): Promise<ActionResult> {
  const started = performance.now();
  const now = deps.now?.() ?? new Date();
  const criteria = criteriaOf(input, ctx);
  const found = await listManifests(deps.manifestStore ?? deps.store, deps.layout, input.source);
  const { ordered, excluded } = orderCandidates(found.manifests, criteria, now);
  const first = ordered[0];
  if (first === undefined) {
    const why = nothingToSelect(input.source, criteria, found.manifests.length);
    throw new FirebreakError(ErrorCode.NotFound, why, { unreadable: found.unreadable });
  }
  const walk = input.verify === true ? await walkVerified(deps.store, ordered, ctx) : undefined;
  const chosen = walk?.chosen ?? first;
  const output: JsonObject = {
    source: input.source,
    rule: input.rule,
    at: now.toISOString(),
    chosen: summarize(chosen),
    verified: walk !== undefined,
    ...(walk ? { verification: walk.verification } : {}),
    candidates: ordered.length,
    excluded,
    rejected: walk?.rejected ?? [],
    unreadable: found.unreadable,
    ...(criteria.rule === 'random' ? { seed: criteria.seed } : {}),
    ...lossOf(input, chosen, now),
    durationMs: Math.round(performance.now() - started),
  };
  return { output, note: noteOf(input, summarize(chosen), output, walk?.rejected ?? [], found.unreadable) };
}

function criteriaOf(input: BackupSelectInput, ctx: ActionContext): SelectCriteria {
  if (input.rule === 'latest') return { rule: 'latest' };
  if (input.rule === 'before') return { rule: 'before', before: cutoffOf(input) };
  const windowMs = input.window === undefined ? undefined : parseDuration(input.window);
  const seed = selectionSeed(ctx.incidentId, ctx.stepId);
  return windowMs === undefined ? { rule: 'random', seed } : { rule: 'random', windowMs, seed };
}

function cutoffOf(input: Extract<BackupSelectInput, { rule: 'before' }>): Date {
  const margin = input.margin === undefined ? 0 : (parseDuration(input.margin) ?? 0);
  return new Date(Date.parse(input.before) - margin);
}

/** The backup's age now, and for `before` the data it gives up: everything written from its creation to `before`. */
function lossOf(input: BackupSelectInput, chosen: BackupManifest, now: Date): JsonObject {
  const created = Date.parse(chosen.createdAt);
  const age = { ageMs: now.getTime() - created };
  if (input.rule !== 'before') return age;
  return {
    ...age,
    before: new Date(input.before).toISOString(),
    cutoff: cutoffOf(input).toISOString(),
    dataLossMs: Date.parse(input.before) - created,
  };
}

function noteOf(
  input: BackupSelectInput,
  chosen: BackupSummary,
  output: JsonObject,
  rejected: readonly Rejection[],
  unreadable: readonly UnreadableManifest[],
): string {
  const verified = input.verify === true ? ', verified' : '';
  const lines = [
    `Selected backup ${chosen.id} of ${chosen.source} by rule ${input.rule}: created ${chosen.createdAt}, ` +
      `${humanizeDuration(Number(output.ageMs))} old${verified}.`,
  ];
  if (typeof output.dataLossMs === 'number') {
    const before = input.rule === 'before' ? new Date(input.before).toISOString() : '';
    lines.push(`Data loss: ${humanizeDuration(output.dataLossMs)} of changes before ${before}.`);
  }
  if (typeof output.seed === 'string') lines.push(`Random seed ${output.seed}.`);
  for (const rejection of rejected) lines.push(`Rejected ${rejection.id}: ${rejection.reason}`);
  if (unreadable.length > 0) lines.push(`Skipped ${unreadable.length} unreadable manifest(s).`);
  const note = lines.join('\n');
  return note.length > 4000 ? `${note.slice(0, 3990)}\n…` : note;
}
