/**
 * `GET /drills/{runbook}`: a drill runbook's recorded results, newest first, with the trend; for whoever may
 * read the runbook's schedules and drill history (src/server/read-access.ts), else 403.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DrillRecordSchema } from '../../backup/drills/drill.js';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_STALE_DAYS, drillTrend, readDrillHistory } from '../../backup/drills/history.js';
import { userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
import type { ReadAccess } from '../read-access.js';
import { BEARER_SECURITY, RunbookIdText } from './shared.js';

const Ms = z.number().nullable();

/** The trend over the records read. */
const DrillTrendSchema = z.object({
  drills: z.int(),
  passed: z.int(),
  failed: z.int(),
  passRate: z.number().nullable(),
  last: z.object({ at: z.string(), status: z.enum(['passed', 'failed']), rtoMs: Ms, rpoMs: Ms }).nullable(),
  medianRtoMs: Ms,
  medianRpoMs: Ms,
  lastPassedAt: z.string().nullable(),
  daysSinceLastPass: Ms,
  staleDays: z.int(),
  alarm: z.string().nullable().describe('Set when no drill passed in staleDays'),
});

/** The answer of `GET /drills/{runbook}`. */
export const DrillHistoryResponse = z.object({
  runbook: z.string(),
  records: z.array(DrillRecordSchema),
  total: z.int().describe('Records stored; the newest `limit` are returned'),
  lastPassedAt: z.string().nullable(),
  unreadable: z.array(z.object({ key: z.string(), reason: z.string() })),
  trend: DrillTrendSchema,
});

const Query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(DEFAULT_HISTORY_LIMIT),
  staleDays: z.coerce.number().int().min(1).max(3650).default(DEFAULT_STALE_DAYS),
});

/** Registers the drill history route; it answers 404 when the server has no blob store. */
export function registerDrillRoutes(app: FastifyInstance, deps: AppDeps, reads: ReadAccess): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/drills/:runbook',
    {
      schema: {
        tags: ['drills'],
        operationId: 'getDrillHistory',
        summary: "A drill runbook's results, newest first, with RTO, RPO and the trend",
        security: BEARER_SECURITY,
        params: z.strictObject({ runbook: RunbookIdText }),
        querystring: Query,
        response: {
          200: DrillHistoryResponse.describe('The drill results, newest first, and the trend'),
          ...errorResponses([400, 401, 403, 404, 429]),
        },
      },
    },
    async (request) => {
      const store = deps.store;
      if (store === undefined)
        throw new ApiError(404, ApiErrorCode.NotFound, 'this server has no blob store configured');
      const { runbook } = request.params;
      // Runbook ids are no secret (GET /runbooks lists them), so a refusal can say what it refuses.
      const user = userOf(request);
      if (!reads.mayReadRunbook(user, runbook)) {
        throw new ApiError(403, ApiErrorCode.Forbidden, `${user.id} may not read the drill history of ${runbook}`);
      }
      const history = await readDrillHistory(store, runbook, request.query.limit);
      return { ...history, trend: drillTrend(history, deps.now?.() ?? new Date(), request.query.staleDays) };
    },
  );
}
