/**
 * The action item watcher's interface: what starts it, what it carries across continue-as-new, and the
 * signal the API sends when an item changes. Wire names recorded in histories: never rename them.
 */
import { defineSignal } from '@temporalio/workflow';
import type { ActionItemPolicy, DueNoticesSent } from '../src/domain/action-items.js';

/** What starts (or continues) the watcher of one item. */
export interface WatchActionItem {
  itemId: string;
  /** The due-date notices already sent, carried across continue-as-new. */
  dueSent?: DueNoticesSent;
  /** The timings and time zone read from the worker's config by the first run, carried across continue-as-new. */
  policy?: ActionItemPolicy;
  /** Loop rounds before the run continues as new (default 500; tests lower it). */
  roundsPerRun?: number;
}

/** How the watcher ended. */
export interface ActionItemWatchResult {
  itemId: string;
  /** The item's status when the watcher stopped (`missing`: no such item). */
  status: string;
}

/** What an item change says; the watcher re-reads the item from the store, whatever the signal carries. */
export interface ItemChanged {
  /** The item's version after the change, for the history's reader. */
  version?: number;
}

/** Sent by the API after every change of an item (add, update, done, won't-do), with signal-with-start. */
export const itemChangedSignal = defineSignal<[ItemChanged]>('itemChanged');

/** The workflow type's name, as clients start it. */
export const ACTION_ITEM_WORKFLOW = 'actionItemWorkflow';
