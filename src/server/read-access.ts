/**
 * Who may read what through the API. An incident is read by the members of its frozen roles, the user who
 * triggered it, and whoever reads everything: holders of an `access.read` or `access.admin` role, and the
 * admins the entry point names (`firebreak dev`'s admin). Anyone else is told there is no such incident,
 * so an id is never confirmed. A runbook's schedules and drill history are read by whoever reads
 * everything, the holders of one of the runbook's roles, and whoever the access rules name to trigger it.
 */
import type { FastifyRequest } from 'fastify';
import type { AccessConfig } from '../config/schema.js';
import type { IncidentFilter, IncidentSummary } from '../incidents/list.js';
import type { IncidentReaders } from '../incidents/readers.js';
import { userOf, type AuthenticatedUser } from './auth.js';
import type { AppDeps } from './deps.js';
import { ApiError, ApiErrorCode } from './errors.js';

/** How many of the newest matching incidents a list examines for a caller who does not read everything. */
export const READ_CHECK_LIMIT = 1000;

/** How many incidents' readers are looked up at once. */
const LOOKUP_CONCURRENCY = 16;

/** How many incidents' readers are kept; they never change for a run, so an entry never goes stale. */
const CACHE_SIZE = 10_000;

/** A list of the incidents a caller may read. */
export interface ReadableIncidents {
  incidents: IncidentSummary[];
  /** More incidents matched than were examined; some the caller may read can be missing. */
  truncated: boolean;
}

/** What read authorization needs from the app's dependencies. */
export interface ReadAccessDeps {
  access: AccessConfig | undefined;
  /** Ids of users who read everything whatever their roles (the dev admin). */
  admins: readonly string[];
  incidents: Pick<AppDeps['incidents'], 'list' | 'readers'>;
  runbooks: AppDeps['runbooks'];
}

/** Read authorization for the API's routes. */
export class ReadAccess {
  private readonly everything: ReadonlySet<string>;
  private readonly cache = new Map<string, IncidentReaders>();

  constructor(private readonly deps: ReadAccessDeps) {
    this.everything = new Set([...(deps.access?.read ?? []), ...(deps.access?.admin ?? [])]);
  }

  /** Whether the user reads every incident, schedule and drill history. */
  readsAll(user: AuthenticatedUser): boolean {
    return this.deps.admins.includes(user.id) || user.roles.some((role) => this.everything.has(role));
  }

  /** Whether the user may read an incident with these readers. */
  mayReadIncident(user: AuthenticatedUser, readers: IncidentReaders): boolean {
    if (this.readsAll(user) || readers.triggeredBy === user.id) return true;
    const email = user.email?.toLowerCase();
    return readers.members.some(
      (member) => member === user.id || (email !== undefined && member.toLowerCase() === email),
    );
  }

  /**
   * Answers 404 unless the incident exists and the request's user may read it; notes the incident on the
   * request's audit entry, and marks a refusal as denied there (the answer itself does not say).
   */
  async authorizeIncident(request: FastifyRequest, incidentId: string): Promise<void> {
    const user = userOf(request);
    request.auditNote.incidentId = incidentId;
    const readers = await this.readersOf(incidentId);
    if (readers !== undefined && this.mayReadIncident(user, readers)) return;
    if (readers !== undefined) request.auditNote.denied = true;
    throw new ApiError(404, ApiErrorCode.NotFound, `no incident ${incidentId}`);
  }

  /**
   * Whether the user may read the incident with this id: true or false, or undefined when there is no such
   * incident (Temporal no longer keeps it, say), so a caller can fall back on what it knows itself.
   */
  async mayReadIncidentId(user: AuthenticatedUser, incidentId: string): Promise<boolean | undefined> {
    if (this.readsAll(user)) return true;
    const readers = await this.readersOf(incidentId);
    return readers === undefined ? undefined : this.mayReadIncident(user, readers);
  }

  /**
   * The incidents matching a filter that the user may read, newest first. A user who reads everything
   * gets the plain list; anyone else gets the readable ones among the newest `READ_CHECK_LIMIT` matches.
   */
  async listReadable(user: AuthenticatedUser, filter: IncidentFilter): Promise<ReadableIncidents> {
    if (this.readsAll(user)) return { incidents: await this.deps.incidents.list(filter), truncated: false };
    const candidates = await this.deps.incidents.list({ ...filter, limit: READ_CHECK_LIMIT + 1 });
    const examined = candidates.slice(0, READ_CHECK_LIMIT);
    const readable: IncidentSummary[] = [];
    for (let start = 0; start < examined.length && readable.length < filter.limit; start += LOOKUP_CONCURRENCY) {
      const batch = examined.slice(start, start + LOOKUP_CONCURRENCY);
      const readers = await Promise.all(batch.map((summary) => this.readersOf(summary.incidentId)));
      batch.forEach((summary, index) => {
        const found = readers[index];
        if (readable.length < filter.limit && found !== undefined && this.mayReadIncident(user, found)) {
          readable.push(summary);
        }
      });
    }
    return { incidents: readable, truncated: readable.length < filter.limit && candidates.length > READ_CHECK_LIMIT };
  }

  /**
   * Whether the user may read a runbook's schedules and drill history: reads everything, holds one of the
   * runbook's roles as loaded now (by role name, or named as a member), or is named by the runbook's own
   * (or the `*`) trigger rule. A runbook the server has not loaded is read only by those who read everything.
   */
  mayReadRunbook(user: AuthenticatedUser, runbookId: string): boolean {
    if (this.readsAll(user)) return true;
    const trigger = this.deps.access?.trigger ?? {};
    const rule = Object.hasOwn(trigger, runbookId) ? trigger[runbookId] : trigger['*'];
    if (rule?.some((role) => user.roles.includes(role))) return true;
    const plan = this.deps.runbooks.get(runbookId)?.plan;
    if (plan === undefined) return false;
    const email = user.email?.toLowerCase();
    return Object.entries(plan.roles).some(
      ([name, role]) =>
        user.roles.includes(name) ||
        role.members.some((member) => member === user.id || (email !== undefined && member.toLowerCase() === email)),
    );
  }

  /** The incident's readers, from the cache or the run's start; undefined when it is no incident. */
  private async readersOf(incidentId: string): Promise<IncidentReaders | undefined> {
    const cached = this.cache.get(incidentId);
    if (cached !== undefined) return cached;
    const readers = await this.deps.incidents.readers(incidentId);
    if (readers === undefined) return undefined;
    if (this.cache.size >= CACHE_SIZE) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(incidentId, readers);
    return readers;
  }
}
