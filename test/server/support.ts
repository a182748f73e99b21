/**
 * The API in process over the real dev server: a worker on this file's own task queue (startTestEnv),
 * runbooks compiled by the real compiler, users with generated tokens, an in-memory audit log, and
 * `call()` to send requests with `app.inject()`. `startApiTest` sets all of it up for a test file.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { expect } from 'vitest';
import { ChannelsConfigSchema } from '../../src/config/channels-schema.js';
import type { AccessConfig, ApiConfig, FirebreakConfig, RosterUser } from '../../src/config/index.js';
import type { Plan } from '../../src/domain/plan.js';
import type { IncidentClient } from '../../src/incidents/client.js';
import type { Logger } from '../../src/logging/logger.js';
import type { LazyEvidenceStore } from '../../src/evidence/index.js';
import type { LazyPostmortemStore } from '../../src/postmortems/store/index.js';
import type { LoadedRunbook } from '../../src/runbook/catalog.js';
import { buildApp, tokenHash, type AppDeps } from '../../src/server/app.js';
import { createMemoryAuditLog, type MemoryAuditLog } from '../../src/server/audit.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { projectRoot, startTestEnv, testConfig, type TestEnv } from '../support/temporal.js';

/** The people the API tests act as; each gets a fresh token. */
export const apiUsers = [
  { id: 'alice', email: 'alice@example.com', roles: ['commander'] },
  { id: 'bob', email: 'bob@example.com', roles: ['security'] },
  { id: 'carol', email: 'carol@example.com', roles: ['legal'] },
  { id: 'mallory', email: 'mallory@example.com', roles: [] },
  // Holds a role no test runbook declares: it reads only what `access.read` (or `admins`) grants.
  { id: 'dana', email: 'dana@example.com', roles: ['auditor'] },
] as const;

export type ApiUser = (typeof apiUsers)[number]['id'];

/** An API built for a test, with what the test needs to drive and inspect it. */
export interface ApiHarness {
  app: FastifyInstance;
  audit: MemoryAuditLog;
  tokens: Record<ApiUser, string>;
  /** Everything the app logged, as text. */
  logText(): string;
  /** Sends a request as a user (or without a token when `as` is null). */
  call(as: ApiUser | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Triggers an incident of a runbook as a user, expects 201 and returns the incident's id. */
  trigger(as: ApiUser, runbook: string, params?: Record<string, unknown>): Promise<string>;
}

/** Options of one harness. */
export interface HarnessOptions {
  plans?: readonly Plan[];
  access?: AccessConfig;
  api?: ApiConfig;
  taskQueue?: string;
  incidents?: IncidentClient;
  client?: AppDeps['temporal']['client'];
  /** The runbooks to serve instead of `plans` (a live catalog over files). */
  runbooks?: AppDeps['runbooks'];
  /** Users who read everything whatever their roles (as `firebreak dev` names its admin). */
  admins?: string[];
  /** The `backups` section of the config the API runs with. */
  backups?: FirebreakConfig['backups'];
  /** The `postmortems` section of the config the API runs with. */
  postmortemsConfig?: FirebreakConfig['postmortems'];
  /** The post-mortem store the API (and, with `startApiTest`, the worker) uses; none: the post-mortem routes answer 503. */
  postmortems?: LazyPostmortemStore;
  /** The evidence store the API uses; none: the evidence routes answer 503. */
  evidence?: LazyEvidenceStore;
}

/** Builds the API over a test environment. */
export async function buildHarness(env: TestEnv, options: HarnessOptions = {}): Promise<ApiHarness> {
  const tokens = Object.fromEntries(apiUsers.map((user) => [user.id, randomBytes(24).toString('base64url')])) as Record<
    ApiUser,
    string
  >;
  const users: RosterUser[] = apiUsers.map((user) => ({
    ...user,
    roles: [...user.roles],
    token: tokenHash(tokens[user.id]),
  }));
  const config: FirebreakConfig = {
    ...testConfig(env.address),
    users,
    ...(options.access ? { access: options.access } : {}),
    ...(options.api ? { api: options.api } : {}),
    ...(options.backups ? { backups: options.backups } : {}),
    ...(options.postmortemsConfig ? { postmortems: options.postmortemsConfig } : {}),
  };
  const runbooks = new Map<string, LoadedRunbook>(
    (options.plans ?? []).map((plan) => [plan.runbookId, { file: plan.source.file, plan }]),
  );
  const audit = createMemoryAuditLog();
  const log = memoryLogger();
  const app = await buildApp({
    config,
    runbooks: options.runbooks ?? { get: (id) => runbooks.get(id), list: () => [...runbooks.values()] },
    temporal: {
      client: options.client ?? env.client,
      namespace: 'default',
      taskQueue: options.taskQueue ?? env.taskQueue,
    },
    incidents: options.incidents ?? env.incidents,
    audit,
    logger: log.logger,
    ...(options.admins ? { admins: options.admins } : {}),
    ...(options.postmortems ? { postmortems: options.postmortems } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}),
  });
  const call: ApiHarness['call'] = (as, request) => {
    const headers = { ...(request.headers ?? {}), ...(as === null ? {} : { authorization: `Bearer ${tokens[as]}` }) };
    return app.inject({ ...request, headers });
  };
  return {
    app,
    audit,
    tokens,
    logText: log.text,
    call,
    async trigger(as, runbook, params = {}) {
      const response = await call(as, { method: 'POST', url: '/api/v1/incidents', payload: { runbook, params } });
      expect(response.statusCode).toBe(201);
      return response.json<{ incidentId: string }>().incidentId;
    },
  };
}

