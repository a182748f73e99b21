/**
 * Who may do what with a post-mortem through the API. Reading one needs the right to read its incident
 * (src/server/read-access.ts), or being one of its facilitators or reviewers; anyone else is told there is
 * no such post-mortem, word for word as for an unknown id. When Temporal no longer keeps the incident, its
 * readers are those who read everything, its people and the user who triggered it. Editing and moving the
 * status are for its facilitators, reviewers and admins (`access.admin` roles, the entry point's admins).
 */
import type { FastifyRequest } from 'fastify';
import type { Postmortem, PostmortemStore } from '../postmortems/store/index.js';
import type { NewPostmortem, SectionId } from '../postmortems/types.js';
import { userOf, type AuthenticatedUser } from './auth.js';
import type { AppDeps } from './deps.js';
import { ApiError, ApiErrorCode } from './errors.js';
import type { ReadAccess } from './read-access.js';

/** How a post-mortem is refused to someone who may not read it, and how an unknown id is answered. */
export function noPostmortem(id: string): ApiError {
  return new ApiError(404, ApiErrorCode.NotFound, `no post-mortem ${id}`);
}

/** The part someone has in a post-mortem, which decides what they may do with it. */
export type PostmortemPart = 'facilitator' | 'reviewer' | 'admin' | 'reader';

/** Post-mortem access over the app's dependencies and its read access. */
export class PostmortemAccess {
  private readonly adminRoles: ReadonlySet<string>;

  constructor(
    private readonly deps: AppDeps,
    private readonly reads: ReadAccess,
  ) {
    this.adminRoles = new Set(deps.config.access?.admin ?? []);
  }

  /** The store, or 503 when the server has none or it cannot be opened (the reason goes to the log). */
  async store(): Promise<PostmortemStore> {
    const lazy = this.deps.postmortems;
    if (lazy === undefined) {
      throw new ApiError(
        503,
        ApiErrorCode.Unavailable,
        'post-mortems are not available: this server has no post-mortem store',
      );
    }
    try {
      return await lazy.get();
    } catch (error) {
      this.deps.logger.error({ err: error }, 'cannot open the post-mortem store');
      throw new ApiError(
        503,
        ApiErrorCode.Unavailable,
        'post-mortems are not available: the post-mortem store cannot be opened (see the server log)',
      );
    }
  }

  /** Whether the user reads every post-mortem (reads every incident, or is an admin). */
  readsEverything(user: AuthenticatedUser): boolean {
    return this.isAdmin(user) || this.reads.readsAll(user);
  }

  /** Whether the user may read the post-mortem (an admin or one of its people always may). */
  async mayRead(user: AuthenticatedUser, postmortem: Postmortem): Promise<boolean> {
    if (this.readsEverything(user) || this.partOf(user, postmortem) !== 'reader') return true;
    const readable = await this.reads.mayReadIncidentId(user, postmortem.incidentId);
    return readable ?? postmortem.facts.incident.triggeredBy === user.id;
  }

  /**
   * The post-mortem, if it exists and the request's user may read it; otherwise 404, the same answer for
   * both (the audit entry marks a refusal as denied). Notes the incident on the request's audit entry.
   */
  async readable(request: FastifyRequest, id: string): Promise<{ store: PostmortemStore; postmortem: Postmortem }> {
    const store = await this.store();
    const postmortem = await store.getPostmortem(id);
    if (postmortem === undefined) throw noPostmortem(id);
    request.auditNote.incidentId = postmortem.incidentId;
    if (!(await this.mayRead(userOf(request), postmortem))) {
      request.auditNote.denied = true;
      throw noPostmortem(id);
    }
    return { store, postmortem };
  }

  /** The user's part: facilitator before reviewer before admin; `reader` when none. */
  partOf(user: AuthenticatedUser, postmortem: Postmortem): PostmortemPart {
    const named = (ids: readonly string[]) => ids.some((entry) => isUser(user, entry));
    if (named(postmortem.people.facilitators)) return 'facilitator';
    if (named(postmortem.people.reviewers)) return 'reviewer';
    return this.isAdmin(user) ? 'admin' : 'reader';
  }

  /** 403 unless the user has one of the parts; the message says who may. */
  requirePart(
    user: AuthenticatedUser,
    postmortem: Postmortem,
    allowed: readonly PostmortemPart[],
    what: string,
  ): PostmortemPart {
    const part = this.partOf(user, postmortem);
    if (allowed.includes(part)) return part;
    const who = allowed.map((p) => PART_NAMES[p](postmortem)).join(', ');
    throw new ApiError(
      403,
      ApiErrorCode.Forbidden,
      `${user.id} may not ${what} post-mortem ${postmortem.id}: that is for ${who}`,
    );
  }

  private isAdmin(user: AuthenticatedUser): boolean {
    return (this.deps.admins ?? []).includes(user.id) || user.roles.some((role) => this.adminRoles.has(role));
  }
}

const listed = (ids: readonly string[]) => (ids.length === 0 ? 'none named' : ids.join(', '));
const PART_NAMES: Readonly<Record<PostmortemPart, (postmortem: Postmortem) => string>> = {
  facilitator: (p) => `its facilitators (${listed(p.people.facilitators)})`,
  reviewer: (p) => `its reviewers (${listed(p.people.reviewers)})`,
  admin: () => 'admins',
  reader: () => 'its readers',
};

/** Whether a roster id or e-mail address in a post-mortem's people names the user. */
function isUser(user: AuthenticatedUser, entry: string): boolean {
  return entry === user.id || (user.email !== undefined && entry.toLowerCase() === user.email.toLowerCase());
}

/** The drafted document a post-mortem was created from, as the renderers take it. */
export function documentOf(postmortem: Postmortem): NewPostmortem {
  const { id: _id, status: _status, sections: _sections, updatedAt: _updatedAt, ...doc } = postmortem;
  return doc;
}

/** The sections' current texts. */
/** The revision of every section, as the blameless check saw it: publication applies only to these. */
export function revisionsOf(postmortem: Postmortem): Partial<Record<SectionId, number>> {
  return Object.fromEntries(Object.entries(postmortem.sections).map(([section, state]) => [section, state.revision]));
}

export function textsOf(postmortem: Postmortem): Partial<Record<SectionId, string>> {
  return Object.fromEntries(Object.entries(postmortem.sections).map(([id, section]) => [id, section.text]));
}
