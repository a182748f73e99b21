/** `GET /runbooks` and `GET /runbooks/{id}`: the runbooks the server loaded, as summaries and as compiled plans. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { kindOfPlan, PARAM_TYPES, RUN_KINDS, SEVERITIES, type Plan } from '../../domain/plan.js';
import { JsonValue } from '../../runbook/schema.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
import { BEARER_SECURITY, RunbookIdText, schemaOf } from './shared.js';

const ParamSummary = z.object({
  type: z.enum(PARAM_TYPES),
  required: z.boolean(),
  default: JsonValue.optional(),
  enum: z.array(z.string()).optional(),
  description: z.string().optional(),
});

/** A runbook as `GET /runbooks` lists it. */
export const RunbookSummary = z.object({
  id: z.string(),
  title: z.string(),
  version: z.int(),
  severity: z.enum(SEVERITIES),
  kind: z.enum(RUN_KINDS).describe('what its runs are: incidents, or scheduled jobs (backups, drills)'),
  description: z.string().optional(),
  tags: z.array(z.string()),
  contentHash: z.string().describe('sha256:<hex> of the runbook file'),
  params: z.record(z.string(), ParamSummary),
  roles: z.array(z.string()),
});
export type RunbookSummary = z.infer<typeof RunbookSummary>;

/** A compiled plan; loose, so that every field of the plan is returned as compiled. */
const PlanSchema = schemaOf<Plan>(
  z.looseObject({
    format: z.int(),
    runbookId: z.string(),
    title: z.string(),
    version: z.int(),
    contentHash: z.string(),
    severity: z.enum(SEVERITIES),
    params: z.record(z.string(), z.looseObject({ type: z.string(), required: z.boolean() })),
    roles: z.record(z.string(), z.looseObject({ members: z.array(z.string()) })),
    steps: z.array(z.looseObject({ id: z.string(), kind: z.string(), title: z.string() })),
  }),
);

/** The summary of a compiled plan. */
export function summarizeRunbook(plan: Plan): RunbookSummary {
  const params = Object.fromEntries(
    Object.entries(plan.params).map(([name, param]) => [
      name,
      {
        type: param.type,
        required: param.required,
        ...(param.default === undefined ? {} : { default: param.default }),
        ...(param.enum === undefined ? {} : { enum: [...param.enum] }),
        ...(param.description === undefined ? {} : { description: param.description }),
      },
    ]),
  );
  return {
    id: plan.runbookId,
    title: plan.title,
    version: plan.version,
    severity: plan.severity,
    kind: kindOfPlan(plan),
    ...(plan.description === undefined ? {} : { description: plan.description }),
    tags: [...plan.tags],
    contentHash: plan.contentHash,
    params,
    roles: Object.keys(plan.roles).sort(),
  };
}

/** Registers the runbook routes. */
export function registerRunbookRoutes(app: FastifyInstance, deps: AppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/runbooks',
    {
      schema: {
        tags: ['runbooks'],
        operationId: 'listRunbooks',
        summary: 'The loaded runbooks',
        security: BEARER_SECURITY,
        response: {
          200: z.object({ runbooks: z.array(RunbookSummary) }).describe('The loaded runbooks, sorted by id'),
          ...errorResponses([401, 429]),
        },
      },
    },
    () => {
      const runbooks = deps.runbooks
        .list()
        .map(({ plan }) => summarizeRunbook(plan))
        .sort((a, b) => a.id.localeCompare(b.id));
      return { runbooks };
    },
  );
  routes.get(
    '/runbooks/:id',
    {
      schema: {
        tags: ['runbooks'],
        operationId: 'getRunbook',
        summary: 'A runbook as compiled: the plan a trigger freezes into the run',
        security: BEARER_SECURITY,
        params: z.strictObject({ id: RunbookIdText }),
        response: {
          200: z.object({ runbook: PlanSchema }).describe('The compiled plan'),
          ...errorResponses([400, 401, 404, 429]),
        },
      },
    },
    (request) => {
      const loaded = deps.runbooks.get(request.params.id);
      if (!loaded) throw new ApiError(404, ApiErrorCode.NotFound, `no runbook ${request.params.id}`);
      return { runbook: loaded.plan };
    },
  );
}
