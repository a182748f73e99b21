/**
 * Durable recording of alert deliveries with group commit. Deliveries are queued per dedup key; one
 * batch per key is in flight at a time, and everything that arrived meanwhile goes out as the next
 * batch, in one `recordAlerts` Signal. A firing batch first makes sure the incident is open (trigger
 * with the dedup key, which opens at most one); the open incident's id is remembered per key, so a storm
 * costs one Signal per batch. A remembered incident that has closed refuses the Signal, and the trigger
 * runs again. Every delivery resolves only after its batch is durably in the incident's history.
 *
 * What this process remembers only saves calls: the outcome of a delivery depends on Temporal alone (the
 * dedup workflow and whether the incident is still running), so it is the same after a restart.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { IncidentClient } from '../../incidents/client.js';
import { recordAlertsSignal, type AlertDelivery, type StartIncident } from '../../../workflows/definitions.js';

/** A firing alert: opens (or joins) the incident of its key, then is recorded on it. */
export interface FiringDelivery {
  kind: 'firing';
  dedupKey: string;
  start: StartIncident;
  alert: AlertDelivery;
}

/** A resolved alert: recorded on the open incident of its key, if there is one; it never opens one. */
export interface ResolvedDelivery {
  kind: 'resolved';
  dedupKey: string;
  alert: AlertDelivery;
}

/** One delivery to record. */
export type Delivery = FiringDelivery | ResolvedDelivery;

/** Where a delivery ended: on an incident's timeline, or nowhere (resolved, no incident open). */
export type RecordOutcome = { recorded: true; incidentId: string; created: boolean } | { recorded: false };

/** Tuning of the recorder. */
export interface RecorderOptions {
  /** Most deliveries per Signal (a Signal's payload must stay well under Temporal's 2 MB). */
  maxBatch?: number;
  /** Keys whose open incident is remembered; the least recently used are forgotten first. */
  maxKeys?: number;
  /**
   * The wait before each attempt. The second attempt runs at once (the incident closed: trigger again);
   * later ones wait for an incident that another process claimed but whose run has not started yet.
   */
  retryDelaysMs?: readonly number[];
  /** Runs one batch's Temporal calls under a deadline (e.g. `client.withDeadline`); none by default. */
  deadline?: <T>(commit: () => Promise<T>) => Promise<T>;
}

interface Job {
  delivery: Delivery;
  resolve(outcome: RecordOutcome): void;
  reject(error: unknown): void;
}

interface Lane {
  key: string;
  pending: Job[];
  busy: boolean;
  /** The incident last seen open for this key. */
  incidentId?: string;
  /** Delivery ids recently recorded on that incident, so a redelivery costs no history event. */
  recent: Set<string>;
}

/** How many recorded delivery ids a lane remembers. */
const RECENT_DELIVERIES = 1_000;

const DEFAULTS = {
  maxBatch: 50,
  maxKeys: 10_000,
  retryDelaysMs: [0, 0, 100, 400],
  deadline: <T>(commit: () => Promise<T>) => commit(),
} as const;

/** Records alert deliveries on incidents, batching concurrent deliveries of one dedup key. */
export class AlertRecorder {
  private readonly lanes = new Map<string, Lane>();
  private readonly options: Required<RecorderOptions>;

