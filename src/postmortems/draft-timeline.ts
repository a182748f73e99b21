/**
 * Which timeline events a post-mortem keeps: one table, by event type. The incident's timeline records
 * everything (bookkeeping included); the post-mortem's timeline keeps what a review needs, each event with
 * its actor and time, and summarises the noise (alert deliveries beyond the first).
 */
import type { StepPlan } from '../domain/plan.js';
import { SYSTEM_ACTOR, type TimelineEvent } from '../domain/state.js';
import { childrenOf, gateKindOf, carriesMessage } from '../domain/step-kinds.js';
import type { PostmortemEvent } from './types.js';

/**
 * What to do with an event type:
 * - `keep`: always in the post-mortem's timeline;
 * - `action-result`: kept for steps that act by themselves (no gate, no message, no branches: actions,
 *   child runbooks, waits); a human step's outcome is already told by its gate's own events;
 * - `first`: the first one is kept and the rest are counted into one summary line (alert deliveries).
 * `human` marks the events a person's action records: the first one ends "time to first human action".
 * A type not in the table is left out (internal bookkeeping such as `step.started`, `task.assigned`,
 * `message.rendered`, `message.delivered`, `compensation.registered`).
 */
export const TIMELINE_TABLE: Readonly<Record<string, { rule: 'keep' | 'action-result' | 'first'; human?: true }>> = {
  'incident.started': { rule: 'keep' },
  'alert.firing': { rule: 'first' },
  'alert.resolved': { rule: 'first' },
  'decision.recorded': { rule: 'keep', human: true },
  'task.completed': { rule: 'keep', human: true },
  'fact.set': { rule: 'keep', human: true },
  note: { rule: 'keep' },
  'approval.requested': { rule: 'keep' },
  'approval.approved': { rule: 'keep', human: true },
  'approval.rejected': { rule: 'keep', human: true },
  // What workflows/kinds/approval.ts recorded for a rejection before 2026-12-07 (`approval.${vote}d`).
  'approval.rejectd': { rule: 'keep', human: true },
  'approval.granted': { rule: 'keep' },
  'approval.timed_out': { rule: 'keep' },
  'approval.escalation_unavailable': { rule: 'keep' },
  'message.approval_requested': { rule: 'keep' },
  'message.voted': { rule: 'keep', human: true },
  'message.votes_voided': { rule: 'keep' },
  'message.approved': { rule: 'keep' },
  'message.rejected': { rule: 'keep' },
  'message.blocked': { rule: 'keep' },
  'message.sent': { rule: 'keep' },
  'message.facts_changed_after_approval': { rule: 'keep' },
  'message.failed': { rule: 'keep' },
  'message.repeat_failed': { rule: 'keep' },
  'message.timed_out': { rule: 'keep' },
  'deadline.started': { rule: 'keep' },
  reminder: { rule: 'keep' },
  'deadline.met': { rule: 'keep' },
  'deadline.overdue': { rule: 'keep' },
  overdue: { rule: 'keep' },
  escalated: { rule: 'keep' },
  'step.succeeded': { rule: 'action-result' },
  'step.failed': { rule: 'keep' },
  'runbook.started': { rule: 'keep' },
  'compensation.succeeded': { rule: 'keep' },
  'compensation.failed': { rule: 'keep' },
  'background.failed': { rule: 'keep' },
  'incident.cancel_requested': { rule: 'keep', human: true },
  'incident.cancelled': { rule: 'keep' },
  'incident.aborting': { rule: 'keep' },
  'incident.aborted': { rule: 'keep' },
  'incident.completed': { rule: 'keep' },
};

/** The post-mortem's timeline and the first thing a person did, from one pass over the incident's timeline. */
export interface DraftedTimeline {
  events: PostmortemEvent[];
  /** ISO instant of the first event a person's action recorded. */
  firstHumanActionAt?: string;
}

/**
 * Filters `timeline` through the table in one pass (linear in its length). `steps` finds a step's kind;
 * `redact` scrubs values that must never appear (secret param references) from the event text.
 */
export function draftTimeline(
  timeline: readonly TimelineEvent[],
  steps: ReadonlyMap<string, StepPlan>,
  redact: (text: string) => string,
): DraftedTimeline {
  const events: PostmortemEvent[] = [];
  const summarised = new Map<string, { count: number; lastAt: string }>();
  let firstHumanActionAt: string | undefined;
  for (const event of timeline) {
    const entry = Object.hasOwn(TIMELINE_TABLE, event.type) ? TIMELINE_TABLE[event.type] : undefined;
    if (entry === undefined) continue;
    if (entry.human === true && event.actor !== SYSTEM_ACTOR && firstHumanActionAt === undefined) {
      firstHumanActionAt = event.at;
    }
    if (entry.rule === 'action-result' && !actsByItself(event.step, steps)) continue;
    if (entry.rule === 'first') {
      const seen = summarised.get(event.type);
      if (seen !== undefined) {
        seen.count += 1;
        seen.lastAt = event.at;
        continue;
      }
      summarised.set(event.type, { count: 1, lastAt: event.at });
    }
    events.push(toPostmortemEvent(event, redact));
  }
  for (const [type, seen] of summarised) {
    if (seen.count < 2) continue;
    events.push({
      at: seen.lastAt,
      type,
      actor: SYSTEM_ACTOR,
      text: `${seen.count - 1} more alert deliveries (${type.slice(type.indexOf('.') + 1)}) after the first: ${seen.count} in all`,
    });
  }
  // Summaries go at the time of the last delivery; a stable sort keeps the incident's order otherwise.
  if (summarised.size > 0) events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return firstHumanActionAt === undefined ? { events } : { events, firstHumanActionAt };
}

function toPostmortemEvent(event: TimelineEvent, redact: (text: string) => string): PostmortemEvent {
  const out: PostmortemEvent = { at: event.at, type: event.type, actor: event.actor, text: redact(event.message) };
  if (event.step !== undefined) out.step = event.step;
  return out;
}

/** Whether a step acts by itself (not a human gate, not a message, not a group of branches). */
function actsByItself(stepId: string | undefined, steps: ReadonlyMap<string, StepPlan>): boolean {
  const step = stepId === undefined ? undefined : steps.get(stepId);
  if (step === undefined) return false;
  return gateKindOf(step.kind) === undefined && !carriesMessage(step.kind) && childrenOf(step).length === 0;
}
