/**
 * `POST /webhooks/generic`: any JSON, authenticated by an HMAC-SHA256 signature over the raw body (see
 * src/alerts/signature.ts), never by a bearer token. The route keeps the body as bytes: it is verified
 * before it is parsed, and a refusal says only which class of check failed.
 */
import type { FastifyInstance } from 'fastify';
import { genericAlerts } from '../../alerts/generic.js';
import { verifySignature } from '../../alerts/signature.js';
import type { JsonValue } from '../../domain/plan.js';
import type { Actor } from '../../domain/state.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
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
}

/** Registers the generic receiver in a scope of its own, whose only body parser keeps the raw bytes. */
export async function registerGenericReceiver(
  app: FastifyInstance,
  services: WebhookServices,
  options: GenericReceiverOptions,
): Promise<void> {
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
          response: { 200: WebhookAnswerSchema, 202: WebhookAnswerSchema, ...errorResponses(400, 401, 413, 422, 503) },
        },
      },
      async (request, reply) => {
        request.auditNote.source = 'webhook';
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const verified = verifySignature(
          { headers: request.headers, body: raw },
          { secrets: options.secrets, now: () => options.now().getTime() },
        );
        if (!verified.ok) {
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
  try {
    return JSON.parse(raw.toString('utf8')) as JsonValue;
  } catch {
    throw new ApiError(400, ApiErrorCode.InvalidInput, 'the request body is not valid JSON');
  }
}
