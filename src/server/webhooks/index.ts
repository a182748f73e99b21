/**
 * Alert webhook receivers, registered under `/api/v1/webhooks`: Prometheus Alertmanager (bearer token)
 * and generic signed JSON (HMAC). Both route alerts by the `webhooks.routes` of the config and record
 * them on incidents through one group-committing recorder. See docs/webhooks.md.
 */
import type { FastifyInstance } from 'fastify';
import { createAlertRouter } from '../../alerts/routing.js';
import { ApiConfigSchema, WebhooksConfigSchema, type WebhookRoute } from '../../config/schema.js';
import { rosterMembers } from '../../runbook/roster.js';
import { secretCatalogOf, type AppDeps } from '../deps.js';
import { createErrorHandler } from '../errors.js';
import { registerAlertmanagerReceiver } from './alertmanager.js';
import type { WebhookServices } from './deliveries.js';
import { registerGenericReceiver } from './generic.js';
import { AlertRecorder } from './recorder.js';
import { ReplayGuard } from './replay-guard.js';
import { hasOwn } from '../../domain/own.js';

export { AlertRecorder, type Delivery, type RecordOutcome, type RecorderOptions } from './recorder.js';
export { GENERIC_WEBHOOK_ACTOR } from './generic.js';

/** How long one batch may take against Temporal before the sender is told to retry (503). */
const COMMIT_TIMEOUT_MS = 15_000;

/** Registers both receivers; throws at startup when a route names an unknown runbook or param, or a secret is unavailable. */
export async function registerWebhooks(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const config = deps.config.webhooks ?? WebhooksConfigSchema.parse({});
  checkRoutes(config.routes, deps.runbooks);
  const secrets = await resolveSecrets(config.generic.secrets, deps);
  if (secrets.length === 0 && config.routes.some((route) => route.receiver === 'generic')) {
    deps.logger.warn('webhooks.generic.secrets is empty: the generic webhook refuses every delivery');
  }
  const now = deps.now ?? (() => new Date());
  const users = [...deps.config.users, ...(deps.extraUsers ?? [])];
  const services: WebhookServices = {
    router: createAlertRouter(config.routes),
    recorder: new AlertRecorder(deps.incidents, {
      deadline: (commit) => deps.temporal.client.withDeadline(Date.now() + COMMIT_TIMEOUT_MS, commit),
    }),
    runbooks: deps.runbooks,
    roster: rosterMembers(users),
    secrets: secretCatalogOf(deps),
    access: deps.config.access,
    audit: deps.audit,
    logger: deps.logger,
    now,
  };
  // This scope's own error handler, so that a 413 names the webhook body limit, not the API's.
  app.setErrorHandler(createErrorHandler(deps.logger, config.maxBodyBytes));
  registerAlertmanagerReceiver(app, services, config.maxBodyBytes);
  const failures = (deps.config.api ?? ApiConfigSchema.parse({})).authFailures;
  const acceptV1 = config.generic.acceptV1Signatures;
  if (acceptV1) {
    deps.logger.warn(
      'webhooks.generic.acceptV1Signatures is on: v1 signatures (sha256=) do not sign the delivery id and are deprecated; move senders to v2',
    );
  }
  const replays = new ReplayGuard({
    ...(deps.webhookDeliveriesFile === undefined ? {} : { file: deps.webhookDeliveriesFile }),
    now: () => now().getTime(),
    logger: deps.logger,
  });
  await registerGenericReceiver(app, services, {
    secrets,
    bodyLimit: config.maxBodyBytes,
    now,
    failures,
    acceptV1,
    replays,
  });
}

/** Every route must name a loaded runbook and only params it declares. */
function checkRoutes(routes: readonly WebhookRoute[], runbooks: AppDeps['runbooks']): void {
  const problems: string[] = [];
  routes.forEach((route, index) => {
    const loaded = runbooks.get(route.runbook);
    if (!loaded) {
      problems.push(`webhooks.routes[${index}].runbook: no runbook ${route.runbook} is loaded`);
      return;
    }
    for (const name of Object.keys(route.params ?? {})) {
      if (!hasOwn(loaded.plan.params, name)) {
        const declared = Object.keys(loaded.plan.params).join(', ') || 'none';
        problems.push(
          `webhooks.routes[${index}].params.${name}: ${route.runbook} declares no such param (declared: ${declared})`,
        );
      }
    }
  });
  if (problems.length > 0) throw new Error(`webhook routes do not fit the runbooks:\n  ${problems.join('\n  ')}`);
}

/**
 * Resolves the generic receiver's secrets once, at startup, with the resolver the entry point gave the app;
 * errors name the reference, never a value.
 */
async function resolveSecrets(references: readonly string[], deps: AppDeps): Promise<string[]> {
  if (references.length === 0) return [];
  const resolver = deps.configSecrets;
  if (resolver === undefined) {
    throw new Error('webhooks.generic.secrets is set, but the API was built without a resolver for config secrets');
  }
  return Promise.all(references.map((reference) => resolver.resolve(reference)));
}
