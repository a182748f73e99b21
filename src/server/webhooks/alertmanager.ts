/**
 * `POST /webhooks/alertmanager`: Prometheus Alertmanager's webhook notifier, authenticated with a
 * roster user's bearer token (Alertmanager's `http_config.authorization`). Each alert of a notification
 * is routed on its own; the user must be allowed to trigger the runbook a route picks.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { alertmanagerAlerts, AlertmanagerPayloadSchema } from '../../alerts/alertmanager.js';
import { actorOf, userOf } from '../auth.js';
import { errorResponses } from '../errors.js';
import { BEARER_SECURITY } from '../routes/shared.js';
import { deliverAlerts, type WebhookAnswer, type WebhookServices } from './deliveries.js';
import { WEBHOOK_ERRORS, webhookAnswers } from './schemas.js';

/** Registers the Alertmanager receiver with its own body limit. */
export function registerAlertmanagerReceiver(app: FastifyInstance, services: WebhookServices, bodyLimit: number): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/alertmanager',
    {
      bodyLimit,
      onRequest: app.bearerAuth.requireUser,
      schema: {
        tags: ['webhooks'],
        operationId: 'receiveAlertmanagerNotification',
        summary: 'Receive a Prometheus Alertmanager notification (webhook_configs, version 4)',
        security: BEARER_SECURITY,
        body: AlertmanagerPayloadSchema,
        response: {
          ...webhookAnswers,
          ...errorResponses([401, 415], {
            ...WEBHOOK_ERRORS,
            400: 'The body does not parse, or is not an Alertmanager notification (`issues` lists the problems)',
            403: 'The Alertmanager user may not trigger the runbook a route picked',
          }),
        },
      },
    },
    async (request, reply) => {
      request.auditNote.source = 'webhook';
      const answer = await deliverAlerts(
        services,
        {
          receiver: 'alertmanager',
          actor: actorOf(request, 'webhook'),
          user: userOf(request),
          path: request.routeOptions.url ?? request.url,
        },
        alertmanagerAlerts(request.body),
      );
      noteIncident(request.auditNote, answer);
      return reply.code(answer.status).send(answer.body);
    },
  );
}

/** The request's own audit entry names the incident when its deliveries went to exactly one. */
export function noteIncident(note: { incidentId?: string }, answer: WebhookAnswer): void {
  const ids = new Set(answer.body.deliveries.flatMap((report) => (report.incidentId ? [report.incidentId] : [])));
  const [only] = ids;
  if (ids.size === 1 && only !== undefined) note.incidentId = only;
}
