/**
 * The messages of `notify` steps: read an incident's messages, vote on one by its fingerprint, and list
 * the messages awaiting approval across running incidents. A vote is the run's `castVote` Update with the
 * fingerprint as its `textHash`, so the run refuses an approval of bytes that are no longer the message.
 * Every route reads an incident only for a caller who may read it (404 otherwise), and is audited.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IncidentState, MessageRecord } from '../../domain/state.js';
import {
  findMessage,
  messagesOf,
  pendingMessages,
  pendingMessagesOf,
  type IncidentReader,
} from '../../incidents/messages.js';
import { MessageRecordSchema, PendingMessagesSchema } from '../../incidents/state-schema.js';
import { actorOf, userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
import type { ReadAccess } from '../read-access.js';
import { BEARER_SECURITY, COMMAND_TAKEN, IncidentIdParam, StepIdParam, type ZodRoutes } from './shared.js';

/** How long the pending listing waits for one incident's state. */
const STATE_DEADLINE_MS = 5_000;

const MessageParams = IncidentIdParam.extend({ stepId: StepIdParam });

/** The fewest hex digits a fingerprint prefix may have: 64 bits, and what `comms pending` prints. */
const MIN_PREFIX_DIGITS = 16;

const Fingerprint = z.string().regex(new RegExp(`^sha256:[0-9a-f]{${MIN_PREFIX_DIGITS},64}$`), {
  error: `expected a message fingerprint (sha256:<64 hex digits>, or its first ${MIN_PREFIX_DIGITS} or more digits)`,
});

const MessageVoteBody = z
  .strictObject({
    vote: z.enum(['approve', 'reject']),
    fingerprint: Fingerprint.optional().describe('the fingerprint of the message voted on; required to approve'),
    comment: z.string().min(1).max(2000).optional(),
  })
  .superRefine((body, context) => {
    if (body.vote === 'approve' && body.fingerprint === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['fingerprint'],
        message: 'required to approve: the fingerprint of the message you approve (GET .../messages/{stepId})',
      });
    }
  });

const PendingQuery = z.strictObject({ incident: IncidentIdParam.shape.id.optional() });

/** Registers the message routes. */
export function registerMessageRoutes(app: FastifyInstance, deps: AppDeps, reads: ReadAccess): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const stateOf = readableState(deps, reads);
  registerReads(routes, stateOf);
  registerVote(routes, deps, stateOf);
  registerPending(routes, deps, reads, stateOf);
}

/** Reads an incident's state for a request: 404 unless the incident exists and the caller may read it. */
type StateReader = (request: FastifyRequest, incidentId: string) => Promise<IncidentState>;

function readableState(deps: AppDeps, reads: ReadAccess): StateReader {
  return async (request, incidentId) => {
    await reads.authorizeIncident(request, incidentId);
    return deps.incidents.state(incidentId);
  };
}

function registerReads(routes: ZodRoutes, stateOf: StateReader): void {
  routes.get(
    '/incidents/:id/messages',
    {
      config: { auditRead: true },
      schema: {
        tags: ['messages'],
        operationId: 'listMessages',
        summary: "The incident's messages: rendered parts, fingerprint, votes and deliveries",
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        response: {
          200: z.object({ messages: z.array(MessageRecordSchema) }).describe("The incident's messages"),
          ...errorResponses([400, 401, 404, 429]),
        },
      },
    },
    async (request) => ({ messages: messagesOf(await stateOf(request, request.params.id)) }),
  );
  routes.get(
    '/incidents/:id/messages/:stepId',
    {
      config: { auditRead: true },
      schema: {
        tags: ['messages'],
        operationId: 'getMessage',
        summary: "One notify step's message",
        security: BEARER_SECURITY,
        params: MessageParams,
        response: {
          200: z.object({ message: MessageRecordSchema }).describe("The step's message"),
          ...errorResponses([400, 401, 404, 429]),
        },
      },
    },
    async (request) => ({ message: messageOf(await stateOf(request, request.params.id), request.params.stepId) }),
  );
}

