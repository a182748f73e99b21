/**
 * The client side of incidents: start one from a prepared plan (deduplicated by key when given), read its
 * state, and send the human commands. Used by the API, the CLI's local verbs, tests and benchmarks.
 */
import { randomBytes, createHash } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { Severity } from '../domain/plan.js';
import type {
  RecordAlert,
  CancelIncident,
  CastVote,
  CommandResult,
  CompleteTask,
  IncidentState,
  RecordDecision,
  SetFact,
} from '../domain/state.js';
import {
  DEDUP_ATTRIBUTE,
  INCIDENT_ATTRIBUTE,
  kindAttribute,
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
} from '../domain/search-attributes.js';
import { FirebreakError, ErrorCode } from '../domain/errors.js';
import { INCIDENT_TASK_QUEUE, INCIDENT_WORKFLOW } from '../temporal/names.js';
import { listIncidents, type IncidentFilter, type IncidentSummary } from './list.js';
import { readIncidentReaders, type IncidentReaders } from './readers.js';
import {
  claimIncidentUpdate,
  type ClaimIncident,
  cancelIncidentUpdate,
  castVoteUpdate,
  openIncidentQuery,
  recordAlertUpdate,
  completeTaskUpdate,
  recordDecisionUpdate,
  setFactUpdate,
  stateQuery,
  type IncidentResult,
  type StartIncident,
} from '../../workflows/definitions.js';

export interface TriggerResult {
  incidentId: string;
  created: boolean;
}

/** A fresh, readable incident id: runbook, UTC date, random suffix. */
export function newIncidentId(runbookId: string, now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `${runbookId}-${day}-${randomBytes(4).toString('hex')}`;
}

/** The id of the workflow that holds a dedup key. */
export function dedupWorkflowId(dedupKey: string): string {
  return `firebreak-dedup-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 32)}`;
}

