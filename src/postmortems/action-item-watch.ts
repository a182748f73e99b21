/**
 * The client side of the action item watcher: tells `action-item:<itemId>` that its item changed, starting
 * the watcher when it is not running (signal-with-start). An item created before the watcher existed, or
 * whose watcher ended (done, won't-do) and was reopened, gets one on its next change.
 */
import type { Client } from '@temporalio/client';
import { actionItemWorkflowId } from '../domain/action-items.js';
import { ACTION_ITEM_WORKFLOW, itemChangedSignal } from '../../workflows/action-item-definitions.js';
import type { WatchActionItem } from '../../workflows/action-item-definitions.js';

/** Where watchers run: the Temporal client and the worker's task queue. */
export interface WatcherTarget {
  client: Client;
  taskQueue: string;
}

/** Signals the item's watcher that the item is now at `version`, starting the watcher if needed. */
export async function signalItemChanged(
  target: WatcherTarget,
  item: { id: string; version: number },
  options: Pick<WatchActionItem, 'roundsPerRun'> = {},
): Promise<void> {
  const start: WatchActionItem = { itemId: item.id, ...options };
  await target.client.workflow.signalWithStart(ACTION_ITEM_WORKFLOW, {
    workflowId: actionItemWorkflowId(item.id),
    taskQueue: target.taskQueue,
    args: [start],
    signal: itemChangedSignal,
    signalArgs: [{ version: item.version }],
    staticSummary: `Watch action item ${item.id}: its verification runs and due-date reminders`,
  });
}
