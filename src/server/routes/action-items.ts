/**
 * Action items of post-mortems: `GET /action-items` (the items of post-mortems the caller may read, with
 * owner/status/overdue/post-mortem filters), `POST /postmortems/{id}/action-items`, `GET` and `PATCH
 * /action-items/{id}` (a compare-and-set on `version`: a stale one is a 409 carrying the current item), and
 * `POST /action-items/{id}/done` and `/wontdo`. Every route is authenticated and audited; an item of a
 * post-mortem the caller may not read is answered 404, like an unknown id.
 *
 * `done` on an item with `verify` starts that runbook as an incident through the trigger path of
 * `POST /incidents` (params validated against the runbook, attributed to the caller) and records the run
 * on the item as `pending`; a `done` while a run is still pending is a 409 naming it. The item stays `done`:
 * turning it `verified` when the run succeeds, or reopening it when it fails, is the job of the item's
 * watcher (`workflows/action-item.ts`), which every route that changes an item signals (with start).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { prepareIncident } from '../../incidents/prepare.js';
import type { RosterMember } from '../../runbook/roster.js';
import { JsonValue } from '../../runbook/schema.js';
import { validateTriggerParams } from '../../runbook/trigger-params.js';
import {
  ACTION_ITEM_PRIORITIES,
  ACTION_ITEM_STATUSES,
  OPEN_ACTION_ITEM_STATUSES,
  STORE_LIMITS,
  type ActionItem,
  type ActionItemPatch,
  type Postmortem,
  type PostmortemStore,
  type Verification,
} from '../../postmortems/store/index.js';
import { actorOf, mayTrigger, userOf, type AuthenticatedUser } from '../auth.js';
import { secretCatalogOf, type AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses, RequestValidationError, type ApiIssue } from '../errors.js';
import { signalItemChanged } from '../../postmortems/action-item-watch.js';
import { unsettledRuns } from '../../postmortems/verification.js';
import { PostmortemAccess, type PostmortemPart } from '../postmortem-access.js';
import type { ReadAccess } from '../read-access.js';
import { PostmortemIdParam } from './postmortem-schemas.js';
import { BEARER_SECURITY, RunbookIdText, schemaOf, type ZodRoutes } from './shared.js';

const UNAVAILABLE = { 503: 'The server has no post-mortem store, or cannot open it' };
/** Who may add items to a post-mortem and change any of its items. */
const MANAGERS: readonly PostmortemPart[] = ['facilitator', 'reviewer', 'admin'];
/** How many store pages `GET /action-items` examines at most for items the caller may read. */
const EXAMINE_LIMIT = 2000;

const IdText = z
  .string()
  .max(STORE_LIMITS.idChars)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { error: 'expected an id' });
const ItemIdParam = z.strictObject({ id: IdText });
const Owner = z
  .string()
  .max(STORE_LIMITS.idChars)
  .regex(/^(?:role:[A-Za-z][A-Za-z0-9_-]*|[A-Za-z0-9][A-Za-z0-9._-]*)$/, {
    error: 'expected a roster id or role:<name>',
  });
const Status = z.enum(ACTION_ITEM_STATUSES, { error: `expected one of ${ACTION_ITEM_STATUSES.join(', ')}` });
const Priority = z.enum(ACTION_ITEM_PRIORITIES, { error: `expected one of ${ACTION_ITEM_PRIORITIES.join(', ')}` });
const Instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 instant (2026-01-31T00:00:00Z)' });
const Title = z.string().trim().min(1).max(STORE_LIMITS.titleChars);
const Reason = z.string().trim().min(1).max(STORE_LIMITS.reasonChars);
const TrackerUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(STORE_LIMITS.urlChars);
const Verify = z
  .strictObject({
    runbook: RunbookIdText,
    params: z.record(z.string(), JsonValue).default({}),
  })
  .describe('a runbook whose successful run proves the fix: `done` starts it (params as POST /incidents takes them)');
