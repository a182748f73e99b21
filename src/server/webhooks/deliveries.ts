/**
 * What both receivers do with the alerts of one request: route each alert, check that the sender may
 * trigger the runbook, record it durably (firing: open or join the incident of its dedup key; resolved:
 * only the open one, never closing it), write one audit entry per delivery, and build the answer. The
 * answer is given only after every delivery is durably recorded or audited.
 *
 * One rule for both receivers: an alert refused for good (4xx: no route could make a trigger of it, or the
 * sender may not trigger the runbook) does not hold back the others of its request. They are taken and the
 * answer is 2xx, naming the refused ones (`refused`), which are also audited and logged. The request is
 * refused only when no alert in it was taken, and answered 503 when any alert may succeed on a retry.
 */
import type { SecretCatalog } from '../../secrets/declared.js';
import type { AccessConfig } from '../../config/schema.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { Actor, RecordAlert } from '../../domain/state.js';
import { prepareIncident } from '../../incidents/prepare.js';
import type { Logger } from '../../logging/logger.js';
import type { RosterMember } from '../../runbook/roster.js';
import { clipLabels, type IncomingAlert, type Receiver } from '../../alerts/incoming.js';
import type { AlertRouter, RoutedAlert } from '../../alerts/routing.js';
import type { AuditEntry, AuditLog } from '../audit.js';
import { mayTrigger, type AuthenticatedUser } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, type ApiIssue } from '../errors.js';
import type { AlertRecorder, Delivery, RecordOutcome } from './recorder.js';

/** What the receivers share: routing, recording, the runbooks and roster triggers are prepared from, audit. */
export interface WebhookServices {
  router: AlertRouter;
  recorder: AlertRecorder;
  runbooks: AppDeps['runbooks'];
  roster: readonly RosterMember[];
  /** The declared secrets a route's secret params may name. */
  secrets: SecretCatalog;
  access: AccessConfig | undefined;
  audit: AuditLog;
  logger: Logger;
  now: () => Date;
}

/** Who sent a request's alerts: the timeline's actor and, for bearer receivers, the user access rules apply to. */
export interface AlertSender {
  receiver: Receiver;
  actor: Actor;
  /** The authenticated roster user; null for the signed generic receiver, which access rules do not cover. */
  user: AuthenticatedUser | null;
  path: string;
}

/** One delivery in the answer. */
export interface DeliveryReport {
  deliveryId: string;
  fingerprint: string | null;
  matched: boolean;
  incidentId: string | null;
  created: boolean;
  recorded: boolean;
  /** Why this alert was not taken, when the request's other alerts were. */
  refused?: { status: number; code: string; message: string };
}

/** The answer to a request whose deliveries were all taken. */
export interface WebhookAnswer {
  status: 200 | 202;
  body: { matched: boolean; deliveries: DeliveryReport[] };
}

/** Details a webhook adds to its audit entries (the audit log keeps the whole object). */
export interface WebhookAuditEntry extends AuditEntry {
  delivery: DeliveryReport & { receiver: Receiver; status: 'firing' | 'resolved'; runbook?: string; note?: string };
}

type Settled = { report: DeliveryReport; runbook?: string; note?: string; error?: ApiError };

/** Handles the alerts of one request; throws an ApiError listing every alert that could not be taken. */
export async function deliverAlerts(
  services: WebhookServices,
  sender: AlertSender,
  alerts: readonly IncomingAlert[],
): Promise<WebhookAnswer> {
  const settled = await Promise.all(alerts.map((alert) => settle(services, sender, alert)));
  await Promise.all(settled.map((result, index) => audit(services, sender, alerts[index] as IncomingAlert, result)));
  const failures = settled.flatMap((result, index) => (result.error ? [{ index, error: result.error }] : []));
  for (const { index, error } of failures) {
    if (error.status >= 500) continue; // logged where the recorder failed
    const report = settled[index]?.report;
    services.logger.warn(
      {
        receiver: sender.receiver,
        deliveryId: report?.deliveryId,
        fingerprint: report?.fingerprint,
        status: error.status,
      },
      `alert refused: ${error.message}`,
    );
  }
  const retryable = failures.some((failure) => failure.error.status >= 500);
  if (retryable || failures.length === alerts.length) throw combined(failures, alerts.length);
  for (const { index, error } of failures) {
    const report = settled[index]?.report;
    if (report) report.refused = { status: error.status, code: error.code, message: error.message };
  }
  const deliveries = settled.map((result) => result.report);
  const recorded = deliveries.some((report) => report.recorded);
  return {
    status: recorded ? 200 : 202,
    body: { matched: deliveries.some((report) => report.matched), deliveries },
  };
}

