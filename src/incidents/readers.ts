/**
 * Who an incident was frozen with: the members of its plan's roles and the user who triggered it, read
 * from the run's first history event (its start input). That works for every incident, however it was
 * started (API, webhook, dedup holder, schedule), running or closed, and needs no worker. The answer
 * never changes for a run, so callers may cache it. `readIncidentStart` reads the whole start input.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { INCIDENT_WORKFLOW } from '../temporal/names.js';
import type { StartIncident } from '../../workflows/definitions.js';

/** The people an incident's own access derives from. */
export interface IncidentReaders {
  /** Members of every role of the frozen plan: user ids and e-mail addresses, as the plan lists them. */
  members: readonly string[];
  /** The id of the user who triggered the run; null when an alert (a webhook) triggered it. */
  triggeredBy: string | null;
}

const GRPC_NOT_FOUND = 5;

/** The readers of an incident, or undefined when no incident has this id (another workflow type included). */
export async function readIncidentReaders(client: Client, incidentId: string): Promise<IncidentReaders | undefined> {
  const start = await readIncidentStart(client, incidentId);
  return start === undefined ? undefined : readersOf(start);
}

/**
 * What an incident was started with (its frozen plan, params, severity, who triggered it), from its first
 * history event, or undefined when no incident has this id. The plan is the one the run ran, whatever the
 * runbook file says now.
 */
export async function readIncidentStart(client: Client, incidentId: string): Promise<StartIncident | undefined> {
  let response;
  try {
    response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: incidentId },
      maximumPageSize: 1,
    });
  } catch (error) {
    // gRPC's status enum is not a dependency of ours: its NOT_FOUND is compared as the number it is.
    if (isGrpcServiceError(error) && (error.code as number) === GRPC_NOT_FOUND) return undefined;
    throw error;
  }
  const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (started?.workflowType?.name !== INCIDENT_WORKFLOW) return undefined;
  const [start] = (await decodeArrayFromPayloads(client.options.loadedDataConverter, started.input?.payloads)) as [
    StartIncident | undefined,
  ];
  return start;
}

/** The readers a start input names. */
export function readersOf(start: Pick<StartIncident, 'plan' | 'triggeredBy'>): IncidentReaders {
  const members = new Set(Object.values(start.plan.roles).flatMap((role) => role.members));
  // An alert's actor (`webhook:generic`) is not a person; no user may read as it.
  const triggeredBy = start.triggeredBy.source === 'webhook' ? null : start.triggeredBy.id;
  return { members: [...members], triggeredBy };
}
