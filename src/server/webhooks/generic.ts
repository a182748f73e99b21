/**
 * `POST /webhooks/generic`: any JSON, authenticated by an HMAC-SHA256 signature over the delivery id and the
 * raw body (see src/alerts/signature.ts), never by a bearer token. The route keeps the body as bytes: it is
 * verified before it is parsed, and a refusal says only which class of check failed. A delivery's content
 * is taken once within its signature window (src/server/webhooks/replay-guard.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { genericAlerts } from '../../alerts/generic.js';
import {
  deliveryContentKey,
  SIGNATURE_HEADERS,
  SIGNATURE_TOLERANCE_SECONDS,
  verifySignature,
} from '../../alerts/signature.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../../domain/limits.js';
import type { JsonValue } from '../../domain/plan.js';
import { JsonValue as JsonValueSchema } from '../../runbook/schema.js';
import type { Actor } from '../../domain/state.js';
import { ApiError, ApiErrorCode, deepBodyError, errorResponses } from '../errors.js';
import { FailureLimiter } from '../failure-limiter.js';
import { documentedOnly } from '../openapi.js';
import { noteIncident } from './alertmanager.js';
import { deliverAlerts, type WebhookAnswer, type WebhookServices } from './deliveries.js';
import type { ReplayGuard } from './replay-guard.js';
import { SignatureHeadersDoc, webhookAnswers, WEBHOOK_ERRORS } from './schemas.js';

/** The identity generic deliveries act as; `:` cannot appear in roster ids, so it is nobody's. */
export const GENERIC_WEBHOOK_ACTOR: Actor = { id: 'webhook:generic', source: 'webhook' };

/** What the generic receiver verifies with: the resolved secrets (never logged) and the clock. */
export interface GenericReceiverOptions {
  secrets: readonly string[];
  bodyLimit: number;
  now: () => Date;
  /** Refused deliveries allowed per signature and per client address within the window (as for bad tokens). */
  failures: { max: number; windowMs: number };
  /** Take v1 signatures, which do not sign the delivery id (`webhooks.generic.acceptV1Signatures`). */
  acceptV1: boolean;
  /** Refuses a delivery's content seen before under another id, and answers a retry as the first. */
  replays: ReplayGuard;
}

/** Registers the generic receiver in a scope of its own, whose only body parser keeps the raw bytes. */
export async function registerGenericReceiver(
  app: FastifyInstance,
  services: WebhookServices,
  options: GenericReceiverOptions,
): Promise<void> {
  const failures = new FailureLimiter(options.failures);
  await app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      '/generic',
      {
        bodyLimit: options.bodyLimit,
        // The body stays bytes until its signature is verified: the document describes it and the headers.
        config: { swaggerTransform: documentedOnly({ body: JsonValueSchema, headers: SignatureHeadersDoc }) },
        schema: {
          tags: ['webhooks'],
          operationId: 'receiveGenericAlert',
          summary: 'Receive any JSON alert, signed: X-Firebreak-Timestamp, X-Firebreak-Signature, X-Firebreak-Delivery',
          description:
            'The body is any JSON: an array holds several alerts, anything else is one alert. The signature covers ' +
            'the exact bytes sent, and is verified before the body is parsed (docs/webhooks.md).',
          // No bearer token: the signature headers authenticate the delivery.
          security: [],
          response: {
            ...webhookAnswers,
            ...errorResponses([], {
              ...WEBHOOK_ERRORS,
              400: 'The body does not parse as JSON, or holds no alert',
              401: 'The signature, its version, the timestamp or a header was refused (the message says which)',
              409: 'A delivery whose timestamp and body were already taken under another delivery id (a replay)',
            }),
          },
        },
      },
      async (request, reply) => {
        request.auditNote.source = 'webhook';
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const verified = verifySignature(
          { headers: request.headers, body: raw },
          { secrets: options.secrets, now: () => options.now().getTime(), acceptV1: options.acceptV1 },
        );
        if (!verified.ok) {
          services.logger.warn({ ip: request.ip, reason: verified.reason }, 'generic webhook refused');
          // Only failures count, so a correctly signed delivery is taken whatever else came from its address.
          const signature = request.headers[SIGNATURE_HEADERS.signature];
          const over = await failures.failed(request.ip, typeof signature === 'string' ? signature : '');
          if (over) throw rateLimited(over.retryAfterSeconds, reply);
          throw new ApiError(401, ApiErrorCode.Unauthenticated, `delivery refused: ${verified.reason}`);
        }
        if (verified.scheme === 'v1') {
          services.logger.warn({ deliveryId: verified.deliveryId }, 'generic webhook: deprecated v1 signature taken');
        }
        request.user = { id: GENERIC_WEBHOOK_ACTOR.id, roles: [] };
        const key = deliveryContentKey(verified.timestamp, raw);
        // Past its timestamp's window the signature check refuses the content anyway.
        const expiresAt = (verified.timestamp + SIGNATURE_TOLERANCE_SECONDS) * 1000;
        const answer = await options.replays.once(key, verified.deliveryId, expiresAt, () =>
          take(services, request, raw, verified.deliveryId),
        );
        noteIncident(request.auditNote, answer);
        return reply.code(answer.status).send(answer.body);
      },
    );
    done();
  });
}

/** Parses and routes a verified delivery's alerts and records them. */
async function take(
  services: WebhookServices,
  request: FastifyRequest,
  raw: Buffer,
  deliveryId: string,
): Promise<WebhookAnswer> {
  const alerts = genericAlerts(parseJson(raw), deliveryId);
  if (!alerts.ok) throw new ApiError(400, ApiErrorCode.InvalidInput, alerts.message);
  const sender = {
    receiver: 'generic' as const,
    actor: GENERIC_WEBHOOK_ACTOR,
    user: null,
    path: request.routeOptions.url ?? request.url,
  };
  return deliverAlerts(services, sender, alerts.alerts);
}

function rateLimited(seconds: number, reply: FastifyReply): ApiError {
  reply.header('retry-after', String(seconds));
  return new ApiError(
    429,
    ApiErrorCode.RateLimited,
    `too many refused deliveries with this signature or from this address; retry in ${seconds}s`,
  );
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
