/**
 * `drill.record`: judges a restore drill from the outputs of its earlier steps, appends the record to the
 * blob store (never overwriting one), and fails the step with DRILL_FAILED when the drill failed, so the
 * runbook's failure path (a `notify`) runs. A retried step finds its own record and does not write again.
 */
import type { ActionContext, ActionDefinition, ActionResult, ActionSpec } from '../types.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { BackupDeps } from '../../backup/deps.js';
import { readJson } from '../../backup/drills/history.js';
import { DrillInputSchema, type DrillInput } from '../../backup/drills/drill-input.js';
import { describeDrill, drillKey, DrillRecordSchema, evaluateDrill, type DrillRecord } from '../../backup/drills/drill.js';

/** Name, description and schema of `drill.record`. */
export const drillRecordSpec: ActionSpec<typeof DrillInputSchema> = {
  name: 'drill.record',
  description:
    'Judge a restore drill (checks, RTO and RPO targets), append its record to the drill history, and fail when it failed.',
  input: DrillInputSchema,
};

/** The `drill.record` action; records go to the backup store under `drills/`. */
export function drillRecordAction(deps: BackupDeps): ActionDefinition<typeof DrillInputSchema> {
  return { ...drillRecordSpec, execute: (input, ctx) => record(deps, input, ctx) };
}

async function record(deps: BackupDeps, input: DrillInput, ctx: ActionContext): Promise<ActionResult> {
  const key = drillKey(input.runbook, input.startedAt, ctx.incidentId);
  const fresh = evaluateDrill(input, ctx.incidentId, deps.now?.() ?? new Date());
  const stored = await appendOnce(deps.store, key, fresh);
  const summary = describeDrill(stored);
  if (stored.status === 'failed') {
    throw new FirebreakError(ErrorCode.DrillFailed, `${summary} ${stored.reasons.join('; ')}`, {
      key,
      reasons: stored.reasons,
    });
  }
  return { output: { key, record: stored }, note: `${summary} Recorded as ${key}.` };
}

/**
 * Writes the record unless its key already exists. An existing record of the same incident is this
 * step's own, written by an attempt that died before reporting: it is returned as the result. Anything
 * else at that key is never overwritten.
 */
async function appendOnce(store: BlobStore, key: string, fresh: DrillRecord): Promise<DrillRecord> {
  if ((await store.head(key)) === undefined) {
    await store.put(key, Buffer.from(`${JSON.stringify(fresh, null, 2)}\n`), { contentType: 'application/json' });
    return fresh;
  }
  const existing = DrillRecordSchema.safeParse(await readJson(store, key));
  if (existing.success && existing.data.incidentId === fresh.incidentId) return existing.data;
  throw new FirebreakError(ErrorCode.Conflict, `a different drill record already exists at ${key}; not overwriting it`);
}
