/**
 * Reading the messages of `notify` steps out of incident states: one step's message (or why there is
 * none), and the messages awaiting approval across the running incidents, read a bounded number at a time.
 */
import type { IncidentState, MessageRecord, PendingAction, VoteRecord } from '../domain/state.js';
import { carriesMessage } from '../domain/step-kinds.js';
import type { IncidentFilter, IncidentSummary } from './list.js';

/** How many running incidents `pendingMessages` reads at most. */
export const PENDING_SCAN_LIMIT = 200;

/** How many incident states are queried at once. */
const QUERY_CONCURRENCY = 16;

/** A message awaiting approval, with the incident it belongs to. */
export interface PendingMessage {
  incidentId: string;
  /** The incident's title (its runbook's title). */
  title: string;
  severity: string;
  step: string;
  message: string;
  sequence: number;
  channels: string[];
  /** The fingerprint an approving vote must name. */
  fingerprint: string;
  approvers: string[];
  quorum?: number;
  /** Different people who must approve (`distinct`), and the roster ids of those counted so far. */
  distinct?: number;
  distinctApprovers?: string[];
  votes: VoteRecord[];
  renderedAt?: string;
  /** When the approval times out, when it does. */
  dueAt?: string;
}

/** The messages awaiting approval, and what could not be read. */
export interface PendingMessages {
  messages: PendingMessage[];
  /** More running incidents may exist than were read. */
  truncated: boolean;
  /** Incidents whose state could not be queried (their worker may be down); their messages are missing. */
  unreadable: string[];
}

/**
 * What `pendingMessages` reads: the incident listing, and one incident's state. Callers should bound
 * `state` with a deadline: a query to a run whose worker is down waits for a worker (30 s by default).
 */
export interface IncidentReader {
  list(filter: IncidentFilter): Promise<IncidentSummary[]>;
  state(incidentId: string): Promise<IncidentState>;
}

/** The messages of an incident, in the order the state lists them. */
export function messagesOf(state: IncidentState): MessageRecord[] {
  return Object.values(state.messages ?? {});
}

/** A step's message, or a sentence saying why the step has none (no such step, not a notify step, not yet). */
export function findMessage(
  state: IncidentState,
  stepId: string,
): { ok: true; message: MessageRecord } | { ok: false; reason: string } {
  const message = state.messages?.[stepId];
  if (message !== undefined) return { ok: true, message };
  const step = state.steps.find((candidate) => candidate.id === stepId);
  if (step === undefined) return { ok: false, reason: `no step ${stepId} in incident ${state.incidentId}` };
  if (!carriesMessage(step.kind)) {
    return { ok: false, reason: `step ${stepId} is a ${step.kind} step, not a notify step: it has no message` };
  }
  return { ok: false, reason: `step ${stepId} has no message yet (the step is ${step.status})` };
}

/** The messages of one incident that await approval, with their incident. */
export function pendingMessagesOf(state: IncidentState): PendingMessage[] {
  const pending: PendingMessage[] = [];
  for (const record of messagesOf(state)) {
    if (record.status !== 'pending_approval' || record.fingerprint === undefined) continue;
    const action = state.pending.find((candidate: PendingAction) => candidate.step === record.step);
    pending.push({
      incidentId: state.incidentId,
      title: state.runbook.title,
      severity: state.severity,
      step: record.step,
      message: record.message,
      sequence: record.sequence,
      channels: record.channels.map((channel) => channel.channel),
      fingerprint: record.fingerprint,
      approvers: record.approvers,
      ...(record.quorum === undefined ? {} : { quorum: record.quorum }),
      ...(record.distinct === undefined
        ? {}
        : { distinct: record.distinct, distinctApprovers: record.distinctApprovers ?? [] }),
      votes: record.votes,
      ...(record.renderedAt === undefined ? {} : { renderedAt: record.renderedAt }),
      ...(action?.dueAt === undefined ? {} : { dueAt: action.dueAt }),
    });
  }
  return pending;
}

/**
 * The messages awaiting approval across the running incidents (newest incident first), reading at most
 * `PENDING_SCAN_LIMIT` incidents. An incident whose state cannot be queried is named, not fatal.
 */
export async function pendingMessages(incidents: IncidentReader): Promise<PendingMessages> {
  const running = await incidents.list({ status: 'running', limit: PENDING_SCAN_LIMIT });
  const unreadable: string[] = [];
  const states = await mapLimit(running, QUERY_CONCURRENCY, async (summary) => {
    try {
      return await incidents.state(summary.incidentId);
    } catch {
      unreadable.push(summary.incidentId);
      return undefined;
    }
  });
  const messages = states.flatMap((state) => (state === undefined ? [] : pendingMessagesOf(state)));
  return { messages, truncated: running.length >= PENDING_SCAN_LIMIT, unreadable: unreadable.sort() };
}

/** Maps over items with at most `limit` calls in flight; results keep the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
