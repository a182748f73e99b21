/**
 * The workflows' interface: what starts an incident and what it returns, and the Query, Update and Signal
 * definitions (Temporal's "messages") an incident run and a dedup workflow accept: one query for the
 * whole state and one Update per human command. Updates carry the acting identity; their validators
 * refuse outsiders and repeats before anything is written to history, so a refused vote leaves no trace
 * but the caller's error. The definitions' names are wire names recorded in histories: never rename them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Plan, Severity, JsonValue } from '../src/domain/plan.js';
import type {
  Actor,
  CancelIncident,
  CastVote,
  CommandResult,
  CompleteTask,
  IncidentState,
  IncidentStatus,
  RecordAlert,
  RecordDecision,
  SetFact,
} from '../src/domain/state.js';

/** What starts an incident: the frozen plan (roster resolved) and validated parameters. */
export interface StartIncident {
  plan: Plan;
  params: Record<string, JsonValue>;
  severity?: Severity;
  triggeredBy: Actor;
  dedupKey?: string;
  /** Set when this run is a child runbook of another incident. */
  parent?: { incidentId: string; step: string };
}

/** What a finished incident returns (also the output of a child-runbook step). */
export interface IncidentResult {
  incidentId: string;
  status: IncidentStatus;
  facts: Record<string, JsonValue>;
  steps: Record<string, string>;
}

export const stateQuery = defineQuery<IncidentState>('state');
export const completeTaskUpdate = defineUpdate<CommandResult, [CompleteTask]>('completeTask');
export const setFactUpdate = defineUpdate<CommandResult, [SetFact]>('setFact');
export const recordDecisionUpdate = defineUpdate<CommandResult, [RecordDecision]>('recordDecision');
export const castVoteUpdate = defineUpdate<CommandResult, [CastVote]>('castVote');
export const cancelIncidentUpdate = defineUpdate<CommandResult, [CancelIncident]>('cancelIncident');
/** Records an alert on the incident; callers pass the delivery id as the Update id, so a redelivery is a no-op. */
export const recordAlertUpdate = defineUpdate<CommandResult, [RecordAlert]>('recordAlert');
/** One alert delivery in a batch: the alert and the delivery id that makes recording it idempotent. */
export interface AlertDelivery extends RecordAlert {
  deliveryId: string;
}

/** Several alert deliveries recorded at once (the webhook receivers' group commit). */
export interface RecordAlerts {
  alerts: AlertDelivery[];
}

/**
 * Records a batch of alerts. A Signal, not an Update: it is durable in the incident's history when the
 * call returns, without a round trip through the worker (about three times the throughput of an Update
 * on a 2-core machine), and queries see it at once (they are consistent with signals received). The
 * workflow skips delivery ids it has already recorded, so redelivery is a no-op on the timeline.
 */
export const recordAlertsSignal = defineSignal<[RecordAlerts]>('recordAlerts');

/** The open incident a dedup workflow holds, if any. */
export const openIncidentQuery = defineQuery<string | null>('openIncident');

/** A trigger with a dedup key, sent to the key's dedup workflow. */
export interface ClaimIncident {
  /** The id to give the incident if this trigger starts one. */
  incidentId: string;
  dedupKey: string;
  start: StartIncident;
}

export interface ClaimResult {
  incidentId: string;
  created: boolean;
}

export const claimIncidentUpdate = defineUpdate<ClaimResult, [ClaimIncident]>('claimIncident');