const BaseVersion = z.int().min(1).describe('the version you read; a newer one is a 409 carrying the current item');

const ListQuery = z.strictObject({
  owner: Owner.or(z.literal('me'))
    .optional()
    .describe('a roster id, role:<name>, or `me` (the caller: items they own in person or through a role they hold)'),
  status: Status.optional(),
  overdue: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: only open or in-progress items whose due date has passed'),
  postmortem: IdText.optional(),
  limit: z.coerce.number().int().min(1).max(STORE_LIMITS.maxLimit).default(50),
});

const AddBody = z.strictObject({
  title: Title,
  owner: Owner,
  dueAt: Instant.optional(),
  priority: Priority.default('p3'),
  trackerUrl: TrackerUrl.optional(),
  verify: Verify.optional(),
});

/** What PATCH changes; `done`, `verified` and `wont-do` are set through their own routes. */
const PatchBody = z.strictObject({
  baseVersion: BaseVersion,
  title: Title.optional(),
  owner: Owner.optional(),
  dueAt: Instant.nullable().optional().describe('null clears it'),
  priority: Priority.optional(),
  status: z
    .enum(['open', 'in-progress'], { error: 'expected open or in-progress (done and wont-do have their own routes)' })
    .optional(),
  trackerUrl: TrackerUrl.nullable().optional().describe('null clears it'),
  verify: Verify.nullable().optional().describe('null removes the verification'),
});

const DoneBody = z.strictObject({ baseVersion: BaseVersion, reason: Reason.optional() });
const WontdoBody = z.strictObject({ baseVersion: BaseVersion, reason: Reason.describe('why it will not be done') });

