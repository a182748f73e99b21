/**
 * The human commands on an incident: cancel, complete a task, set a fact, record a decision, vote on an
 * approval. Each is sent as a Temporal Update carrying the authenticated identity; the run decides
 * whether that identity may act, and its refusals come back as 403, 404, 409 or 400.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkValueLimits } from '../../domain/limits.js';
import type { CommandResult } from '../../domain/state.js';
import { JsonValue } from '../../runbook/schema.js';
import { actorOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { errorResponses } from '../errors.js';
import type { ReadAccess } from '../read-access.js';
import { BEARER_SECURITY, COMMAND_TAKEN, IncidentIdParam, StepIdParam, type ZodRoutes } from './shared.js';

const Text = (max: number) => z.string().min(1).max(max);
const FactName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: 'expected a fact name' });
/** A fact's value: any JSON within the value limits, refused with where in the value and which limit. */
const FactValue = JsonValue.superRefine((value, ctx) => {
  const problem = checkValueLimits(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

const CancelBody = z.strictObject({ reason: Text(2000).optional() });
const TaskBody = z.strictObject({
  facts: z.record(FactName, z.strictObject({ value: FactValue, confirmed: z.boolean().optional() })).optional(),
  note: Text(10_000).optional(),
});
const SetFactBody = z.strictObject({ name: FactName, value: FactValue, confirmed: z.boolean().optional() });
const DecisionBody = z.strictObject({ decision: Text(200), option: Text(200).optional() });
const VoteBody = z.strictObject({
  vote: z.enum(['approve', 'reject']),
  comment: Text(2000).optional(),
  textHash: z.string().max(200).optional().describe('refuses the vote unless the approval text still has this hash'),
});

const StepParams = IncidentIdParam.extend({ stepId: StepIdParam });

const COMMAND_ERRORS = errorResponses([400, 401, 403, 404, 409, 413, 429]);

function commandSchema(operationId: string, summary: string) {
  return {
    tags: ['incident commands'],
    operationId,
    summary,
    security: BEARER_SECURITY,
    response: { 200: COMMAND_TAKEN, ...COMMAND_ERRORS },
  };
}

/** Registers the command routes. Fields left out stay out: Temporal's JSON payloads drop undefined. */
export function registerIncidentCommandRoutes(app: FastifyInstance, deps: AppDeps, reads: ReadAccess): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerCancelAndFacts(routes, deps, reads);
  registerGates(routes, deps, reads);
}

function registerCancelAndFacts(routes: ZodRoutes, deps: AppDeps, reads: ReadAccess): void {
  routes.post(
    '/incidents/:id/cancel',
    {
      schema: { ...commandSchema('cancelIncident', 'Cancel the incident'), params: IncidentIdParam, body: CancelBody },
    },
    (request) => {
      const actor = actorOf(request);
      const reason = request.body.reason ?? `cancelled by ${actor.id}`;
      return run(reads, request, request.params.id, (id) => deps.incidents.cancel(id, { actor, reason }));
    },
  );
  routes.post(
    '/incidents/:id/facts',
    { schema: { ...commandSchema('setFact', 'Set a fact'), params: IncidentIdParam, body: SetFactBody } },
    (request) => {
      const command = { actor: actorOf(request), ...request.body };
      return run(reads, request, request.params.id, (id) => deps.incidents.setFact(id, command));
    },
  );
}

/** The routes that act on a human gate: a task, a decision, an approval. */
function registerGates(routes: ZodRoutes, deps: AppDeps, reads: ReadAccess): void {
  routes.post(
    '/incidents/:id/tasks/:stepId/complete',
    {
      schema: {
        ...commandSchema('completeTask', 'Complete a task, with the facts it sets'),
        params: StepParams,
        body: TaskBody,
      },
    },
    (request) => {
      const command = { actor: actorOf(request), step: request.params.stepId, ...request.body };
      return run(reads, request, request.params.id, (id) => deps.incidents.completeTask(id, command));
    },
  );
  routes.post(
    '/incidents/:id/decisions',
    {
      schema: { ...commandSchema('recordDecision', 'Record a decision'), params: IncidentIdParam, body: DecisionBody },
    },
    (request) => {
      const command = { actor: actorOf(request), ...request.body };
      return run(reads, request, request.params.id, (id) => deps.incidents.recordDecision(id, command));
    },
  );
  routes.post(
    '/incidents/:id/approvals/:stepId',
    { schema: { ...commandSchema('voteOnApproval', 'Vote on an approval'), params: StepParams, body: VoteBody } },
    (request) => {
      const command = { actor: actorOf(request), step: request.params.stepId, ...request.body };
      return run(reads, request, request.params.id, (id) => deps.incidents.vote(id, command));
    },
  );
}

/**
 * Sends a command to an incident the caller may read; one they may not read answers 404 like an unknown id,
 * so a command never confirms that an incident exists. The run's refusals are mapped by the error handler.
 */
async function run(
  reads: ReadAccess,
  request: FastifyRequest,
  incidentId: string,
  send: (incidentId: string) => Promise<CommandResult>,
): Promise<CommandResult> {
  await reads.authorizeIncident(request, incidentId);
  const result = await send(incidentId);
  return { ok: true, message: result.message };
}
