/**
 * The state of one incident run and the small vocabulary every step kind uses to change it: record an
 * event, move a step through its statuses, evaluate expressions, look up who holds a role. Deterministic:
 * time comes from the workflow clock, ids from the plan.
 */
import { ApplicationFailure, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Environment } from '@marcbachmann/cel-js';
import {
  createExpressionEnvironment,
  evaluateCondition,
  ExpressionEvaluationError,
  interpolateText,
  interpolateWithSecrets,
  type InterpolatedInput,
  type ExpressionDeclarations,
  type ExpressionScope,
} from '../src/domain/expressions.js';
import { ErrorCode } from '../src/domain/errors.js';
import { STATUS_ATTRIBUTE } from '../src/domain/search-attributes.js';
import type { JsonObject, JsonValue, Plan, StepPlan } from '../src/domain/plan.js';
import { childrenOf, decisionOf, forEachStep } from '../src/domain/step-kinds.js';
import { own } from '../src/domain/own.js';
import {
  SYSTEM_ACTOR,
  type Actor,
  type IncidentState,
  type IncidentStatus,
  type PendingAction,
  type StepState,
  type TimelineEvent,
} from '../src/domain/state.js';
import type { StartIncident } from './definitions.js';

/**
 * `matches()` runs on RE2, which refuses lookaround and backreferences. An incident that started before
 * replays with the backtracking engine it ran with, so a regex RE2 refuses cannot change its course.
 */
const RE2_MATCHES_PATCH = 'expressions-re2-matches';

export interface EventOptions {
  /** A user id, or the acting identity (whose source is recorded too); the system when absent. */
  actor?: string | Actor;
  step?: string;
  data?: JsonValue;
}

/** One incident's mutable state plus the helpers step kinds share. */
export class IncidentRun {
  readonly plan: Plan;
  readonly state: IncidentState;
  readonly declarations: ExpressionDeclarations;
  private readonly env: Environment;
  private readonly stepIndex = new Map<string, StepState>();
  private readonly pendingIndex = new Map<string, PendingAction>();
  /** Decision name to the id of the step that records it. */
  readonly decisionSteps = new Map<string, string>();

  constructor(readonly input: StartIncident) {
    this.plan = input.plan;
    const info = workflowInfo();
    const stepIds: string[] = [];
    forEachStep(this.plan.steps, (step) => stepIds.push(step.id));
    this.declarations = {
      params: this.plan.params,
      facts: this.plan.facts,
      decisions: Object.fromEntries(
        Object.entries(this.plan.decisions).map(([name, d]) => [name, d.options !== undefined]),
      ),
      stepIds,
    };
    this.env = createExpressionEnvironment(this.declarations, { legacyRegex: !patched(RE2_MATCHES_PATCH) });
    this.state = {
      incidentId: info.workflowId,
      runbook: {
        id: this.plan.runbookId,
        title: this.plan.title,
        version: this.plan.version,
        contentHash: this.plan.contentHash,
      },
      severity: input.severity ?? this.plan.severity,
      status: 'running',
      startedAt: now(),
      triggeredBy: input.triggeredBy.id,
      params: { ...input.params },
      steps: [],
      facts: {},
      decisions: {},
      approvals: {},
      deadlines: {},
      compensations: [],
      pending: [],
      timeline: [],
    };
    this.addStepStates(this.plan.steps);
    // Titles are shown from the start, with the params the incident started with.
    for (const record of this.state.steps) record.title = this.display(record.title);
  }

  /** Appends a timeline event. */
  event(type: string, message: string, options: EventOptions = {}): TimelineEvent {
    const event: TimelineEvent = {
      seq: this.state.timeline.length + 1,
      at: now(),
      type,
      actor: typeof options.actor === 'object' ? options.actor.id : (options.actor ?? SYSTEM_ACTOR),
      message,
    };
    if (typeof options.actor === 'object' && options.actor.source !== undefined) event.source = options.actor.source;
    if (options.step !== undefined) event.step = options.step;
    if (options.data !== undefined) event.data = options.data;
    this.state.timeline.push(event);
    return event;
  }

  /** The state record of a step; every step in the plan has one from the start. */
  step(id: string): StepState {
    const found = this.stepIndex.get(id);
    if (!found)
      throw ApplicationFailure.nonRetryable(`No step ${id} in runbook ${this.plan.runbookId}`, ErrorCode.NotFound);
    return found;
  }

  /** Changes a step's record. */
  updateStep(id: string, patch: Partial<StepState>): StepState {
    return Object.assign(this.step(id), patch);
  }

