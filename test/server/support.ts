/**
 * The API in process over the real dev server: a worker on this file's own task queue (startTestEnv),
 * runbooks compiled by the real compiler, users with generated tokens, an in-memory audit log, and
 * `call()` to send requests with `app.inject()`.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import type { AccessConfig, ApiConfig, FirebreakConfig, RosterUser } from '../../src/config/index.js';
import type { Plan } from '../../src/domain/plan.js';
import type { IncidentClient } from '../../src/incidents/client.js';
import type { Logger } from '../../src/logging/logger.js';
import type { LoadedRunbook } from '../../src/runbook/catalog.js';
import { buildApp, tokenHash, type AppDeps } from '../../src/server/app.js';
import { createMemoryAuditLog, type MemoryAuditLog } from '../../src/server/audit.js';
import { testConfig, type TestEnv } from '../support/temporal.js';

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
  });
  return {
    app,
    audit,
    tokens,
    logText: log.text,
    call(as, request) {
      const headers = { ...(request.headers ?? {}), ...(as === null ? {} : { authorization: `Bearer ${tokens[as]}` }) };
      return app.inject({ ...request, headers });
    },
  };
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
