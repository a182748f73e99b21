/**
 * Who asked Temporal to cancel an incident. A workflow is told that it was cancelled, not by whom, so the
 * incident asks this activity, which reads the cancel request (identity and reason) from the end of the
 * run's own history through the worker's client.
 */
import { Context } from '@temporalio/activity';
import type { temporal } from '@temporalio/proto';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';

/** Which run to look in. */
export interface CancelRequestInput {
  incidentId: string;
  runId: string;
}

/** The cancel request as Temporal recorded it. */
export interface CancelRequestResult {
  /** The client's identity (`temporal workflow cancel` sends `<pid>@<host>`, the Web UI its user), else who sent it. */
  identity: string;
  reason?: string;
}

type CancelRequested = temporal.api.history.v1.IWorkflowExecutionCancelRequestedEventAttributes;

/** Finds the newest cancel request in the run's history, reading it from the end. */
export async function findCancelRequest(input: CancelRequestInput): Promise<CancelRequestResult> {
  const activity = Context.current();
  const namespace = activity.info.namespace;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await activity.client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace,
      execution: { workflowId: input.incidentId, runId: input.runId },
      maximumPageSize: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const event of page.history?.events ?? []) {
      const request = event.workflowExecutionCancelRequestedEventAttributes;
      if (request) return describeRequest(request);
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  throw new FirebreakError(ErrorCode.NotFound, `no cancel request in the history of ${input.incidentId}`);
}

function describeRequest(request: CancelRequested): CancelRequestResult {
  const parent = request.externalWorkflowExecution?.workflowId;
  const identity = request.identity || (parent ? `workflow:${parent}` : 'temporal');
  return { identity, ...(request.cause ? { reason: request.cause } : {}) };
}
