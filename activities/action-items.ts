/**
 * The activities of the action item watcher (`workflows/action-item.ts`): read an item, wait for its
 * verification incident to close and judge it, and record the result with a compare-and-set that re-reads
 * and re-decides on a CONFLICT. Thin over the worker's lazy post-mortem store and its Temporal client;
 * results are small views of the item, since they go into workflow history.
 */
import { Context } from '@temporalio/activity';
import type { PostmortemsConfig } from '../src/config/index.js';
import { DEFAULT_DUE_TIMINGS, type ActionItemPolicy } from '../src/domain/action-items.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import { SYSTEM_ACTOR } from '../src/domain/state.js';
import { readIncidentStart } from '../src/incidents/readers.js';
import type { ActionItem, LazyPostmortemStore, PostmortemStore } from '../src/postmortems/store/index.js';
import {
  pagesOwner,
  settle,
  unsettledRuns,
  verificationOutcome,
  type VerificationOutcome,
} from '../src/postmortems/verification.js';
import { stateQuery } from '../workflows/definitions.js';
import { toActivityFailure } from './failures.js';

/** What the watcher's activities need from the worker: the `postmortems` config and the store. */
export interface ActionItemActivityDeps {
  postmortems?: {
    config: Pick<PostmortemsConfig, 'actionItems' | 'timeZone'>;
    store?: LazyPostmortemStore;
  };
  /** How often the wait for a verification incident looks whether it has closed (and heartbeats). Default 3 s. */
  verificationPollMs?: number;
}

/** An action item as the watcher sees it, with its post-mortem and the runs still to settle. */
export interface WatchedItem {
  id: string;
  title: string;
  owner: string;
  status: ActionItem['status'];
  priority: string;
  dueAt?: string;
  trackerUrl?: string;
  statusReason?: string;
  /** The runbook that verifies the fix, if any. */
  verifyRunbook?: string;
  version: number;
  postmortem?: { id: string; title: string; incidentId: string };
  /** Incidents of `pending` runs with no `passed` or `failed` run yet. */
  unsettled: string[];
}

/** Which item to read. */
export interface ReadActionItemInput {
  itemId: string;
}

/** The item, or nothing when there is no such item. */
export interface ReadActionItemResult {
  item?: WatchedItem;
}

/** Which verification incident to wait for. */
export interface AwaitVerificationInput {
  itemId: string;
  incidentId: string;
}

/** Which run to settle, and how it ended. */
export interface SettleVerificationInput {
  itemId: string;
  incidentId: string;
  outcome: VerificationOutcome;
}

/** What settling did: `already` when the run had been recorded (a retry); whether to page the owner. */
export interface SettleVerificationResult {
  action: 'verified' | 'reopened' | 'recorded' | 'already' | 'missing';
  result: 'passed' | 'failed';
  page: boolean;
  item?: WatchedItem;
}

/** How many times a settle re-reads and re-decides after losing a compare-and-set, within one attempt. */
const SETTLE_ROUNDS = 20;