  constructor(
    private readonly incidents: IncidentClient,
    options: RecorderOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Records one delivery; resolves once it is durably on the incident's timeline (or known to have none). */
  record(delivery: Delivery): Promise<RecordOutcome> {
    return new Promise((resolve, reject) => {
      const lane = this.lane(delivery.dedupKey);
      lane.pending.push({ delivery, resolve, reject });
      if (lane.busy) return;
      lane.busy = true;
      // Deliveries parsed in the same turn of the event loop join the first batch.
      setImmediate(() => void this.drain(lane));
    });
  }

  private lane(key: string): Lane {
    const existing = this.lanes.get(key);
    if (existing) {
      // Re-inserted so that the map's order is least recently used first.
      this.lanes.delete(key);
      this.lanes.set(key, existing);
      return existing;
    }
    const lane: Lane = { key, pending: [], busy: false, recent: new Set() };
    this.lanes.set(key, lane);
    for (const [oldKey, old] of this.lanes) {
      if (this.lanes.size <= this.options.maxKeys) break;
      if (!old.busy) this.lanes.delete(oldKey);
    }
    return lane;
  }

  private async drain(lane: Lane): Promise<void> {
    while (lane.pending.length > 0) {
      const batch = lane.pending.splice(0, this.options.maxBatch);
      try {
        const outcomes = await this.options.deadline(() => this.commit(lane, batch));
        batch.forEach((job, index) => job.resolve(outcomes[index] ?? { recorded: false }));
      } catch (error) {
        for (const job of batch) job.reject(error);
      }
    }
    lane.busy = false;
  }

  /** Opens or finds the incident, records the batch; retries when the incident turns out closed or unstarted. */
  private async commit(lane: Lane, batch: readonly Job[]): Promise<RecordOutcome[]> {
    const firing = batch.find((job) => job.delivery.kind === 'firing')?.delivery as FiringDelivery | undefined;
    let refused: string | undefined;
    for (const delay of this.options.retryDelaysMs) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      let incidentId = lane.incidentId;
      let created = false;
      if (incidentId === undefined) {
        if (firing) ({ incidentId, created } = await this.incidents.trigger(firing.start));
        else incidentId = (await this.incidents.openIncidentFor(lane.key)) ?? undefined;
      }
      if (incidentId === undefined) return batch.map(() => ({ recorded: false }));
      if (await this.send(incidentId, lane, batch)) {
        remember(lane, incidentId, batch);
        return outcomes(batch, firing, incidentId, created);
      }
      // Closed since it was remembered (the next trigger opens a new one), or claimed but not started yet.
      lane.incidentId = undefined;
      lane.recent.clear();
      refused = incidentId;
    }
    throw new FirebreakError(ErrorCode.Conflict, `incident ${refused ?? '?'} kept refusing alerts; try again`);
  }

  /** Sends one batch; false when the incident is not there to take it (closed, or not started yet). */
  private async send(incidentId: string, lane: Lane, batch: readonly Job[]): Promise<boolean> {
    const known = lane.incidentId === incidentId ? lane.recent : new Set<string>();
    const alerts = batch.map((job) => job.delivery.alert).filter((alert) => !known.has(alert.deliveryId));
    // Everything was recorded on this incident already (a redelivery): nothing to send, if it is still open.
    // Whether it is open is asked of Temporal (a read, no history event), never assumed from memory: a
    // repeat after the incident closed opens the next one, as it would in a freshly started process.
    if (alerts.length === 0) return this.incidents.isRunning(incidentId);
    try {
      // Durable in the incident's history once the call returns; the workflow skips recorded delivery ids.
      await this.incidents.handle(incidentId).signal(recordAlertsSignal, { alerts });
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }
}

/** Remembers the open incident of a lane and the delivery ids just recorded on it. */
function remember(lane: Lane, incidentId: string, batch: readonly Job[]): void {
  if (lane.incidentId !== incidentId) lane.recent.clear();
  lane.incidentId = incidentId;
  for (const job of batch) {
    lane.recent.delete(job.delivery.alert.deliveryId);
    lane.recent.add(job.delivery.alert.deliveryId);
  }
  for (const id of lane.recent) {
    if (lane.recent.size <= RECENT_DELIVERIES) break;
    lane.recent.delete(id);
  }
}

/** Every job recorded on the incident; only the delivery whose trigger opened it reports `created`. */
function outcomes(
  batch: readonly Job[],
  firing: FiringDelivery | undefined,
  incidentId: string,
  created: boolean,
): RecordOutcome[] {
  return batch.map((job) => ({ recorded: true, incidentId, created: created && job.delivery === firing }));
}