/** What an API test file runs against, and how to take it down. */
export interface ApiTest {
  env: TestEnv;
  api: ApiHarness;
  /** The loopback SMTP server e-mail goes through (with `smtp: true`). */
  smtp: TestSmtpServer | undefined;
  /** Closes the API, the worker and the SMTP server, in that order. */
  close(): Promise<void>;
}

/** Options of one API test file: the harness's, with the runbooks as YAML. */
export interface ApiTestOptions extends Omit<HarnessOptions, 'plans'> {
  /** Runbooks as YAML, compiled by the test environment's compiler and served by the API. */
  yaml?: readonly string[];
  /** Embeds `notify` messages from test/fixtures/notify-templates. */
  notifyTemplates?: boolean;
  /** Sends e-mail through a loopback SMTP server started for the file. */
  smtp?: boolean;
}

/**
 * Starts what an API test file needs: a loopback SMTP server when asked, a worker on the file's own task
 * queue, and the API over it serving the given runbooks. Call `close()` in `afterAll`; when a part fails to
 * start, what already started is closed before the error is thrown.
 */
export function startApiTest(options: ApiTestOptions & { smtp: true }): Promise<ApiTest & { smtp: TestSmtpServer }>;
export function startApiTest(options?: ApiTestOptions): Promise<ApiTest>;
export async function startApiTest(options: ApiTestOptions = {}): Promise<ApiTest> {
  const { yaml = [], notifyTemplates = false, smtp: withSmtp = false, ...harness } = options;
  const started: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of started.splice(0).reverse()) await stop();
  };
  try {
    const smtp = withSmtp ? await startSmtpServer() : undefined;
    if (smtp) started.push(() => smtp.close());
    const channels = smtp
      ? ChannelsConfigSchema.parse({
          email: { from: 'Firebreak <firebreak@example.com>', smtp: { host: '127.0.0.1', port: smtp.port } },
        })
      : undefined;
    const env = await startTestEnv({
      ...(channels ? { configure: (config) => ({ ...config, channels }) } : {}),
      ...(notifyTemplates ? { templates: [path.join(projectRoot, 'test/fixtures/notify-templates')] } : {}),
      ...(harness.postmortems ? { postmortems: harness.postmortems } : {}),
    });
    started.push(() => env.close());
    const api = await buildHarness(env, { ...harness, plans: yaml.map((text) => env.compile(text)) });
    started.push(() => api.app.close());
    return { env, api, smtp, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A pino logger at info level writing into memory. */
function memoryLogger(): { logger: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), text: () => text };
}