export const ActionItemSchema = z
  .object({
    id: z.string(),
    postmortemId: z.string(),
    title: z.string(),
    owner: z.string(),
    dueAt: z.string().optional(),
    priority: z.string(),
    status: Status,
    statusReason: z.string().optional(),
    trackerUrl: z.string().optional(),
    verify: z.object({ runbook: z.string(), params: z.record(z.string(), z.unknown()) }).optional(),
    runs: z.array(
      z.object({
        incidentId: z.string(),
        result: z.enum(['pending', 'passed', 'failed']),
        at: z.string(),
      }),
    ),
    version: z.int(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedBy: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ActionItem' });
const ItemResponse = z.object({ item: schemaOf<ActionItem>(ActionItemSchema) });

/** Registers the action item routes. */
export function registerActionItemRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  roster: readonly RosterMember[],
  reads: ReadAccess,
): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const items = new ActionItems(deps, roster, new PostmortemAccess(deps, reads));
  registerReads(routes, items);
  registerWrites(routes, items);
  registerClosing(routes, items);
}

/** What the routes share: the store, access, and the item's post-mortem. */
class ActionItems {
  constructor(
    readonly deps: AppDeps,
    readonly roster: readonly RosterMember[],
    readonly access: PostmortemAccess,
  ) {}

  now(): string {
    return (this.deps.now ?? (() => new Date()))().toISOString();
  }

  /** The item and its post-mortem, if both exist and the caller may read the post-mortem; 404 otherwise. */
  async readable(
    request: FastifyRequest,
    id: string,
  ): Promise<{ store: PostmortemStore; item: ActionItem; postmortem: Postmortem }> {
    const store = await this.access.store();
    const item = await store.getActionItem(id);
    const postmortem = item === undefined ? undefined : await store.getPostmortem(item.postmortemId);
    if (item === undefined || postmortem === undefined) throw noItem(id);
    request.auditNote.incidentId = postmortem.incidentId;
    request.auditNote.postmortemId = postmortem.id;
    if (!(await this.access.mayRead(userOf(request), postmortem))) {
      request.auditNote.denied = true;
      throw noItem(id);
    }
    return { store, item, postmortem };
  }

  /** 403 unless the caller owns the item (in person or through its role) or manages its post-mortem. */
  requireChanger(user: AuthenticatedUser, item: ActionItem, postmortem: Postmortem, what: string): void {
    if (ownsItem(user, item) || MANAGERS.includes(this.access.partOf(user, postmortem))) return;
    throw new ApiError(
      403,
      ApiErrorCode.Forbidden,
      `${user.id} may not ${what} action item ${item.id}: that is for its owner (${item.owner}), the post-mortem's facilitators and reviewers, and admins`,
    );
  }

  /**
   * Refuses (400, naming the field) an owner nobody is (an unknown roster id, a role no one holds) and a
   * verification whose runbook is not loaded or whose params the runbook would refuse.
   */
  checkInput(body: { owner?: string; verify?: Verification | null }): void {
    const issues: ApiIssue[] = [];
    const owner = body.owner;
    if (owner !== undefined) {
      const known = owner.startsWith('role:')
        ? this.roster.some((member) => member.roles.includes(owner.slice('role:'.length)))
        : this.roster.some((member) => member.id === owner);
      if (!known) {
        issues.push({
          path: 'owner',
          message: owner.startsWith('role:')
            ? `no one on the roster holds role ${owner.slice('role:'.length)}`
            : `no user ${owner} on the roster`,
        });
      }
    }
    if (body.verify !== undefined && body.verify !== null) issues.push(...this.verifyIssues(body.verify));
    if (issues.length > 0) throw new RequestValidationError(issues);
  }

  private verifyIssues(verify: Verification): ApiIssue[] {
    const loaded = this.deps.runbooks.get(verify.runbook);
    if (loaded === undefined) return [{ path: 'verify.runbook', message: `no runbook ${verify.runbook} loaded` }];
    const checked = validateTriggerParams(loaded.plan, verify.params, secretCatalogOf(this.deps));
    return checked.ok ? [] : checked.issues.map((issue) => ({ ...issue, path: `verify.${issue.path}` }));
  }

  /**
   * Starts the item's verification runbook as an incident, as the caller, through the trigger path of
   * `POST /incidents`. The dedup key is the item's: a `done` retried while its run is still open joins
   * that run rather than starting a second one.
   */
  async startVerification(request: FastifyRequest, item: ActionItem, verify: Verification): Promise<string> {
    const user = userOf(request);
    const loaded = this.deps.runbooks.get(verify.runbook);
    if (loaded === undefined) {
      throw new ApiError(
        422,
        ApiErrorCode.Unprocessable,
        `action item ${item.id} is verified by runbook ${verify.runbook}, which is not loaded: load it, or change the item's verify`,
      );
    }
    if (!mayTrigger(this.deps.config.access, user, loaded.plan.runbookId)) {
      throw new ApiError(
        403,
        ApiErrorCode.Forbidden,
        `${user.id} may not trigger ${loaded.plan.runbookId}, which verifies action item ${item.id}`,
      );
    }
    const prepared = prepareIncident(
      new Map([[verify.runbook, loaded]]),
      this.roster,
      { runbook: verify.runbook, params: verify.params, actor: actorOf(request), dedupKey: `action-item:${item.id}` },
      secretCatalogOf(this.deps),
    );
    if (!prepared.ok) {
      throw new ApiError(
        422,
        ApiErrorCode.Unprocessable,
        `runbook ${verify.runbook} refuses the verification params of action item ${item.id}: change the item's verify`,
        prepared.problems.map((problem) => ({ path: `verify.${problem.path}`, message: problem.message })),
      );
    }
    return (await this.deps.incidents.trigger(prepared.start)).incidentId;
  }

  /**
   * Tells the item's watcher that it changed (starting it if needed). The change is stored either way: when
   * Temporal cannot be reached the failure is logged, and the watcher catches up at the item's next change.
   */
  async watch(request: FastifyRequest, item: ActionItem): Promise<ActionItem> {
    try {
      await signalItemChanged(this.deps.temporal, item);
    } catch (error) {
      request.log.error(
        { actionItemId: item.id, error: error instanceof Error ? error.message : String(error) },
        'the action item was changed, but its watcher could not be told: it catches up at the next change',
      );
    }
    return item;
  }

  /** Applies an update on `baseVersion`; a stale version is a 409 carrying the current item. */
  async update(
    store: PostmortemStore,
    request: FastifyRequest,
    item: ActionItem,
    baseVersion: number,
    patch: ActionItemPatch,
    run?: { incidentId: string },
  ): Promise<ActionItem> {
    const at = this.now();
    try {
      return await store.updateActionItem(item.id, {
        baseVersion,
        actor: userOf(request).id,
        at,
        patch,
        ...(run === undefined ? {} : { run: { incidentId: run.incidentId, result: 'pending' as const, at } }),
      });
    } catch (error) {
      if (error instanceof FirebreakError && error.code === ErrorCode.Conflict) {
        const current = await store.getActionItem(item.id);
        throw new ApiError(409, ApiErrorCode.Conflict, error.message, undefined, {}, { item: current });
      }
      throw error;
    }
  }
}

function noItem(id: string): ApiError {
  return new ApiError(404, ApiErrorCode.NotFound, `no action item ${id}`);
}

/** Whether the user is the item's owner: the roster id (or e-mail) named, or a holder of the `role:x` named. */
function ownsItem(user: AuthenticatedUser, item: ActionItem): boolean {
  if (item.owner.startsWith('role:')) return user.roles.includes(item.owner.slice('role:'.length));
  return item.owner === user.id || (user.email !== undefined && item.owner.toLowerCase() === user.email.toLowerCase());
}

/** 409 with the current item unless the caller's version is current (checked again by the store's CAS). */
function requireVersion(item: ActionItem, baseVersion: number): void {
  if (item.version === baseVersion) return;
  throw new ApiError(
    409,
    ApiErrorCode.Conflict,
    `action item ${item.id} is at version ${item.version} (updated by ${item.updatedBy} at ${item.updatedAt}), not ${baseVersion}: reload it and apply your change again`,
    undefined,
    {},
    { item },
  );
}

const ListResponse = z.object({
  items: z.array(schemaOf<ActionItem>(ActionItemSchema)),
  truncated: z.boolean().describe('more items matched than were examined; some you may read can be missing'),
});

function registerReads(routes: ZodRoutes, items: ActionItems): void {
  routes.get(
    '/action-items',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'listActionItems',
        summary: 'Action items of the post-mortems you may read, oldest first',
        security: BEARER_SECURITY,
        querystring: ListQuery,
        response: {
          200: ListResponse.describe('The items you may read, oldest first'),
          ...errorResponses([400, 401, 429], UNAVAILABLE),
        },
      },
    },
    async (request) => {
      const { owner, status, overdue, postmortem, limit } = request.query;
      const user = userOf(request);
      const store = await items.access.store();
      const filter = {
        ...(owner === undefined ? {} : owner === 'me' ? { owners: ownerNamesOf(user) } : { owner }),
        ...(status === undefined ? {} : { status }),
        ...(overdue === 'true' ? { overdueAt: items.now() } : {}),
        ...(postmortem === undefined ? {} : { postmortemId: postmortem }),
      };
      // Each post-mortem is looked up and checked once, however many of its items match.
      const readable = new Map<string, boolean>();
      const mayRead = async (id: string): Promise<boolean> => {
        const known = readable.get(id);
        if (known !== undefined) return known;
        const parent = await store.getPostmortem(id);
        const allowed = parent !== undefined && (await items.access.mayRead(user, parent));
        readable.set(id, allowed);
        return allowed;
      };
      const found: ActionItem[] = [];
      let examined = 0;
      let cursor: string | undefined;
      do {
        const page = await store.listActionItems({ ...filter, limit, ...(cursor === undefined ? {} : { cursor }) });
        examined += page.items.length;
        for (const item of page.items) if (await mayRead(item.postmortemId)) found.push(item);
        cursor = page.nextCursor;
      } while (found.length < limit && cursor !== undefined && examined < EXAMINE_LIMIT);
      return { items: found.slice(0, limit), truncated: found.length < limit && cursor !== undefined };
    },
  );
  routes.get(
    '/action-items/:id',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'getActionItem',
        summary: 'One action item, with its verification runs',
        security: BEARER_SECURITY,
        params: ItemIdParam,
        response: { 200: ItemResponse.describe('The item'), ...errorResponses([400, 401, 404, 429], UNAVAILABLE) },
      },
    },
    async (request) => ({ item: (await items.readable(request, request.params.id)).item }),
  );
}

