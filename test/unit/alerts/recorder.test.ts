/**
 * The recorder's group commit and recovery, against a scripted incident client: batches per dedup key,
 * one trigger per key, the remembered incident, a closed incident (trigger again), a claimed incident
 * whose run has not started (wait and retry), resolved alerts without an incident, and failures.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { IncidentClient } from '../../../src/incidents/client.js';
import { AlertRecorder, type Delivery } from '../../../src/server/webhooks/recorder.js';
import type { AlertDelivery, StartIncident } from '../../../workflows/definitions.js';

type SignalOutcome = 'ok' | 'not-found' | Error;

/** A fake incident client: triggers hand out ids from a script, signals succeed or fail as scripted. */
function fakeIncidents(script: {
  triggers?: string[];
  signals?: SignalOutcome[];
  open?: string | null;
  closed?: Set<string>;
}) {
  const calls: string[] = [];
  const batches: { incidentId: string; deliveryIds: string[] }[] = [];
  const triggers = [...(script.triggers ?? [])];
  const signals = [...(script.signals ?? [])];
  const opened = new Set<string>();
  const client = {
    trigger(start: StartIncident) {
      calls.push(`trigger ${start.dedupKey}`);
      const incidentId = triggers.shift() ?? 'inc-default';
      const created = !opened.has(incidentId);
      opened.add(incidentId);
      return Promise.resolve({ incidentId, created });
    },
    openIncidentFor(key: string) {
      calls.push(`open ${key}`);
      return Promise.resolve(script.open ?? null);
    },
    isRunning(incidentId: string) {
      calls.push(`running? ${incidentId}`);
      return Promise.resolve(!(script.closed ?? new Set()).has(incidentId));
    },
    handle(incidentId: string) {
      return {
        signal(_definition: unknown, batch: { alerts: AlertDelivery[] }) {
          calls.push(`signal ${incidentId} ${batch.alerts.length}`);
          const outcome = signals.shift() ?? 'ok';
          if (outcome instanceof Error) return Promise.reject(outcome);
          if (outcome === 'not-found') return Promise.reject(new WorkflowNotFoundError('gone', incidentId, undefined));
          batches.push({ incidentId, deliveryIds: batch.alerts.map((alert) => alert.deliveryId) });
          return Promise.resolve();
        },
      };
    },
  };
  return { client: client as unknown as IncidentClient, calls, batches };
}

function alert(deliveryId: string, status: 'firing' | 'resolved' = 'firing'): AlertDelivery {
  return {
    deliveryId,
    actor: { id: 'prom', source: 'webhook' },
    receiver: 'generic',
    status,
    fingerprint: 'f',
    summary: 's',
    labels: {},
  };
}

function firing(key: string, deliveryId: string): Delivery {
  return { kind: 'firing', dedupKey: key, start: { dedupKey: key } as StartIncident, alert: alert(deliveryId) };
}

function resolved(key: string, deliveryId: string): Delivery {
  return { kind: 'resolved', dedupKey: key, alert: alert(deliveryId, 'resolved') };
}