  /** Registers a human action the run now waits for. */
  addPending(action: PendingAction): void {
    this.pendingIndex.set(action.step, action);
    this.state.pending = [...this.pendingIndex.values()];
  }

  /** Updates the roles shown on a pending action (after an escalation). */
  updatePending(step: string, patch: Partial<PendingAction>): void {
    const found = this.pendingIndex.get(step);
    if (found) Object.assign(found, patch);
  }

  removePending(step: string): void {
    this.pendingIndex.delete(step);
    this.state.pending = [...this.pendingIndex.values()];
  }

  /** Sets the incident status and mirrors it to the search attribute. */
  setStatus(status: IncidentStatus): void {
    this.state.status = status;
    if (status !== 'running') this.state.endedAt = now();
    upsertSearchAttributes([{ key: STATUS_ATTRIBUTE, value: status }]);
  }

  /** The roles an actor holds in this run's frozen roster (by user id or e-mail). */
  rolesOf(actor: Actor): string[] {
    const keys = new Set([actor.id.toLowerCase(), (actor.email ?? '').toLowerCase()].filter((k) => k !== ''));
    return Object.entries(this.plan.roles)
      .filter(([, role]) => role.members.some((member) => keys.has(member.toLowerCase())))
      .map(([name]) => name);
  }

  /** The members of a role, for reminders and escalations. */
  membersOf(role: string): string[] {
    return [...(own(this.plan.roles, role)?.members ?? [])];
  }

  /** What expressions see right now. */
  scope(): ExpressionScope {
    const steps: ExpressionScope['steps'] = {};
    for (const s of this.state.steps)
      steps[s.id] = s.output === undefined ? { status: s.status } : { status: s.status, output: s.output };
    return {
      params: this.state.params,
      facts: Object.fromEntries(Object.entries(this.state.facts).map(([name, fact]) => [name, fact.value])),
      decisions: Object.fromEntries(Object.entries(this.state.decisions).map(([name, d]) => [name, d.option ?? d.at])),
      steps,
      incident: { id: this.state.incidentId, severity: this.state.severity, startedAt: this.state.startedAt },
    };
  }

  /** Evaluates a `when:` condition; a failure to evaluate is a non-retryable step failure. */
  condition(expression: string): boolean {
    return this.guard(() => evaluateCondition(this.env, this.declarations, expression, this.scope()));
  }

  /** Evaluates a condition, returning undefined when it cannot be evaluated yet (data not recorded). */
  tryCondition(expression: string): boolean | undefined {
    try {
      return evaluateCondition(this.env, this.declarations, expression, this.scope());
    } catch {
      return undefined;
    }
  }

  /**
   * Text for people (a step's or deadline's title): interpolated with what is known now, or as written
   * while it cannot be evaluated yet (a fact not set). Never fails the step: a title is not worth it.
   */
  display(template: string): string {
    if (!template.includes('${{')) return template;
    try {
      return interpolateText(this.env, this.declarations, template, this.scope());
    } catch {
      return template;
    }
  }

  /** Interpolates a step's title again as it starts, and records it; the title people see from then on. */
  retitle(step: StepPlan): string {
    return this.updateStep(step.id, { title: this.display(step.title) }).title;
  }

  /** A step's title as recorded (interpolated). */
  titleOf(id: string): string {
    return this.step(id).title;
  }

  /** Interpolates a string for people to read. */
  text(template: string): string {
    return this.guard(() => interpolateText(this.env, this.declarations, template, this.scope()));
  }

  /**
   * Interpolates every string in an action's or child runbook's `with`. Secrets stay out of the value (as
   * placeholders); `secrets` says where they go, from the runbook's own structure.
   */
  interpolateInput(value: JsonObject): InterpolatedInput & { value: JsonObject } {
    return this.guard(() =>
      interpolateWithSecrets(this.env, this.declarations, value, this.scope()),
    ) as InterpolatedInput & { value: JsonObject };
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ExpressionEvaluationError) {
        throw ApplicationFailure.nonRetryable(`Expression failed: ${error.message}`, ErrorCode.ExpressionError);
      }
      throw error;
    }
  }

  private addStepStates(steps: readonly StepPlan[], parent?: string): void {
    for (const step of steps) {
      const record: StepState = { id: step.id, title: step.title, kind: step.kind, status: 'pending' };
      if (parent !== undefined) record.parent = parent;
      this.state.steps.push(record);
      this.stepIndex.set(step.id, record);
      const decision = decisionOf(step);
      if (decision !== undefined) this.decisionSteps.set(decision, step.id);
      this.addStepStates(childrenOf(step), step.id);
    }
  }
}

/** The workflow clock as an ISO string. */
export function now(): string {
  return new Date().toISOString();
}