/** Routes and records one alert; never throws (a failure is part of the result). */
async function settle(services: WebhookServices, sender: AlertSender, alert: IncomingAlert): Promise<Settled> {
  const route = services.router.route(alert);
  const report: DeliveryReport = {
    deliveryId: alert.deliveryId,
    fingerprint: alert.fingerprint ?? null,
    matched: route.kind !== 'unmatched',
    incidentId: null,
    created: false,
    recorded: false,
  };
  if (route.kind === 'unmatched') {
    return { report, ...(route.notes.length > 0 ? { note: route.notes.join('; ') } : {}) };
  }
  if (route.kind === 'invalid') return { report, runbook: route.runbook, error: unprocessable(route.message) };
  report.fingerprint ??= route.dedupKey;
  if (sender.user && !mayTrigger(services.access, sender.user, route.runbook)) {
    const message = `${sender.user.id} may not trigger ${route.runbook}`;
    return { report, runbook: route.runbook, error: new ApiError(403, ApiErrorCode.Forbidden, message) };
  }
  try {
    const delivery = toDelivery(services, sender, alert, route);
    if (delivery instanceof ApiError) return { report, runbook: route.runbook, error: delivery };
    const outcome: RecordOutcome = await services.recorder.record(delivery);
    if (outcome.recorded) Object.assign(report, outcome);
    return { report, runbook: route.runbook, ...(outcome.recorded ? {} : { note: 'no open incident' }) };
  } catch (error) {
    services.logger.error({ err: error, deliveryId: alert.deliveryId }, 'alert delivery could not be recorded');
    return { report, runbook: route.runbook, error: unavailable(error) };
  }
}

/** The recorder's input for a routed alert; a firing one is prepared as a trigger (or refused). */
function toDelivery(
  services: WebhookServices,
  sender: AlertSender,
  alert: IncomingAlert,
  route: RoutedAlert,
): Delivery | ApiError {
  const { labels, dropped } = clipLabels(alert.labels, services.router.labelsRead);
  const record: RecordAlert & { deliveryId: string } = {
    deliveryId: alert.deliveryId,
    actor: sender.actor,
    receiver: alert.receiver,
    status: alert.status,
    fingerprint: alert.fingerprint ?? route.dedupKey,
    summary: alert.summary,
    labels,
    ...(dropped > 0 ? { labelsDropped: dropped } : {}),
    ...(alert.startsAt === undefined ? {} : { startsAt: alert.startsAt }),
    ...(alert.endsAt === undefined ? {} : { endsAt: alert.endsAt }),
  };
  if (alert.status === 'resolved') return { kind: 'resolved', dedupKey: route.dedupKey, alert: record };
  const loaded = services.runbooks.get(route.runbook);
  if (!loaded) return unprocessable(`routes[${route.route}] names runbook ${route.runbook}, which is not loaded`);
  const prepared = prepareIncident(
    new Map([[route.runbook, loaded]]),
    services.roster,
    {
      runbook: route.runbook,
      params: route.params,
      dedupKey: route.dedupKey,
      actor: sender.actor,
      ...(route.severity === undefined ? {} : { severity: route.severity }),
    },
    services.secrets,
  );
  if (!prepared.ok) {
    const problems = prepared.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    return unprocessable(`routes[${route.route}] made a trigger of ${route.runbook} that is refused: ${problems}`);
  }
  return { kind: 'firing', dedupKey: route.dedupKey, start: prepared.start, alert: record };
}

async function audit(services: WebhookServices, sender: AlertSender, alert: IncomingAlert, result: Settled) {
  const status = result.error?.status ?? (result.report.recorded ? 200 : 202);
  const entry: WebhookAuditEntry = {
    at: services.now().toISOString(),
    user: sender.user?.id ?? sender.actor.id,
    source: 'webhook',
    method: 'POST',
    path: sender.path,
    status,
    ...(result.report.incidentId === null ? {} : { incidentId: result.report.incidentId }),
    outcome: status >= 500 ? 'error' : status >= 400 ? 'refused' : 'ok',
    ...(result.error ? { code: result.error.code } : {}),
    delivery: {
      ...result.report,
      receiver: alert.receiver,
      status: alert.status,
      ...(result.runbook === undefined ? {} : { runbook: result.runbook }),
      ...(result.note === undefined ? {} : { note: result.note }),
      ...(result.error ? { note: result.error.message } : {}),
    },
  };
  await services.audit.write(entry);
}

function unprocessable(message: string): ApiError {
  return new ApiError(422, ApiErrorCode.InvalidInput, message);
}

/** Anything the recorder throws is worth a retry by the sender: deliveries are idempotent. */
function unavailable(error: unknown): ApiError {
  const detail = error instanceof FirebreakError && error.code === ErrorCode.Conflict ? `: ${error.message}` : '';
  return new ApiError(503, 'UNAVAILABLE', `the alert could not be recorded now; retry later${detail}`, undefined, {
    'retry-after': '5',
  });
}

/** One error for the request: 503 when any delivery may succeed on retry, else (none taken) the first refusal's status. */
function combined(failures: readonly { index: number; error: ApiError }[], total: number): ApiError {
  const retryable = failures.find((failure) => failure.error.status >= 500);
  const first = retryable ?? failures[0];
  if (!first) return new ApiError(500, ApiErrorCode.Internal, 'internal error');
  if (total === 1) return first.error;
  const issues: ApiIssue[] = failures.map(({ index, error }) => ({ path: `alerts[${index}]`, message: error.message }));
  const message =
    failures.length === total
      ? `none of the ${total} alerts could be taken (see issues)`
      : `${failures.length} of ${total} alerts could not be taken (see issues); the others were taken`;
  return new ApiError(first.error.status, first.error.code, message, issues, first.error.headers);
}
