/**
 * `POST /incidents` (trigger, deduplicated by key), `GET /incidents` (list, only the incidents the caller
 * may read) and `GET /incidents/{id}` (state, 404 unless the caller may read it; audited).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RUN_KINDS, SEVERITIES } from '../../domain/plan.js';
import { prepareIncident } from '../../incidents/prepare.js';
import type { RosterMember } from '../../runbook/roster.js';
import { JsonValue } from '../../runbook/schema.js';
import { validateTriggerParams } from '../../runbook/trigger-params.js';
import type { SecretCatalog } from '../../secrets/declared.js';
import { actorOf, mayTrigger, userOf } from '../auth.js';
import { secretCatalogOf, type AppDeps } from '../deps.js';
import type { ReadAccess } from '../read-access.js';
import { ApiError, ApiErrorCode, errorResponses, RequestValidationError, type ApiIssue } from '../errors.js';
import { INCIDENT_STATUSES, IncidentStateSchema, IncidentSummarySchema } from './incident-schemas.js';
import { BEARER_SECURITY, IncidentIdParam, RunbookIdText, type ZodRoutes } from './shared.js';

const TriggerBody = z.strictObject({
  runbook: z.string().min(1).max(200),
  params: z.record(z.string(), JsonValue).optional(),
  severity: z.enum(SEVERITIES).optional().describe('overrides the runbook severity'),
  dedupKey: z.string().min(1).max(256).optional().describe('triggers with the same key meet in one open incident'),
});

const TriggerResponse = z.object({ incidentId: z.string(), created: z.boolean() });

const ListQuery = z.strictObject({
  status: z.enum(INCIDENT_STATUSES).optional(),
  runbook: RunbookIdText.optional(),
  severity: z.enum(SEVERITIES).optional(),
  kind: z
    .enum([...RUN_KINDS, 'all'])
    .default('incident')
    .describe('incident (default), job (scheduled backups and drills) or all; runs from before kinds are incidents'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** Registers the incident routes. */
export function registerIncidentRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  roster: readonly RosterMember[],
  reads: ReadAccess,
): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerTrigger(routes, deps, roster);
  registerReads(routes, deps, reads);
}

function registerTrigger(routes: ZodRoutes, deps: AppDeps, roster: readonly RosterMember[]): void {
  routes.post(
    '/incidents',
    {
      // Validation issues are attached, not thrown, so that param problems can be listed with them.
      attachValidation: true,
      schema: {
        tags: ['incidents'],
        operationId: 'triggerIncident',
        summary: 'Trigger an incident (or join the open one holding the same dedup key)',
        security: BEARER_SECURITY,
        body: TriggerBody,
        response: {
          200: TriggerResponse.describe('An incident holding the same dedupKey is still open: its id (created: false)'),
          201: TriggerResponse.describe('A new incident (created: true)'),
          ...errorResponses([400, 401, 403, 404, 413, 429]),
        },
      },
    },
    async (request, reply) => {
      const result = await trigger(deps, roster, request);
      request.auditNote.incidentId = result.incidentId;
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );
}

const ListResponse = z.object({
  incidents: z.array(IncidentSummarySchema),
  truncated: z.boolean().describe('more incidents matched than were examined; some you may read can be missing'),
});

function registerReads(routes: ZodRoutes, deps: AppDeps, reads: ReadAccess): void {
  routes.get(
    '/incidents',
    {
      config: { auditRead: true },
      schema: {
        tags: ['incidents'],
        operationId: 'listIncidents',
        summary: 'Incidents you may read, newest first',
        security: BEARER_SECURITY,
        querystring: ListQuery,
        response: {
          200: ListResponse.describe('The incidents you may read, newest first'),
          ...errorResponses([400, 401, 429]),
        },
      },
    },
    (request) => reads.listReadable(userOf(request), request.query),
  );
  routes.get(
    '/incidents/:id',
    {
      config: { auditRead: true },
      schema: {
        tags: ['incidents'],
        operationId: 'getIncident',
        summary: 'The whole incident: steps, facts, decisions, approvals, deadlines and timeline',
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        response: {
          200: z.object({ incident: IncidentStateSchema }).describe("The incident's state"),
          ...errorResponses([400, 401, 404, 429]),
        },
      },
    },
    async (request) => {
      await reads.authorizeIncident(request, request.params.id);
      return { incident: await deps.incidents.state(request.params.id) };
    },
  );
}

/** Checks, in order: permission on a known runbook (403), the body (400), the runbook (404), params (400). */
async function trigger(deps: AppDeps, roster: readonly RosterMember[], request: FastifyRequest) {
  const user = userOf(request);
  const raw = request.body as Record<string, unknown> | null | undefined;
  const runbookId = typeof raw?.runbook === 'string' ? raw.runbook : undefined;
  const loaded = runbookId === undefined ? undefined : deps.runbooks.get(runbookId);
  if (loaded && !mayTrigger(deps.config.access, user, loaded.plan.runbookId)) {
    throw new ApiError(403, ApiErrorCode.Forbidden, `${user.id} may not trigger ${loaded.plan.runbookId}`);
  }
  if (request.validationError)
    throw new RequestValidationError(bodyIssues(request.validationError, loaded, raw, secretCatalogOf(deps)));
  const body = request.body as z.output<typeof TriggerBody>;
  if (!loaded) throw new ApiError(404, ApiErrorCode.NotFound, `no runbook ${body.runbook}`);
  const prepared = prepareIncident(
    new Map([[body.runbook, loaded]]),
    roster,
    {
      runbook: body.runbook,
      params: body.params ?? {},
      actor: actorOf(request),
      ...(body.severity === undefined ? {} : { severity: body.severity }),
      ...(body.dedupKey === undefined ? {} : { dedupKey: body.dedupKey }),
    },
    secretCatalogOf(deps),
  );
  if (!prepared.ok) throw new RequestValidationError(prepared.problems);
  return deps.incidents.trigger(prepared.start);
}

/** The body's own issues, plus the param problems when the runbook is known and the params are an object. */
function bodyIssues(
  error: Error,
  loaded: ReturnType<AppDeps['runbooks']['get']>,
  raw: Record<string, unknown> | null | undefined,
  secrets: SecretCatalog,
): ApiIssue[] {
  const issues = error instanceof RequestValidationError ? [...(error.issues ?? [])] : [];
  const params = raw?.params ?? {};
  if (loaded === undefined || params === null || typeof params !== 'object' || Array.isArray(params)) return issues;
  const checked = validateTriggerParams(loaded.plan, params as Record<string, unknown>, secrets);
  const known = new Set(issues.map((issue) => issue.path));
  if (!checked.ok) issues.push(...checked.issues.filter((issue) => !known.has(issue.path)));
  return issues;
}
