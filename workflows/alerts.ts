/**
 * Alerts recorded on an incident: one at a time (the `recordAlert` Update, whose id is the delivery id)
 * or in batches (the `recordAlerts` Signal, each alert carrying its delivery id). Both paths share one
 * set of recorded delivery ids, so a delivery is on the timeline once however often it arrives.
 */
import { currentUpdateInfo, setHandler } from '@temporalio/workflow';
import type { RecordAlert } from '../src/domain/state.js';
import { recordAlertsSignal, recordAlertUpdate } from './definitions.js';
import type { IncidentRun } from './run.js';

/** Registers the alert Update and Signal on a run. */
export function registerAlertHandlers(run: IncidentRun): void {
  const recorded = new Set<string>();
  setHandler(recordAlertUpdate, (alert) => {
    // Temporal deduplicates this Update by its id (the delivery id); the set covers the batch path too.
    const deliveryId = currentUpdateInfo()?.id;
    if (deliveryId !== undefined) {
      if (recorded.has(deliveryId)) return { ok: true, message: 'alert already recorded' };
      recorded.add(deliveryId);
    }
    recordAlert(run, alert);
    return { ok: true, message: 'alert recorded' };
  });
  setHandler(recordAlertsSignal, (batch) => {
    // A signal cannot be refused; one that reached the history is recorded, even on an incident that has
    // just finished, since its sender was told it is recorded.
    for (const alert of Array.isArray(batch?.alerts) ? batch.alerts : []) {
      if (typeof alert.deliveryId !== 'string' || recorded.has(alert.deliveryId)) continue;
      recorded.add(alert.deliveryId);
      recordAlert(run, alert);
    }
  });
}

function recordAlert(run: IncidentRun, alert: RecordAlert): void {
  run.event(`alert.${alert.status}`, `${alert.receiver}: ${alert.summary} (${alert.status})`, {
    actor: alert.actor,
    data: {
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      // Adds data to the event only, no command: runs in flight replay the same.
      ...(typeof alert.labelsDropped === 'number' && alert.labelsDropped > 0
        ? { truncated: true, labelsDropped: alert.labelsDropped }
        : {}),
      ...(alert.startsAt ? { startsAt: alert.startsAt } : {}),
      ...(alert.endsAt ? { endsAt: alert.endsAt } : {}),
    },
  });
  run.state.alerts = (run.state.alerts ?? 0) + 1;
}
