/** `GET /healthz` (the process is up) and `GET /readyz` (Temporal answers and a worker polls), without auth. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { checkReadiness } from '../readiness.js';

const Check = z.object({ ok: z.boolean(), message: z.string() });
const ReadinessBody = z.object({ ready: z.boolean(), checks: z.object({ temporal: Check, worker: Check }) });

/** Registers the health routes; `hide` keeps aliases (the same routes at the root) out of the OpenAPI document. */
export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps, options: { hide?: boolean } = {}): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const now = deps.now ?? (() => new Date());
  routes.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getHealth',
        summary: 'The process is up',
        hide: options.hide ?? false,
        security: [],
        response: { 200: z.object({ ok: z.literal(true) }).describe('The process is up') },
      },
    },
    () => ({ ok: true as const }),
  );
  routes.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Temporal answers and a worker polls the incident task queue',
        hide: options.hide ?? false,
        security: [],
        response: {
          200: ReadinessBody.describe('Ready: Temporal answers and a worker polls the incident task queue'),
          503: ReadinessBody.describe('Not ready: `checks` says what is missing'),
        },
      },
    },
    async (_request, reply) => {
      const readiness = await checkReadiness(deps.temporal, now());
      return reply.code(readiness.ready ? 200 : 503).send(readiness);
    },
  );
}
