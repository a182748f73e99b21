/**
 * The client side of a post-mortem's review workflow: whoever changes a post-mortem (its status, its due
 * date, a draft made by hand) tells the workflow `postmortem:<incident>` with Signal-With-Start, so the
 * workflow reads it again at once, and a post-mortem without a running workflow (drafted by hand, or whose
 * workflow ended at its publication) gets one, which follows it without drafting.
 */
import type { Client } from '@temporalio/client';
import { postmortemWorkflowId } from '../domain/postmortem.js';
import {
  POSTMORTEM_WORKFLOW_TYPE,
  postmortemChangedSignal,
  type StartPostmortem,
} from '../../workflows/postmortem-definitions.js';

/** Which post-mortem changed, and what happened to it (for the workflow's log). */
export interface PostmortemChange {
  incidentId: string;
  postmortemId: string;
  title?: string;
  reason: string;
}

/** Signals the post-mortem's workflow, starting it on `taskQueue` when none runs. */
export async function signalPostmortemChanged(
  client: Client,
  taskQueue: string,
  change: PostmortemChange,
): Promise<void> {
  const start: StartPostmortem = { incidentId: change.incidentId, postmortemId: change.postmortemId };
  await client.workflow.signalWithStart(POSTMORTEM_WORKFLOW_TYPE, {
    workflowId: postmortemWorkflowId(change.incidentId),
    taskQueue,
    args: [start],
    signal: postmortemChangedSignal,
    signalArgs: [{ reason: change.reason }],
    staticSummary: `Post-mortem of ${change.incidentId}${change.title === undefined ? '' : ` (${change.title})`}`,
  });
}