function registerWrites(routes: ZodRoutes, items: ActionItems): void {
  routes.post(
    '/postmortems/:id/action-items',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'addActionItem',
        summary: 'Add an action item to a post-mortem (its facilitators, reviewers, admins)',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        body: AddBody,
        response: {
          201: ItemResponse.describe('The item, at version 1'),
          ...errorResponses([400, 401, 403, 404, 413, 429], UNAVAILABLE),
        },
      },
    },
    async (request, reply) => {
      const { store, postmortem } = await items.access.readable(request, request.params.id);
      const user = userOf(request);
      items.access.requirePart(user, postmortem, MANAGERS, 'add action items to');
      const body = request.body;
      items.checkInput(body);
      const item = await store.addActionItem({
        postmortemId: postmortem.id,
        title: body.title,
        owner: body.owner,
        priority: body.priority,
        ...(body.dueAt === undefined ? {} : { dueAt: new Date(body.dueAt).toISOString() }),
        ...(body.trackerUrl === undefined ? {} : { trackerUrl: body.trackerUrl }),
        ...(body.verify === undefined ? {} : { verify: body.verify }),
        createdBy: user.id,
        createdAt: items.now(),
      });
      return reply.code(201).send({ item: await items.watch(request, item) });
    },
  );
  routes.patch(
    '/action-items/:id',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'updateActionItem',
        summary: 'Change an action item on the version you read (its owner, facilitators, reviewers, admins)',
        security: BEARER_SECURITY,
        params: ItemIdParam,
        body: PatchBody,
        response: {
          200: ItemResponse.describe('The item as changed'),
          ...errorResponses([400, 401, 403, 404, 413, 429], {
            ...UNAVAILABLE,
            409: 'The item changed since `baseVersion` (details.item: the current item)',
          }),
        },
      },
    },
    async (request) => {
      const { store, item, postmortem } = await items.readable(request, request.params.id);
      items.requireChanger(userOf(request), item, postmortem, 'change');
      const { baseVersion, ...fields } = request.body;
      if (Object.keys(fields).length === 0) {
        throw new RequestValidationError([{ path: '', message: 'nothing to change: give at least one field' }]);
      }
      items.checkInput(fields);
      requireVersion(item, baseVersion);
      const patch: ActionItemPatch = {
        ...fields,
        ...(fields.dueAt === undefined || fields.dueAt === null ? {} : { dueAt: new Date(fields.dueAt).toISOString() }),
        // Reopening a finished item clears why it was finished.
        ...(fields.status !== undefined && fields.status !== item.status ? { statusReason: null } : {}),
      };
      return { item: await items.watch(request, await items.update(store, request, item, baseVersion, patch)) };
    },
  );
}

