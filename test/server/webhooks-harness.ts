/**
 * The API with webhook receivers over the real dev server: runbooks that wait for a person (so incidents
 * stay open), a roster with a monitoring user, generic secrets in files (a new one and a rotated one),
 * routes from the config schema (so their CEL is checked as at load time), and helpers to sign and send.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { signDelivery } from '../../src/alerts/signature.js';
import { WebhooksConfigSchema, type FirebreakConfig } from '../../src/config/index.js';
import type { IncidentState } from '../../src/domain/state.js';
import type { LoadedRunbook } from '../../src/runbook/catalog.js';
import { buildApp, tokenHash } from '../../src/server/app.js';
import { createMemoryAuditLog, type MemoryAuditLog } from '../../src/server/audit.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { testConfig, type TestEnv } from '../support/temporal.js';

/** A suffix that keeps this run's runbooks, fingerprints and dedup keys apart from other test files'. */
export const runId = randomBytes(4).toString('hex');

/** The runbook alerts open: it waits on a task, so its incident stays open. */
export const hostRunbook = `
apiVersion: firebreak/v1
id: host-compromise-${runId}
title: Host compromise
version: 1
severity: sev2
params:
  host: { type: string, required: true }
roles:
  commander: {}
steps:
  - { id: triage, title: Triage, task: "Triage \${{ params.host }}", assignee: role:commander }
`;

/** A webhook harness: the app, its audit log, the monitoring token, and the two generic secrets. */
export interface WebhookHarness {
  app: FastifyInstance;
  audit: MemoryAuditLog;
  runbookId: string;
  tokens: { prom: string; viewer: string };
  secrets: { current: string; previous: string };
  close(): Promise<void>;
}

/** Builds the app with webhook routes for the host runbook. */
export async function buildWebhookHarness(
  env: TestEnv,
  options: {
    maxBodyBytes?: number;
    maxFailures?: number;
    acceptV1Signatures?: boolean;
    deliveriesFile?: string;
    /** Receives the app's log lines (JSON), warnings and up; silent when absent. */
    log?: (line: string) => void;
  } = {},
): Promise<WebhookHarness> {
  const runbookId = `host-compromise-${runId}`;
  const plan = env.compile(hostRunbook);
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-webhooks-'));
  const secrets = { current: randomBytes(32).toString('hex'), previous: randomBytes(32).toString('hex') };
  writeFileSync(path.join(dir, 'current.secret'), `${secrets.current}\n`);
  writeFileSync(path.join(dir, 'previous.secret'), secrets.previous);
  const tokens = { prom: randomBytes(24).toString('base64url'), viewer: randomBytes(24).toString('base64url') };
  const webhooks = WebhooksConfigSchema.parse({
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    generic: {
      secrets: [`file:${path.join(dir, 'current.secret')}`, `file:${path.join(dir, 'previous.secret')}`],
      ...(options.acceptV1Signatures === undefined ? {} : { acceptV1Signatures: options.acceptV1Signatures }),
    },
    routes: [
      {
        receiver: 'alertmanager',
        match: 'alert.labels.severity == "critical"',
        runbook: runbookId,
        params: { host: 'alert.labels.instance.split(":")[0]' },
        severity: 'alert.group.?team.orValue("") == "db" ? "sev1" : "sev2"',
      },
      {
        receiver: 'generic',
        match: 'alert.?kind.orValue("") == "host"',
        runbook: runbookId,
        params: { host: 'alert.host' },
      },
      {
        // Within the static limits, but a long `items` list makes it go over the evaluation budget.
        receiver: 'generic',
        match: 'alert.?kind.orValue("") == "fanout" && alert.items.exists(a, alert.items.exists(b, a + b == "none"))',
        runbook: runbookId,
        params: { host: '"fanout-precise"' },
      },
      {
        // A broader route after it: an alert the route above could not decide must not fall through to here.
        receiver: 'generic',
        match: 'alert.?kind.orValue("") == "fanout"',
        runbook: runbookId,
        params: { host: '"fanout-broad"' },
      },
      {
        // One incident per Alertmanager group (docs/webhooks.md).
        receiver: 'alertmanager',
        match: 'alert.groupLabels.?alertname.orValue("") == "GroupedEgress"',
        runbook: runbookId,
        params: { host: '"group-" + alert.groupLabels.alertname' },
        dedupKey: 'alert.groupKey',
      },
    ],
  });
  const config: FirebreakConfig = {
    ...testConfig(env.address),
    users: [
      { id: 'prom', roles: ['monitoring'], token: tokenHash(tokens.prom) },
      { id: 'viewer', roles: ['reader'], token: tokenHash(tokens.viewer) },
      { id: 'alice', email: 'alice@example.com', roles: ['commander'] },
    ],
    access: { trigger: { [runbookId]: ['monitoring', 'commander'] } },
    webhooks,
    ...(options.maxFailures === undefined
      ? {}
      : { api: { bodyLimit: 65_536, authFailures: { max: options.maxFailures, windowMs: 60_000 } } }),
  };
  const runbooks = new Map<string, LoadedRunbook>([[runbookId, { file: plan.source.file, plan }]]);
  const audit = createMemoryAuditLog();
  const app = await buildApp({
    config,
    runbooks: { get: (id) => runbooks.get(id), list: () => [...runbooks.values()] },
    temporal: { client: env.client, namespace: 'default', taskQueue: env.taskQueue },
    incidents: env.incidents,
    audit,
    logger:
      options.log === undefined
        ? pino({ level: 'silent' })
        : pino({ level: 'warn' }, { write: (line: string) => options.log?.(line) }),
    ...(options.deliveriesFile === undefined ? {} : { webhookDeliveriesFile: options.deliveriesFile }),
    // The secrets are files under `dir`, named by absolute path; no environment is needed.
    configSecrets: createSecretResolver({ env: {}, baseDir: dir }),
  });
  return { app, audit, runbookId, tokens, secrets, close: () => app.close() };
}

/** Headers of a signed generic delivery. */
export function signedHeaders(
  secret: string,
  body: string,
  options: { deliveryId?: string; timestamp?: number } = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const deliveryId = options.deliveryId ?? randomUUID();
  return {
    'content-type': 'application/json',
    'x-firebreak-timestamp': String(timestamp),
    'x-firebreak-signature': signDelivery(secret, timestamp, deliveryId, body),
    'x-firebreak-delivery': deliveryId,
  };
}

/** The alert events on an incident's timeline. */
export function alertEvents(state: IncidentState) {
  return state.timeline.filter((event) => event.type.startsWith('alert.'));
}