/** Creates the watcher's activities over the worker's config and store. */
export function createActionItemActivities(deps: ActionItemActivityDeps) {
  const pollMs = deps.verificationPollMs ?? 3_000;
  const storeOf = async (): Promise<PostmortemStore> => {
    const lazy = deps.postmortems?.store;
    if (lazy === undefined) throw new FirebreakError(ErrorCode.InvalidInput, 'this worker has no post-mortem store');
    return lazy.get();
  };
  return {
    /**
     * `postmortems.actionItems` as this worker's config says (defaults: remind 2d before, overdue every 7d),
     * and `postmortems.timeZone`, which notices show times in.
     */
    actionItemPolicy(): Promise<ActionItemPolicy> {
      const config = deps.postmortems?.config;
      return Promise.resolve({
        remindBeforeMs: config?.actionItems?.remindBefore ?? DEFAULT_DUE_TIMINGS.remindBeforeMs,
        overdueEveryMs: config?.actionItems?.overdueEvery ?? DEFAULT_DUE_TIMINGS.overdueEveryMs,
        timeZone: config?.timeZone ?? 'UTC',
      });
    },

    /** Reads an item and its post-mortem. */
    async readActionItem(input: ReadActionItemInput): Promise<ReadActionItemResult> {
      try {
        const store = await storeOf();
        const item = await store.getActionItem(input.itemId);
        return item === undefined ? {} : { item: await watched(store, item) };
      } catch (error) {
        throw toActivityFailure(error);
      }
    },

    /**
     * Waits for a verification incident to close and judges it (`verificationOutcome`). It looks every few
     * seconds and heartbeats each time, so a worker that dies is noticed and the wait is retried on another,
     * and a cancel (or the worker shutting down) stops it between two looks.
     */
    async awaitVerificationRun(input: AwaitVerificationInput): Promise<VerificationOutcome> {
      const context = Context.current();
      const { client } = context;
      try {
        const start = await readIncidentStart(client, input.incidentId);
        if (start === undefined) {
          return { result: 'failed', reason: `no incident ${input.incidentId} (its history may have expired)` };
        }
        const handle = client.workflow.getHandle(input.incidentId);
        let status = (await handle.describe()).status.name;
        while (status === 'RUNNING') {
          context.heartbeat();
          await context.sleep(pollMs);
          status = (await handle.describe()).status.name;
        }
        if (status === 'TERMINATED' || status === 'TIMED_OUT' || status === 'CANCELLED') {
          const how = status.toLowerCase().replace('_', ' ');
          return { result: 'failed', reason: `the incident's workflow was ${how} in Temporal` };
        }
        // A failed (aborted) incident closes as FAILED: its state says why.
        return verificationOutcome(await handle.query(stateQuery));
      } catch (error) {
        throw toActivityFailure(error);
      }
    },

    /**
     * Records how a run ended on the item as it is now: compare-and-set on its version, and on a CONFLICT
     * (someone changed it meanwhile) read again and decide again, so the result is never lost.
     */
    async settleVerificationRun(input: SettleVerificationInput): Promise<SettleVerificationResult> {
      try {
        const store = await storeOf();
        for (let round = 0; round < SETTLE_ROUNDS; round++) {
          const item = await store.getActionItem(input.itemId);
          if (item === undefined) return { action: 'missing', result: input.outcome.result, page: false };
          const at = new Date().toISOString();
          const decision = settle(item, input.incidentId, input.outcome, at);
          if (decision.action === 'already') {
            const { result } = decision;
            return { action: 'already', result, page: pagesOwner(item, result), item: await watched(store, item) };
          }
          try {
            const { patch, run } = decision;
            const update = { baseVersion: item.version, actor: SYSTEM_ACTOR, at, patch, run };
            const updated = await store.updateActionItem(item.id, update);
            const { action, result } = decision;
            return { action, result, page: pagesOwner(updated, result), item: await watched(store, updated) };
          } catch (error) {
            if (!(error instanceof FirebreakError && error.code === ErrorCode.Conflict)) throw error;
          }
        }
        throw new FirebreakError(
          ErrorCode.Transient,
          `action item ${input.itemId} changed ${SETTLE_ROUNDS} times while its run ${input.incidentId} was being recorded: trying again`,
        );
      } catch (error) {
        throw toActivityFailure(error);
      }
    },
  };
}

async function watched(store: PostmortemStore, item: ActionItem): Promise<WatchedItem> {
  const postmortem = await store.getPostmortem(item.postmortemId);
  return {
    id: item.id,
    title: item.title,
    owner: item.owner,
    status: item.status,
    priority: item.priority,
    ...(item.dueAt === undefined ? {} : { dueAt: item.dueAt }),
    ...(item.trackerUrl === undefined ? {} : { trackerUrl: item.trackerUrl }),
    ...(item.statusReason === undefined ? {} : { statusReason: item.statusReason }),
    ...(item.verify === undefined ? {} : { verifyRunbook: item.verify.runbook }),
    version: item.version,
    ...(postmortem === undefined
      ? {}
      : { postmortem: { id: postmortem.id, title: postmortem.title, incidentId: postmortem.incidentId } }),
    unsettled: unsettledRuns(item),
  };
}