function registerClosing(routes: ZodRoutes, items: ActionItems): void {
  routes.post(
    '/action-items/:id/done',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'completeActionItem',
        summary: 'Mark an action item done; with `verify`, start its verification runbook as an incident',
        security: BEARER_SECURITY,
        params: ItemIdParam,
        body: DoneBody,
        response: {
          200: ItemResponse.extend({
            verificationIncidentId: z.string().optional().describe('the incident started to verify the fix'),
          }).describe('The item, done; with `verify`, its run recorded as pending (the watcher settles it)'),
          ...errorResponses([400, 401, 403, 404, 413, 429], {
            ...UNAVAILABLE,
            409: 'The item changed since `baseVersion`, is not open or in progress, or its verification run is still pending (details.item: the current item; details.verificationIncidentId: the pending run, or the run this call started)',
            422: "The item's verification runbook is not loaded or refuses its params",
          }),
        },
      },
    },
    async (request) => {
      const { store, item, postmortem } = await items.readable(request, request.params.id);
      const user = userOf(request);
      items.requireChanger(user, item, postmortem, 'complete');
      const { baseVersion, reason } = request.body;
      requireVersion(item, baseVersion);
      requireNothingPending(item);
      requireOpen(item, 'done');
      const patch: ActionItemPatch = { status: 'done', statusReason: reason ?? null };
      if (item.verify === undefined) {
        return { item: await items.watch(request, await items.update(store, request, item, baseVersion, patch)) };
      }
      const incidentId = await items.startVerification(request, item, item.verify);
      try {
        const done = await items.update(store, request, item, baseVersion, patch, { incidentId });
        return { item: await items.watch(request, done), verificationIncidentId: incidentId };
      } catch (error) {
        // Someone changed the item between the check and the write: the run has started all the same, and
        // a `done` on the current version joins it (same dedup key) while it is open.
        if (error instanceof ApiError && error.status === 409) {
          throw new ApiError(
            409,
            error.code,
            `${error.message} (verification incident ${incidentId} was started: done on the current version joins it)`,
            undefined,
            {},
            { ...error.details, verificationIncidentId: incidentId },
          );
        }
        throw error;
      }
    },
  );
  routes.post(
    '/action-items/:id/wontdo',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'abandonActionItem',
        summary: "Close an action item as won't-do, saying why",
        security: BEARER_SECURITY,
        params: ItemIdParam,
        body: WontdoBody,
        response: {
          200: ItemResponse.describe("The item, closed as won't-do with the reason"),
          ...errorResponses([400, 401, 403, 404, 413, 429], {
            ...UNAVAILABLE,
            409: 'The item changed since `baseVersion`, or is not open or in progress (details.item: the current item)',
          }),
        },
      },
    },
    async (request) => {
      const { store, item, postmortem } = await items.readable(request, request.params.id);
      items.requireChanger(userOf(request), item, postmortem, "close as won't-do");
      const { baseVersion, reason } = request.body;
      requireVersion(item, baseVersion);
      requireOpen(item, 'wont-do');
      const closed = await items.update(store, request, item, baseVersion, { status: 'wont-do', statusReason: reason });
      return { item: await items.watch(request, closed) };
    },
  );
}

