/**
 * The messages of `notify` steps: read an incident's messages, vote on one by its fingerprint, and list
 * the messages awaiting approval across running incidents. A vote is the run's `castVote` Update with the
 * fingerprint as its `textHash`, so the run refuses an approval of bytes that are no longer the message.
 */
import type { FastifyInstance } from 'fastify';
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
import { actorOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
import {
  BEARER_SECURITY,
  CommandResponse,
  ensureIncident,
  IncidentIdParam,
  StepIdParam,
  type ZodRoutes,
} from './shared.js';

/** How long the pending listing waits for one incident's state. */
const STATE_DEADLINE_MS = 5_000;

const MessageParams = IncidentIdParam.extend({ stepId: StepIdParam });

const Fingerprint = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected a message fingerprint (sha256:<64 hex digits>)' });

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
export function registerMessageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerReads(routes, deps);
  registerVote(routes, deps);
  registerPending(routes, deps);
}

function registerReads(routes: ZodRoutes, deps: AppDeps): void {
  routes.get(
    '/incidents/:id/messages',
    {
      schema: {
        tags: ['messages'],
        summary: "The incident's messages: rendered parts, fingerprint, votes and deliveries",
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        response: { 200: z.object({ messages: z.array(MessageRecordSchema) }), ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => ({ messages: messagesOf(await stateOf(deps, request.params.id)) }),
  );
  routes.get(
    '/incidents/:id/messages/:stepId',
    {
      schema: {
        tags: ['messages'],
        summary: "One notify step's message",
        security: BEARER_SECURITY,
        params: MessageParams,
        response: { 200: z.object({ message: MessageRecordSchema }), ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => ({ message: messageOf(await stateOf(deps, request.params.id), request.params.stepId) }),
  );
}

function registerVote(routes: ZodRoutes, deps: AppDeps): void {
  routes.post(
    '/incidents/:id/messages/:stepId/votes',
    {
      schema: {
        tags: ['messages'],
        summary: 'Vote on a message: approve names the fingerprint of the exact message approved',
        security: BEARER_SECURITY,
        params: MessageParams,
        body: MessageVoteBody,
        response: { 200: CommandResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 429) },
      },
    },
    async (request) => {
      const { id, stepId } = request.params;
      // Only a notify step's message is voted on here; an approval step has its own route.
      messageOf(await stateOf(deps, id), stepId);
      const { vote, fingerprint, comment } = request.body;
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

function registerPending(routes: ZodRoutes, deps: AppDeps): void {
  routes.get(
    '/messages/pending',
    {
      schema: {
        tags: ['messages'],
        summary: 'Messages awaiting approval, across running incidents (or in one incident)',
        security: BEARER_SECURITY,
        querystring: PendingQuery,
        response: { 200: PendingMessagesSchema, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => {
      const incident = request.query.incident;
      if (incident === undefined) return pendingMessages(boundedReader(deps));
      return { messages: pendingMessagesOf(await stateOf(deps, incident)), truncated: false, unreadable: [] };
    },
  );
}

/**
 * The incident client with each state query bounded: a run whose worker is down would hold its query
 * (and this listing) for 30 s; past the deadline it is listed as unreadable instead.
 */
function boundedReader(deps: AppDeps): IncidentReader {
  const connection = deps.temporal.client.connection;
  return {
    list: (filter) => deps.incidents.list(filter),
    state: (incidentId) =>
      connection.withDeadline(Date.now() + STATE_DEADLINE_MS, () => deps.incidents.state(incidentId)),
  };
}

/** The state of an existing incident (404 otherwise). */
async function stateOf(deps: AppDeps, incidentId: string): Promise<IncidentState> {
  await ensureIncident(deps, incidentId);
  return deps.incidents.state(incidentId);
}

/** A step's message, or 404 saying why there is none. */
function messageOf(state: IncidentState, stepId: string): MessageRecord {
  const found = findMessage(state, stepId);
  if (!found.ok) throw new ApiError(404, ApiErrorCode.NotFound, found.reason);
  return found.message;
}