function registerVote(routes: ZodRoutes, deps: AppDeps, stateOf: StateReader): void {
  routes.post(
    '/incidents/:id/messages/:stepId/votes',
    {
      schema: {
        tags: ['messages'],
        operationId: 'voteOnMessage',
        summary: 'Vote on a message: approve names the fingerprint of the exact message approved',
        security: BEARER_SECURITY,
        params: MessageParams,
        body: MessageVoteBody,
        response: { 200: COMMAND_TAKEN, ...errorResponses([400, 401, 403, 404, 409, 413, 429]) },
      },
    },
    async (request) => {
      const { id, stepId } = request.params;
      // Only a notify step's message is voted on here; an approval step has its own route.
      const message = messageOf(await stateOf(request, id), stepId);
      const { vote, comment } = request.body;
      const fingerprint = completeFingerprint(request.body.fingerprint, message);
      const result = await deps.incidents.vote(id, {
        actor: actorOf(request),
        step: stepId,
        vote,
        ...(comment === undefined ? {} : { comment }),
        ...(fingerprint === undefined ? {} : { textHash: fingerprint }),
      });
      return { ok: true as const, message: result.message };
    },
  );
}

function registerPending(routes: ZodRoutes, deps: AppDeps, reads: ReadAccess, stateOf: StateReader): void {
  routes.get(
    '/messages/pending',
    {
      config: { auditRead: true },
      schema: {
        tags: ['messages'],
        operationId: 'listPendingMessages',
        summary: 'Messages awaiting approval, across the running incidents you may read (or in one incident)',
        security: BEARER_SECURITY,
        querystring: PendingQuery,
        response: {
          200: PendingMessagesSchema.describe('The messages awaiting approval, newest incident first'),
          ...errorResponses([400, 401, 404, 429]),
        },
      },
    },
    async (request) => {
      const incident = request.query.incident;
      if (incident !== undefined) {
        return { messages: pendingMessagesOf(await stateOf(request, incident)), truncated: false, unreadable: [] };
      }
      const reader = boundedReader(deps, reads, request);
      const pending = await pendingMessages(reader);
      return { ...pending, truncated: pending.truncated || reader.truncated() };
    },
  );
}

/**
 * The incident client as the caller sees it: only the incidents they may read are listed, and each state
 * query is bounded (a run whose worker is down would hold its query, and this listing, for 30 s; past the
 * deadline it is listed as unreadable instead). `truncated()` tells whether the listing stopped early.
 */
function boundedReader(
  deps: AppDeps,
  reads: ReadAccess,
  request: FastifyRequest,
): IncidentReader & { truncated(): boolean } {
  const connection = deps.temporal.client.connection;
  let truncated = false;
  return {
    list: async (filter) => {
      const listed = await reads.listReadable(userOf(request), filter);
      truncated ||= listed.truncated;
      return listed.incidents;
    },
    state: (incidentId) =>
      connection.withDeadline(Date.now() + STATE_DEADLINE_MS, () => deps.incidents.state(incidentId)),
    truncated: () => truncated,
  };
}

/** A step's message, or 404 saying why there is none. */
/**
 * A prefix names the message's current fingerprint when it starts it; the Update then carries the whole
 * fingerprint, so the run still checks it against the text it shows when the vote arrives. A prefix of
 * another text is passed on as written, and the run refuses it like any stale fingerprint.
 */
function completeFingerprint(given: string | undefined, message: MessageRecord): string | undefined {
  const current = message.fingerprint;
  if (given === undefined || current === undefined || given.length === current.length) return given;
  return current.startsWith(given) ? current : given;
}

function messageOf(state: IncidentState, stepId: string): MessageRecord {
  const found = findMessage(state, stepId);
  if (!found.ok) throw new ApiError(404, ApiErrorCode.NotFound, found.reason);
  return found.message;
}