/**
 * 409 while a verification run of the item is still pending: a second run would race the first to settle
 * the item. The message names the incident to wait for.
 */
function requireNothingPending(item: ActionItem): void {
  const [pending] = unsettledRuns(item);
  if (pending === undefined) return;
  throw new ApiError(
    409,
    ApiErrorCode.Conflict,
    `action item ${item.id} is still being verified by incident ${pending}: wait for it to finish (firebreak incident show ${pending}); the item is then verified, or reopened with the reason`,
    undefined,
    {},
    { item, verificationIncidentId: pending },
  );
}

/** The owner names that are the user: their roster id and each of their roles as `role:<name>`. */
function ownerNamesOf(user: AuthenticatedUser): string[] {
  const names = [user.id, ...user.roles.map((role) => `role:${role}`)];
  return names.filter((name) => Owner.safeParse(name).success);
}

/** 409 unless the item is still open or in progress (reopen a finished one with PATCH first). */
function requireOpen(item: ActionItem, to: string): void {
  if (OPEN_ACTION_ITEM_STATUSES.includes(item.status)) return;
  throw new ApiError(
    409,
    ApiErrorCode.Conflict,
    `action item ${item.id} is ${item.status}, not open or in progress: reopen it (PATCH status open) before marking it ${to}`,
    undefined,
    {},
    { item },
  );
}
