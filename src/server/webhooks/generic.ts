/**
 * `POST /webhooks/generic`: any JSON, authenticated by an HMAC-SHA256 signature over the raw body (see
 * src/alerts/signature.ts), never by a bearer token. The route keeps the body as bytes: it is verified
 * before it is parsed, and a refusal says only which class of check failed.
 */
import type { FastifyInstance } from 'fastify';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { genericAlerts } from '../../alerts/generic.js';
import { verifySignature } from '../../alerts/signature.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../../domain/limits.js';
import type { JsonValue } from '../../domain/plan.js';
import type { Actor } from '../../domain/state.js';
import { ApiError, ApiErrorCode, deepBodyError, errorResponses } from '../errors.js';
import { noteIncident } from './alertmanager.js';
import { deliverAlerts, type WebhookServices } from './deliveries.js';
import { WebhookAnswerSchema } from './schemas.js';

/** The identity generic deliveries act as; `:` cannot appear in roster ids, so it is nobody's. */
export const GENERIC_WEBHOOK_ACTOR: Actor = { id: 'webhook:generic', source: 'webhook' };

/** What the generic receiver verifies with: the resolved secrets (never logged) and the clock. */
export interface GenericReceiverOptions {
  secrets: readonly string[];
  bodyLimit: number;
  now: () => Date;
  /** Refused deliveries allowed per client address within the window, then 429 (as for bad tokens). */
  failures: { max: number; windowMs: number };
}

/** Registers the generic receiver in a scope of its own, whose only body parser keeps the raw bytes. */
export async function registerGenericReceiver(
  app: FastifyInstance,
  services: WebhookServices,
  options: GenericReceiverOptions,
): Promise<void> {
  const limiter = new RateLimiterMemory({
    points: options.failures.max,
    duration: Math.max(1, Math.ceil(options.failures.windowMs / 1000)),
  });
  await app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      '/generic',
      {
        bodyLimit: options.bodyLimit,
        schema: {
          tags: ['webhooks'],
          summary: 'Receive any JSON alert, signed: X-Firebreak-Timestamp, X-Firebreak-Signature, X-Firebreak-Delivery',
          response: {
            200: WebhookAnswerSchema,
            202: WebhookAnswerSchema,
            ...errorResponses(400, 401, 413, 422, 429, 503),
          },
        },
      },
      async (request, reply) => {
        request.auditNote.source = 'webhook';
        // An address that keeps failing the signature gets 429 until its window ends, so secrets cannot be
        // guessed at line rate; valid deliveries from other addresses are unaffected.
        const blocked = await limiter.get(request.ip);
        if (blocked && blocked.consumedPoints >= options.failures.max) {
          const seconds = Math.max(1, Math.ceil(blocked.msBeforeNext / 1000));
          reply.header('retry-after', String(seconds));
          throw new ApiError(
            429,
            ApiErrorCode.RateLimited,
            `too many refused deliveries from this address; retry in ${seconds}s`,
          );
        }
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const verified = verifySignature(
          { headers: request.headers, body: raw },
          { secrets: options.secrets, now: () => options.now().getTime() },
        );
        if (!verified.ok) {
          await limiter.penalty(request.ip);
          services.logger.warn({ ip: request.ip, reason: verified.reason }, 'generic webhook refused');
          throw new ApiError(401, ApiErrorCode.Unauthenticated, `delivery refused: ${verified.reason}`);
        }
        request.user = { id: GENERIC_WEBHOOK_ACTOR.id, roles: [] };
        const alerts = genericAlerts(parseJson(raw), verified.deliveryId);
        if (!alerts.ok) throw new ApiError(400, ApiErrorCode.InvalidInput, alerts.message);
        const sender = {
          receiver: 'generic' as const,
          actor: GENERIC_WEBHOOK_ACTOR,
          user: null,
          path: request.routeOptions.url ?? request.url,
        };
        const answer = await deliverAlerts(services, sender, alerts.alerts);
        noteIncident(request.auditNote, answer);
        return reply.code(answer.status).send(answer.body);
      },
    );
    done();
  });
}

function parseJson(raw: Buffer): JsonValue {
  const text = raw.toString('utf8');
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) throw deepBodyError();
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new ApiError(400, ApiErrorCode.InvalidInput, 'the request body is not valid JSON');
  }
}
