/**
 * The HTTP API: `buildApp(deps)` assembles it without listening, so tests drive it with `app.inject()`.
 * Everything under `/api/v1` is JSON; every refusal has one body shape (src/server/errors.ts); every
 * write request (POST, PUT, PATCH, DELETE) and every read of incident data is audited; authenticated
 * routes take a bearer token (src/server/auth.ts) and reads are authorized (src/server/read-access.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { ApiConfigSchema } from '../config/schema.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../domain/limits.js';
import { rosterMembers, type RosterMember } from '../runbook/roster.js';
import { ScheduleService } from '../schedules/client.js';
import { registerAudit } from './audit.js';
import { registerBearerAuth, type BearerAuth } from './auth.js';
import type { AppDeps } from './deps.js';
import { createErrorHandler, deepBodyError, notFoundHandler } from './errors.js';
import { registerOpenApi, registerOpenApiRoute } from './openapi.js';
import { ReadAccess } from './read-access.js';
import { registerActionItemRoutes } from './routes/action-items.js';
import { registerDocsRoutes } from './routes/docs.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerDrillRoutes } from './routes/drills.js';
import { registerEvidenceRoutes } from './routes/evidence.js';
import { registerIncidentCommandRoutes } from './routes/incident-commands.js';
import { registerIncidentRoutes } from './routes/incidents.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerPostmortemDraftRoutes } from './routes/postmortem-draft.js';
import { registerPostmortemRoutes } from './routes/postmortems.js';
import { registerRunbookRoutes } from './routes/runbooks.js';
import { registerScheduleCommandRoutes } from './routes/schedule-commands.js';
import { registerScheduleRoutes } from './routes/schedules.js';
import { bodyMayBeOmitted } from './routes/shared.js';
import { registerStatusRoutes } from './routes/status.js';
import { validatorCompiler } from './validation.js';
import { registerWebhooks } from './webhooks/index.js';

export type { AppDeps } from './deps.js';
export {
  actorOf,
  mayTrigger,
  requestSource,
  tokenHash,
  userOf,
  type ActorSource,
  type AuthenticatedUser,
  type BearerAuth,
} from './auth.js';
export {
  ApiError,
  ApiErrorCode,
  ErrorBody,
  errorBody,
  errorResponses,
  RequestValidationError,
  sendApiError,
  type ApiIssue,
} from './errors.js';

/** The path prefix of the API. */
export const API_PREFIX = '/api/v1';

/** Builds the API over its dependencies; the caller listens (or injects) and closes it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const api = deps.config.api ?? ApiConfigSchema.parse({});
  const users = [...deps.config.users, ...(deps.extraUsers ?? [])];
  // Typed as fastify's base logger so that the app is a plain FastifyInstance for routes and callers.
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: api.bodyLimit,
    ...(api.trustProxy === undefined ? {} : { trustProxy: api.trustProxy }),
  });
  limitJsonDepth(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(deps.logger, api.bodyLimit));
  app.setNotFoundHandler(notFoundHandler);
  registerAudit(app, deps.audit, deps.logger, deps.now ?? (() => new Date()));
  const auth = registerBearerAuth(app, {
    users,
    maxFailures: api.authFailures.max,
    windowMs: api.authFailures.windowMs,
    logger: deps.logger,
  });
  await registerOpenApi(app);
  const roster: RosterMember[] = rosterMembers(users);
  registerHealthRoutes(app, deps, { hide: true });
  const statusPage = deps.statusPage;
  if (statusPage) {
    // Public and outside /api/v1; its own scope keeps the strict page headers on these routes only.
    await app.register((scope, _options, done) => {
      registerStatusRoutes(scope, statusPage);
      done();
    });
  }
  // The index at / and /api/v1 and the API reference, public like the OpenAPI document; own scope for their CSP.
  await app.register((scope, _options, done) => {
    registerDocsRoutes(scope, { prefix: API_PREFIX, statusPage: statusPage !== undefined });
    done();
  });
  await app.register(
    async (scope) => {
      registerOpenApiRoute(scope);
      registerHealthRoutes(scope, deps);
      await scope.register((webhooks) => registerWebhooks(webhooks, deps), { prefix: '/webhooks' });
      await scope.register((authenticated, _options, done) => {
        registerAuthenticatedRoutes(authenticated, deps, auth, roster);
        done();
      });
    },
    { prefix: API_PREFIX },
  );
  return app;
}

/**
 * JSON bodies are measured before they are parsed: a body nested deeper than `MAX_JSON_DEPTH` is answered
 * 400, because schemas and serializers walk values recursively and a deep enough one exhausts the stack.
 * The parser is fastify's own otherwise (prototype and constructor poisoning refused).
 */
function limitJsonDepth(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
      done(deepBodyError(), undefined);
      return;
    }
    // fastify's JSON parser answers through `done` (it returns nothing to wait for).
    void parse(request, text, done);
  });
}

function registerAuthenticatedRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  auth: BearerAuth,
  roster: readonly RosterMember[],
): void {
  app.addHook('onRequest', auth.requireUser);
  const reads = new ReadAccess({
    access: deps.config.access,
    admins: deps.admins ?? [],
    incidents: deps.incidents,
    runbooks: deps.runbooks,
  });
  // JSON only: fastify would otherwise parse text/plain into a string body (415 instead).
  app.removeContentTypeParser('text/plain');
  // A command without a body (`curl -X POST .../cancel`) is a command with every field left out.
  app.addHook('preValidation', (request, _reply, done) => {
    if (bodyMayBeOmitted(request.method) && (request.body === null || request.body === undefined)) request.body = {};
    done();
  });
  registerRunbookRoutes(app, deps);
  registerIncidentRoutes(app, deps, roster, reads);
  registerIncidentCommandRoutes(app, deps, reads);
  registerMessageRoutes(app, deps, reads);
  registerPostmortemDraftRoutes(app, deps, reads);
  registerDrillRoutes(app, deps, reads);
  registerPostmortemRoutes(app, deps, reads);
  registerEvidenceRoutes(app, deps, reads);
  registerActionItemRoutes(app, deps, roster, reads);
  const schedules = new ScheduleService(deps.temporal.client, deps.temporal.taskQueue);
  registerScheduleRoutes(app, deps, schedules, reads);
  registerScheduleCommandRoutes(app, deps, schedules);
}
