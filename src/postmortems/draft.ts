/**
 * Drafting a post-mortem from a closed incident: the facts half (header, impact, messages sent, the
 * timeline of what matters, key durations, compensations), made by a pure function of the incident's state
 * and the plan it ran. Deterministic: no clock (the caller passes `now`), no I/O, so the same incident
 * always drafts the same document.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { own } from '../domain/own.js';
import type { JsonValue, Plan, StepPlan } from '../domain/plan.js';
import type { IncidentState } from '../domain/state.js';
import { forEachStep } from '../domain/step-kinds.js';
import { draftTimeline } from './draft-timeline.js';
import type {
  IncidentOutcome,
  NewPostmortem,
  PostmortemDeadline,
  PostmortemFact,
  PostmortemFacts,
  PostmortemMessage,
  PostmortemPeople,
} from './types.js';

/** What a secret param shows in a post-mortem instead of its value (its name is the key). */
export const SECRET_PARAM_SHOWN = '[secret]';

/** What drafting needs beyond the incident: where times are shown, who runs the review, and when. */
export interface DraftOptions {
  /** IANA time zone the renderers show times in. */
  timeZone: string;
  /** The step whose end marks containment (the `postmortem` step's `containedBy`). */
  containedBy?: string;
  people: PostmortemPeople;
  /** How long after `now` the review is due, in milliseconds. */
  reviewDueMs?: number;
  /** ISO 8601 instant the draft is made (the caller's clock). */
  now: string;
  /** Roster id of whoever drafts it, or `system`. */
  createdBy: string;
  tags?: string[];
}

/**
 * Drafts the post-mortem of a closed incident. Throws a `FirebreakError`: CONFLICT for an incident still
 * running, INVALID_INPUT for a plan that is not the one the incident ran or bad options (each naming what).
 */
export function draftPostmortem(state: IncidentState, plan: Plan, options: DraftOptions): NewPostmortem {
  const { outcome, endedAt } = checkInput(state, plan, options);
  const reviewDueAt =
    options.reviewDueMs === undefined
      ? undefined
      : new Date(Date.parse(options.now) + options.reviewDueMs).toISOString();
  return {
    incidentId: state.incidentId,
    title: state.runbook.title,
    runbookId: state.runbook.id,
    severity: state.severity,
    startedAt: state.startedAt,
    endedAt,
    outcome,
    facts: draftFacts(state, plan, options, { outcome, endedAt }),
    people: {
      facilitators: [...options.people.facilitators],
      reviewers: [...options.people.reviewers],
      audience: [...options.people.audience],
    },
    ...(reviewDueAt === undefined ? {} : { reviewDueAt }),
    tags: [...new Set([...plan.tags, ...(options.tags ?? [])])],
    createdBy: options.createdBy,
    createdAt: new Date(Date.parse(options.now)).toISOString(),
  };
}

function draftFacts(
  state: IncidentState,
  plan: Plan,
  options: DraftOptions,
  { outcome, endedAt }: { outcome: IncidentOutcome; endedAt: string },
): PostmortemFacts {
  const redact = redactor(secretValues(state, plan));
  const timeline = draftTimeline(state.timeline, stepIndex(plan), redact);
  const started = Date.parse(state.startedAt);
  const durationMs = Date.parse(endedAt) - started;
  return {
    incident: {
      id: state.incidentId,
      title: state.runbook.title,
      runbook: { ...state.runbook },
      severity: state.severity,
      params: shownParams(state, plan),
      triggeredBy: state.triggeredBy,
      startedAt: state.startedAt,
      endedAt,
      durationMs,
      outcome,
      ...(state.error ? { error: { code: state.error.code, message: redact(state.error.message) } } : {}),
    },
    impact: impactOf(state, plan).map((fact) => ({ ...fact, value: redactValue(fact.value, redact) })),
    messages: messagesOf(state),
    timeline: timeline.events,
    durations: {
      ...(timeline.firstHumanActionAt === undefined
        ? {}
        : { toFirstHumanActionMs: Date.parse(timeline.firstHumanActionAt) - started }),
      ...containment(state, options.containedBy, started),
      toResolutionMs: durationMs,
      deadlines: deadlinesOf(state, plan, endedAt),
    },
    compensations: state.compensations.map((c) => ({
      id: c.id,
      forStep: c.forStep,
      status: c.status,
      at: c.at,
      ...(c.error ? { error: redact(`${c.error.code}: ${c.error.message}`) } : {}),
    })),
    timeZone: options.timeZone,
  };
}

