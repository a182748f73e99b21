/**
 * Drafting the post-mortem of a closed incident, from what Temporal holds: the plan the incident ran (its
 * start input, never the runbook file as it is now, which may have changed since) and its final state (the
 * `state` query, which a closed run still answers). Decides whether one is needed, who runs it, drafts it
 * (`draft.ts`) and stores it, once per incident. Used by the `draftPostmortem` activity when an incident
 * closes, and by `POST /incidents/{id}/postmortem`.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PostmortemsConfig } from '../config/index.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { own } from '../domain/own.js';
import type { Plan } from '../domain/plan.js';
import { postmortemReason, postmortemStepOf, rosterIdsOf, type PostmortemReason } from '../domain/postmortem.js';
import { SYSTEM_ACTOR, type IncidentState } from '../domain/state.js';
import { readIncidentStart } from '../incidents/readers.js';
import { stateQuery, type StartIncident } from '../../workflows/definitions.js';
import { draftPostmortem, type DraftOptions } from './draft.js';
import type { Postmortem, PostmortemStore } from './store/index.js';
import type { PostmortemPeople } from './types.js';

/** What drafting from an incident reads and writes. */
export interface DraftFromIncidentDeps {
  temporal: Client;
  store: PostmortemStore;
  /** `postmortems` from the config: which severities need one, the time zone times are shown in. */
  postmortems: Pick<PostmortemsConfig, 'requiredFor' | 'timeZone'>;
  /** The clock the draft is dated by. */
  now?: () => Date;
}

/** Who drafts, and whether to draft even when the incident needs no post-mortem (the manual command). */
export interface DraftFromIncidentOptions {
  /** Roster id of whoever asked, or `system` when the incident's close did. */
  actor: string;
  force?: boolean;
}

/** Why a draft was made, or why not. */
export type DraftReason = PostmortemReason | 'forced' | 'existing' | 'not-required';

/** The incident's post-mortem (absent when it needs none), whether this call created it, and why. */
export interface DraftFromIncidentResult {
  postmortem?: Postmortem;
  created: boolean;
  reason: DraftReason;
}

/**
 * Drafts and stores the post-mortem of a closed incident, or returns the one it has (`created: false`).
 * Throws a `FirebreakError`: NOT_FOUND when no incident has this id, CONFLICT while it is still running.
 */
export async function draftFromIncident(
  incidentId: string,
  deps: DraftFromIncidentDeps,
  options: DraftFromIncidentOptions,
): Promise<DraftFromIncidentResult> {
  const start = await readIncidentStart(deps.temporal, incidentId);
  if (start === undefined) throw new FirebreakError(ErrorCode.NotFound, `no incident ${JSON.stringify(incidentId)}`);
  const existing = await deps.store.getByIncident(incidentId);
  if (existing !== undefined) return { postmortem: existing, created: false, reason: 'existing' };
  const handle = deps.temporal.workflow.getHandle(incidentId);
  const state = await closedState(handle, await handle.query(stateQuery));
  if (state.status === 'running') {
    throw new FirebreakError(
      ErrorCode.Conflict,
      `incident ${incidentId} is still running: its post-mortem is drafted once it has closed`,
    );
  }
  const reason = postmortemReason(state, start.plan, start, deps.postmortems.requiredFor);
  if (reason === undefined && options.force !== true) return { created: false, reason: 'not-required' };
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const draft = draftPostmortem(state, start.plan, {
    ...draftSettings(state, start),
    timeZone: deps.postmortems.timeZone,
    now,
    createdBy: options.actor,
  });
  const { postmortem, created } = await deps.store.createPostmortem(draft);
  return { postmortem, created, reason: created ? (reason ?? 'forced') : 'existing' };
}

/**
 * The incident's state as it closed. A run Temporal terminated (an operator's `temporal workflow terminate`,
 * or a limit of its history) or timed out ran no code of its own at the end: its state still says running.
 * It is drafted as failed, ended when Temporal closed it, with a TERMINATED error saying that what happened
 * after its last recorded event is not known. Such a run starts no post-mortem workflow: draft it by hand.
 */
async function closedState(handle: WorkflowHandle, state: IncidentState): Promise<IncidentState> {
  if (state.status !== 'running') return state;
  const description = await handle.describe();
  const status = description.status.name;
  if (status !== 'TERMINATED' && status !== 'TIMED_OUT') return state;
  const endedAt = (description.closeTime ?? new Date()).toISOString();
  const how = status === 'TERMINATED' ? 'terminated in Temporal' : 'timed out in Temporal';
  return {
    ...state,
    status: 'failed',
    endedAt,
    error: {
      code: status === 'TERMINATED' ? 'TERMINATED' : 'TIMED_OUT',
      message: `the incident's workflow was ${how} (by an operator, or at a limit of its history); nothing after its last recorded event is known`,
    },
  };
}

/** Who runs the post-mortem, when its review is due, what marks containment, and its tags. */
type DraftSettings = Pick<DraftOptions, 'people' | 'containedBy' | 'reviewDueMs' | 'tags'>;

/**
 * From the requirement the `postmortem` step recorded; else from the plan's `postmortem` step, when the
 * run ended before reaching it; else (required by severity, or forced) the defaults: `defaultPeople`.
 */
function draftSettings(state: IncidentState, start: StartIncident): DraftSettings {
  const recorded = state.postmortem;
  if (recorded !== undefined) {
    return withOptional(
      {
        people: {
          facilitators: [...recorded.facilitators],
          reviewers: [...recorded.reviewers],
          audience: [...recorded.audience],
        },
        tags: [...recorded.tags],
      },
      recorded,
    );
  }
  const step = postmortemStepOf(start.plan);
  if (step !== undefined && state.steps.find((s) => s.id === step.id)?.status !== 'skipped') {
    return withOptional(
      {
        people: {
          facilitators: rosterIdsOf(start.plan, [step.facilitator]),
          reviewers: rosterIdsOf(start.plan, step.reviewers),
          audience: rosterIdsOf(start.plan, step.audience),
        },
        tags: [...step.tags],
      },
      step,
    );
  }
  return { people: defaultPeople(start), tags: [] };
}

function withOptional(
  settings: DraftSettings,
  from: { dueMs?: number | undefined; containedBy?: string | undefined },
): DraftSettings {
  return {
    ...settings,
    ...(from.dueMs === undefined ? {} : { reviewDueMs: from.dueMs }),
    ...(from.containedBy === undefined ? {} : { containedBy: from.containedBy }),
  };
}

/**
 * Without a `postmortem` step: the members of the runbook's `commander` role facilitate; a runbook without
 * one (or with nobody in it) has the person who triggered the incident facilitate; an incident an alert or a
 * schedule triggered then has no facilitator until an admin names one. No reviewers, no audience: the runbook names those.
 */
export function defaultPeople(start: Pick<StartIncident, 'plan' | 'triggeredBy'>): PostmortemPeople {
  const commanders = own(start.plan.roles, 'commander') === undefined ? [] : commandersOf(start.plan);
  const { id, source } = start.triggeredBy;
  const byPerson = source === 'webhook' || source === 'schedule' || id === SYSTEM_ACTOR ? [] : [id];
  return { facilitators: commanders.length > 0 ? commanders : byPerson, reviewers: [], audience: [] };
}

function commandersOf(plan: Plan): string[] {
  return rosterIdsOf(plan, [{ role: 'commander' }]);
}