describe('AlertRecorder', () => {
  it('batches concurrent deliveries of a key behind one trigger, and remembers the incident', async () => {
    const fake = fakeIncidents({ triggers: ['inc-a', 'inc-b'] });
    const recorder = new AlertRecorder(fake.client);
    const first = await Promise.all([
      recorder.record(firing('a', 'd1')),
      recorder.record(firing('a', 'd2')),
      recorder.record(firing('b', 'd3')),
      recorder.record(firing('a', 'd4')),
    ]);
    expect(first).toEqual([
      { recorded: true, incidentId: 'inc-a', created: true },
      { recorded: true, incidentId: 'inc-a', created: false },
      { recorded: true, incidentId: 'inc-b', created: true },
      { recorded: true, incidentId: 'inc-a', created: false },
    ]);
    expect(fake.batches).toEqual([
      { incidentId: 'inc-a', deliveryIds: ['d1', 'd2', 'd4'] },
      { incidentId: 'inc-b', deliveryIds: ['d3'] },
    ]);
    await recorder.record(firing('a', 'd5'));
    await recorder.record(resolved('a', 'd6'));
    // Later deliveries go straight to the remembered incident: no trigger, no lookup.
    expect(fake.calls.slice(4)).toEqual(['signal inc-a 1', 'signal inc-a 1']);
  });

  it('sends nothing for a delivery already recorded on the remembered incident', async () => {
    const fake = fakeIncidents({ triggers: ['inc'] });
    const recorder = new AlertRecorder(fake.client);
    await recorder.record(firing('k', 'd1'));
    expect(await recorder.record(firing('k', 'd1'))).toEqual({ recorded: true, incidentId: 'inc', created: false });
    await recorder.record(firing('k', 'd2'));
    expect(fake.calls).toEqual(['trigger k', 'signal inc 1', 'running? inc', 'signal inc 1']);
    expect(fake.batches.map((batch) => batch.deliveryIds)).toEqual([['d1'], ['d2']]);
  });

  it('opens the next incident for a redelivery once the remembered one has closed, as a fresh process would', async () => {
    const closed = new Set<string>();
    const fake = fakeIncidents({ triggers: ['old', 'new'], closed });
    const recorder = new AlertRecorder(fake.client);
    await recorder.record(firing('k', 'd1'));
    closed.add('old');
    expect(await recorder.record(firing('k', 'd1'))).toEqual({ recorded: true, incidentId: 'new', created: true });
    expect(fake.calls).toEqual(['trigger k', 'signal old 1', 'running? old', 'trigger k', 'signal new 1']);
  });

  it('keeps one batch per key in flight; what arrives meanwhile is the next batch', async () => {
    const fake = fakeIncidents({ triggers: ['inc-a'] });
    const recorder = new AlertRecorder(fake.client, { maxBatch: 2 });
    await Promise.all(['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => recorder.record(firing('a', id))));
    expect(fake.batches.map((batch) => batch.deliveryIds)).toEqual([['d1', 'd2'], ['d3', 'd4'], ['d5']]);
  });

  it('triggers again when the remembered incident has closed', async () => {
    const fake = fakeIncidents({ triggers: ['old', 'new'], signals: ['ok', 'not-found', 'ok'] });
    const recorder = new AlertRecorder(fake.client);
    await recorder.record(firing('k', 'd1'));
    expect(await recorder.record(firing('k', 'd2'))).toEqual({ recorded: true, incidentId: 'new', created: true });
    expect(fake.calls).toEqual(['trigger k', 'signal old 1', 'signal old 1', 'trigger k', 'signal new 1']);
  });

  it('waits for an incident claimed elsewhere whose run has not started yet', async () => {
    const fake = fakeIncidents({ triggers: ['inc', 'inc', 'inc'], signals: ['not-found', 'not-found', 'ok'] });
    const recorder = new AlertRecorder(fake.client, { retryDelaysMs: [0, 0, 5, 5] });
    expect(await recorder.record(firing('k', 'd1'))).toMatchObject({ recorded: true, incidentId: 'inc' });
    expect(fake.calls.filter((call) => call.startsWith('signal'))).toHaveLength(3);
  });

  it('gives up with CONFLICT when the incident keeps refusing', async () => {
    const fake = fakeIncidents({ signals: ['not-found', 'not-found', 'not-found', 'not-found'] });
    const recorder = new AlertRecorder(fake.client, { retryDelaysMs: [0, 0, 1, 1] });
    await expect(recorder.record(firing('k', 'd1'))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('records a resolved alert on the open incident, or nowhere, and never triggers for it', async () => {
    const none = fakeIncidents({});
    expect(await new AlertRecorder(none.client).record(resolved('k', 'd1'))).toEqual({ recorded: false });
    expect(none.calls).toEqual(['open k']);
    const open = fakeIncidents({ open: 'inc-open' });
    expect(await new AlertRecorder(open.client).record(resolved('k', 'd1'))).toEqual({
      recorded: true,
      incidentId: 'inc-open',
      created: false,
    });
  });

  it('fails every delivery of a batch on an unexpected error, and recovers for the next', async () => {
    const fake = fakeIncidents({ triggers: ['inc', 'inc'], signals: [new Error('unavailable'), 'ok'] });
    const recorder = new AlertRecorder(fake.client);
    const results = await Promise.allSettled([recorder.record(firing('k', 'd1')), recorder.record(firing('k', 'd2'))]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await recorder.record(firing('k', 'd3'))).toMatchObject({ recorded: true, incidentId: 'inc' });
  });
});