function checkInput(
  state: IncidentState,
  plan: Plan,
  options: DraftOptions,
): { outcome: IncidentOutcome; endedAt: string } {
  const invalid = (message: string): never => {
    throw new FirebreakError(ErrorCode.InvalidInput, message);
  };
  if (state.status === 'running') {
    throw new FirebreakError(
      ErrorCode.Conflict,
      `Incident ${state.incidentId} is still running: a post-mortem is drafted once it has closed`,
    );
  }
  const endedAt = state.endedAt ?? invalid(`Incident ${state.incidentId} is ${state.status} but has no endedAt`);
  if (plan.runbookId !== state.runbook.id || plan.contentHash !== state.runbook.contentHash) {
    invalid(
      `The plan given (${plan.runbookId} ${plan.contentHash}) is not the one incident ${state.incidentId} ran ` +
        `(${state.runbook.id} ${state.runbook.contentHash})`,
    );
  }
  try {
    Intl.DateTimeFormat('en-GB', { timeZone: options.timeZone }).resolvedOptions();
  } catch {
    invalid(`options.timeZone: unknown time zone ${JSON.stringify(options.timeZone)}`);
  }
  if (Number.isNaN(Date.parse(options.now)))
    invalid(`options.now: not an ISO 8601 instant: ${JSON.stringify(options.now)}`);
  if (options.reviewDueMs !== undefined && (!Number.isSafeInteger(options.reviewDueMs) || options.reviewDueMs < 0)) {
    invalid(`options.reviewDueMs: expected a non-negative whole number of milliseconds, got ${options.reviewDueMs}`);
  }
  if (options.containedBy !== undefined && !state.steps.some((step) => step.id === options.containedBy)) {
    invalid(`options.containedBy: runbook ${plan.runbookId} has no step ${JSON.stringify(options.containedBy)}`);
  }
  return { outcome: state.status, endedAt };
}

function stepIndex(plan: Plan): Map<string, StepPlan> {
  const steps = new Map<string, StepPlan>();
  forEachStep(plan.steps, (step) => steps.set(step.id, step));
  return steps;
}

/** Params as the trigger gave them, except that a `secret` param shows only that it is one. */
function shownParams(state: IncidentState, plan: Plan): Record<string, JsonValue> {
  const shown: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(state.params)) {
    shown[name] = own(plan.params, name)?.type === 'secret' ? SECRET_PARAM_SHOWN : value;
  }
  return shown;
}

/** The values of secret params (references such as `env:DB_PASSWORD`), so no text repeats them. */
function secretValues(state: IncidentState, plan: Plan): string[] {
  return Object.entries(state.params)
    .filter(([name]) => own(plan.params, name)?.type === 'secret')
    .flatMap(([, value]) => (typeof value === 'string' && value.length > 0 ? [value] : []));
}

function redactor(secrets: readonly string[]): (text: string) => string {
  if (secrets.length === 0) return (text) => text;
  return (text) => secrets.reduce((out, secret) => out.split(secret).join(SECRET_PARAM_SHOWN), text);
}

/** A value with every string in it (nested ones too) redacted. */
function redactValue(value: JsonValue, redact: (text: string) => string): JsonValue {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redact)]));
}

/** Every fact as the incident last knew it, in the runbook's order, then any it did not declare. */
function impactOf(state: IncidentState, plan: Plan): PostmortemFact[] {
  const names = [...Object.keys(plan.facts), ...Object.keys(state.facts)];
  return [...new Set(names)].flatMap((name) => {
    const fact = own(state.facts, name);
    if (fact === undefined) return [];
    return [{ name, value: fact.value, status: fact.status, setBy: fact.setBy, setAt: fact.setAt }];
  });
}

/** One entry per channel delivery of every message sent, oldest first. */
function messagesOf(state: IncidentState): PostmortemMessage[] {
  const out: PostmortemMessage[] = [];
  for (const record of Object.values(state.messages ?? {})) {
    for (const sent of record.sent) {
      for (const delivery of sent.deliveries) {
        out.push({
          step: record.step,
          message: record.message,
          channel: delivery.channel,
          recipients: [...delivery.accepted],
          sentAt: delivery.at,
          approvedBy: [...sent.approvedBy],
          fingerprint: sent.fingerprint,
        });
      }
    }
  }
  return out.sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt));
}

/** Time to containment: the end of the `containedBy` step, only when it succeeded. */
function containment(state: IncidentState, stepId: string | undefined, started: number): { toContainmentMs?: number } {
  const step = stepId === undefined ? undefined : state.steps.find((s) => s.id === stepId);
  if (step?.status !== 'succeeded' || step.endedAt === undefined) return {};
  return { toContainmentMs: Date.parse(step.endedAt) - started };
}

/**
 * Each deadline in the runbook's order: met with a margin (positive), or overdue by how much (negative:
 * met late, or never met by the time the incident closed).
 */
function deadlinesOf(state: IncidentState, plan: Plan, endedAt: string): PostmortemDeadline[] {
  const ids = [...plan.deadlines.map((d) => d.id), ...Object.keys(state.deadlines)];
  return [...new Set(ids)].flatMap((id) => {
    const record = own(state.deadlines, id);
    if (record === undefined) return [];
    const out: PostmortemDeadline = { id, title: record.title, status: record.status };
    if (record.startedAt !== undefined) out.startedAt = record.startedAt;
    if (record.dueAt !== undefined) out.dueAt = record.dueAt;
    if (record.metAt !== undefined) out.metAt = record.metAt;
    if (record.dueAt !== undefined && record.status !== 'not_applicable') {
      const end = record.metAt ?? (record.status === 'overdue' ? endedAt : undefined);
      if (end !== undefined) out.marginMs = Date.parse(record.dueAt) - Date.parse(end);
    }
    return [out];
  });
}
