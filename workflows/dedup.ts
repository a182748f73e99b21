/**
 * Deduplication of triggers. One `dedupWorkflow` per dedup key (its workflow id derives from the key) is
 * reached through Update-with-Start, so concurrent triggers with the same key meet in one place: the first
 * starts the incident as a child (abandoned on close, so it outlives this workflow), later ones get the
 * open incident's id. When that incident closes, the next trigger with the key starts a new one.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  DEDUP_ATTRIBUTE,
  INCIDENT_ATTRIBUTE,
  KIND_ATTRIBUTE_PATCH,
  kindAttribute,
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
} from '../src/domain/search-attributes.js';
import { incidentWorkflow } from './incident.js';
import { claimIncidentUpdate, openIncidentQuery } from './definitions.js';

/** The dedup workflow names the incident it holds in its search attributes and timers (issue 11). */
const OPERATOR_LABELS_PATCH = 'dedup-names-incident';

/** Holds a dedup key for as long as the incident it started is open. */
export async function dedupWorkflow(): Promise<void> {
  let current: { incidentId: string; open: boolean; failed: boolean; started: Promise<void> } | undefined;
  setHandler(openIncidentQuery, () => (current?.open ? current.incidentId : null));
  setHandler(claimIncidentUpdate, async (claim) => {
    if (current?.open) {
      // A claim that arrived while the first was starting the incident answers only once it has started,
      // so its caller can act on the incident at once.
      const existing = current;
      await existing.started;
      if (existing.failed)
        throw ApplicationFailure.create({
          message: 'The incident for this key failed to start; try again',
          type: 'CONFLICT',
        });
      return { incidentId: existing.incidentId, created: false };
    }
    // Claimed synchronously, before the first await, so a concurrent claim sees it.
    let markStarted = (): void => undefined;
    const entry = {
      incidentId: claim.incidentId,
      open: true,
      failed: false,
      started: new Promise<void>((resolve) => (markStarted = resolve)),
    };
    current = entry;
    try {
      const child = await startChild(incidentWorkflow, {
        workflowId: claim.incidentId,
        args: [claim.start],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `${claim.start.plan.title} (${claim.start.plan.runbookId} v${claim.start.plan.version})`,
        typedSearchAttributes: [
          { key: RUNBOOK_ATTRIBUTE, value: claim.start.plan.runbookId },
          { key: SEVERITY_ATTRIBUTE, value: claim.start.severity ?? claim.start.plan.severity },
          { key: STATUS_ATTRIBUTE, value: 'running' },
          { key: DEDUP_ATTRIBUTE, value: claim.dedupKey },
          ...(patched(KIND_ATTRIBUTE_PATCH) ? [kindAttribute(claim.start.plan)] : []),
        ],
      });
      child.result().then(
        () => (entry.open = false),
        () => (entry.open = false),
      );
      // A later incident for the key replaces the one the workflow was started for.
      if (patched(OPERATOR_LABELS_PATCH))
        upsertSearchAttributes([{ key: INCIDENT_ATTRIBUTE, value: claim.incidentId }]);
    } catch (error) {
      entry.open = false;
      entry.failed = true;
      throw error;
    } finally {
      markStarted();
    }
    return { incidentId: claim.incidentId, created: true };
  });
  // Close only when the incident is closed and no claim arrived meanwhile (it may have started another).
  for (;;) {
    await condition(() => current !== undefined && !current.open);
    await condition(allHandlersFinished);
    if (current !== undefined && !current.open) return;
  }
}