/** Starts and drives incidents on a Temporal client. */
export class IncidentClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue = INCIDENT_TASK_QUEUE,
  ) {}

  /** Starts an incident, or returns the open one holding the same dedup key. */
  async trigger(start: StartIncident, incidentId = newIncidentId(start.plan.runbookId)): Promise<TriggerResult> {
    if (start.dedupKey === undefined) {
      await this.client.workflow.start('incidentWorkflow', {
        workflowId: incidentId,
        taskQueue: this.taskQueue,
        args: [start],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: searchAttributes(start, start.severity ?? start.plan.severity),
        staticSummary: `${start.plan.title} (${start.plan.runbookId} v${start.plan.version})`,
      });
      return { incidentId, created: true };
    }
    // Only a new dedup workflow takes these; a running one keeps its own, and upserts the incident it starts.
    const operation = new WithStartWorkflowOperation('dedupWorkflow', {
      workflowId: dedupWorkflowId(start.dedupKey),
      taskQueue: this.taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: DEDUP_ATTRIBUTE, value: start.dedupKey },
        { key: INCIDENT_ATTRIBUTE, value: incidentId },
        { key: RUNBOOK_ATTRIBUTE, value: start.plan.runbookId },
      ],
      staticSummary: `Dedup of ${start.plan.runbookId} triggers: one open incident per key`,
      staticDetails: `Dedup key: ${start.dedupKey}\n\nThe incident it holds is its FirebreakIncident search attribute; later triggers with the key join that incident while it is open.`,
    });
    const claim: ClaimIncident = { incidentId, dedupKey: start.dedupKey, start };
    return this.client.workflow.executeUpdateWithStart(claimIncidentUpdate, {
      args: [claim],
      startWorkflowOperation: operation,
    });
  }

  /** Incidents matching a filter, newest first (Temporal visibility). */
  list(filter: IncidentFilter): Promise<IncidentSummary[]> {
    return listIncidents(this.client, filter);
  }

  /** Whether a workflow with this id exists and is an incident (not, say, a dedup workflow). */
  async isIncident(incidentId: string): Promise<boolean> {
    try {
      return (await this.handle(incidentId).describe()).type === INCIDENT_WORKFLOW;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** Whether the incident's workflow is running (it takes alerts); false once it closed or when there is none. */
  async isRunning(incidentId: string): Promise<boolean> {
    try {
      return (await this.handle(incidentId).describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** Who the incident was frozen with (its roles' members, who triggered it); undefined when it is no incident. */
  readers(incidentId: string): Promise<IncidentReaders | undefined> {
    return readIncidentReaders(this.client, incidentId);
  }

  /** The whole incident state. */
  async state(incidentId: string): Promise<IncidentState> {
    return this.handle(incidentId).query(stateQuery);
  }

  /** Waits for the incident to close and returns its result (throws when it aborted). */
  async result(incidentId: string): Promise<IncidentResult> {
    return this.handle(incidentId).result() as Promise<IncidentResult>;
  }

  completeTask(incidentId: string, command: CompleteTask): Promise<CommandResult> {
    return this.update(incidentId, completeTaskUpdate, command);
  }

  setFact(incidentId: string, command: SetFact): Promise<CommandResult> {
    return this.update(incidentId, setFactUpdate, command);
  }

  recordDecision(incidentId: string, command: RecordDecision): Promise<CommandResult> {
    return this.update(incidentId, recordDecisionUpdate, command);
  }

  vote(incidentId: string, command: CastVote): Promise<CommandResult> {
    return this.update(incidentId, castVoteUpdate, command);
  }

  cancel(incidentId: string, command: CancelIncident): Promise<CommandResult> {
    return this.update(incidentId, cancelIncidentUpdate, command);
  }

  /** Records an alert; `deliveryId` becomes the Update id, so a redelivered alert is recorded once. */
  async recordAlert(incidentId: string, alert: RecordAlert, deliveryId: string): Promise<CommandResult> {
    try {
      return await this.handle(incidentId).executeUpdate(recordAlertUpdate, { args: [alert], updateId: deliveryId });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw await this.notRunning(incidentId);
      throw error;
    }
  }

  /** The open incident holding a dedup key, or null when none is open. */
  async openIncidentFor(dedupKey: string): Promise<string | null> {
    try {
      return await this.client.workflow.getHandle(dedupWorkflowId(dedupKey)).query(openIncidentQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }

  handle(incidentId: string): WorkflowHandle {
    return this.client.workflow.getHandle(incidentId);
  }

  /** Why an incident cannot take a command: it does not exist, or it is closed. */
  private async notRunning(incidentId: string): Promise<FirebreakError> {
    try {
      const description = await this.handle(incidentId).describe();
      return new FirebreakError(
        ErrorCode.Conflict,
        `Incident ${incidentId} is closed (${description.status.name.toLowerCase()})`,
      );
    } catch {
      return new FirebreakError(ErrorCode.NotFound, `No incident ${incidentId}`);
    }
  }

  /** Runs an Update; a refusal by the workflow becomes a FirebreakError with the workflow's code. */
  private async update<C>(
    incidentId: string,
    definition: UpdateDefinition<CommandResult, [C]>,
    command: C,
  ): Promise<CommandResult> {
    try {
      return await this.handle(incidentId).executeUpdate(definition, { args: [command] });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw await this.notRunning(incidentId);
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        const code = (Object.values(ErrorCode) as string[]).includes(error.cause.type ?? '')
          ? (error.cause.type as ErrorCode)
          : ErrorCode.Conflict;
        throw new FirebreakError(code, error.cause.message);
      }
      throw error;
    }
  }
}

function searchAttributes(start: StartIncident, severity: Severity) {
  return [
    { key: RUNBOOK_ATTRIBUTE, value: start.plan.runbookId },
    { key: SEVERITY_ATTRIBUTE, value: severity },
    { key: STATUS_ATTRIBUTE, value: 'running' },
    kindAttribute(start.plan),
    ...(start.dedupKey === undefined ? [] : [{ key: DEDUP_ATTRIBUTE, value: start.dedupKey }]),
  ];
}
