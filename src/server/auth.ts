/**
 * Bearer-token authentication: the presented token is hashed and compared with every user's stored
 * SHA-256 in constant time, with no early exit, so timing reveals neither a match nor which user it was.
 * A valid token is always accepted. Failed attempts are counted per presented token and per client address
 * (`FailureLimiter`): past the limit a repeated bad token gets 429, and guessing from one address is slowed,
 * while valid tokens from the same address (users behind a NAT) are still accepted.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessConfig, RosterUser } from '../config/schema.js';
import type { Actor } from '../domain/state.js';
import type { Logger } from '../logging/logger.js';
import { ApiError, ApiErrorCode } from './errors.js';
import { FailureLimiter } from './failure-limiter.js';

/** Where a request came from, as recorded on the timeline and in the audit log. */
export type ActorSource = 'cli' | 'api' | 'webhook';

/** The user a request authenticated as. */
export interface AuthenticatedUser {
  id: string;
  email?: string;
  roles: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user; null until the bearer-auth hook has accepted the request. */
    user: AuthenticatedUser | null;
  }
  interface FastifyInstance {
    /** The API's bearer authentication, for routes registered outside its scope (webhook receivers). */
    bearerAuth: BearerAuth;
  }
}

/** What bearer authentication needs: the users who may hold tokens and the failure limit. */
export interface BearerAuthOptions {
  users: readonly RosterUser[];
  /** Failed attempts allowed per presented token and per client address within the window. */
  maxFailures: number;
  windowMs: number;
  logger: Logger;
}

/** Bearer authentication for the API's routes (and the webhook receivers that take a bearer token). */
export interface BearerAuth {
  /** An `onRequest` hook: sets `request.user`, or answers 401 (429 once the token or address failed too often). */
  requireUser: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** Creates the bearer authenticator and makes it available as `app.bearerAuth` and `request.user`. */
export function registerBearerAuth(app: FastifyInstance, options: BearerAuthOptions): BearerAuth {
  const auth = createBearerAuth(options);
  app.decorateRequest('user', null);
  app.decorate('bearerAuth', auth);
  return auth;
}

/** The `sha256:<hex>` a user's `token` field holds for a token. */
export function tokenHash(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const CHALLENGE = 'Bearer realm="firebreak"';

/** Creates the bearer authenticator over the roster; refuses two users holding the same token. */
export function createBearerAuth(options: BearerAuthOptions): BearerAuth {
  const holders = tokenHolders(options.users);
  const limiter = new FailureLimiter({ max: options.maxFailures, windowMs: options.windowMs });
  return {
    requireUser: async (request) => {
      const match = BEARER.exec(request.headers.authorization ?? '');
      if (!match?.[1]) throw unauthenticated('missing bearer token (Authorization: Bearer <token>)', 'invalid_request');
      const user = findHolder(holders, match[1]);
      if (user) {
        request.user = user;
        return;
      }
      options.logger.warn({ ip: request.ip, path: request.url.split('?')[0] }, 'authentication failed');
      const over = await limiter.failed(request.ip, match[1]);
      if (over) throw rateLimited(over.retryAfterSeconds);
      throw unauthenticated('the token is not valid', 'invalid_token');
    },
  };
}

interface Holder {
  user: AuthenticatedUser;
  hash: Buffer;
}

function tokenHolders(users: readonly RosterUser[]): Holder[] {
  const holders: Holder[] = [];
  const seen = new Map<string, string>();
  for (const user of users) {
    if (user.token === undefined) continue;
    const other = seen.get(user.token);
    if (other !== undefined) throw new Error(`users ${other} and ${user.id} have the same token; give each their own`);
    seen.set(user.token, user.id);
    const identity: AuthenticatedUser = {
      id: user.id,
      roles: user.roles,
      ...(user.email ? { email: user.email } : {}),
    };
    holders.push({ user: identity, hash: Buffer.from(user.token.slice('sha256:'.length), 'hex') });
  }
  return holders;
}

/** Compares the token's hash with every holder's, always all of them. */
function findHolder(holders: readonly Holder[], token: string): AuthenticatedUser | undefined {
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let found: AuthenticatedUser | undefined;
  for (const holder of holders) {
    const equal = timingSafeEqual(presented, holder.hash);
    found = equal && found === undefined ? holder.user : found;
  }
  return found;
}

function unauthenticated(message: string, error: 'invalid_request' | 'invalid_token'): ApiError {
  const challenge = error === 'invalid_token' ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
  return new ApiError(401, ApiErrorCode.Unauthenticated, message, undefined, { 'www-authenticate': challenge });
}

function rateLimited(seconds: number): ApiError {
  return new ApiError(
    429,
    ApiErrorCode.RateLimited,
    `too many failed authentications with this token or from this address; retry in ${seconds}s`,
    undefined,
    { 'retry-after': String(seconds) },
  );
}

/** Where a request came from: `cli` when the CLI says so (`X-Firebreak-Client: cli`), else `api`. */
export function requestSource(request: FastifyRequest): ActorSource {
  return request.headers['x-firebreak-client'] === 'cli' ? 'cli' : 'api';
}

/** The identity a workflow receives: always the authenticated user, never anything from the body. */
export function actorOf(request: FastifyRequest, source: ActorSource = requestSource(request)): Actor {
  const user = request.user;
  if (!user) throw new ApiError(401, ApiErrorCode.Unauthenticated, 'not authenticated');
  return { id: user.id, ...(user.email ? { email: user.email } : {}), source };
}

/** The authenticated user, or a 401 when the route was reached without authentication. */
export function userOf(request: FastifyRequest): AuthenticatedUser {
  if (!request.user) throw new ApiError(401, ApiErrorCode.Unauthenticated, 'not authenticated');
  return request.user;
}

/** Whether a user may trigger a runbook: the runbook's entry (else `*`) names one of their roles, or neither exists. */
export function mayTrigger(access: AccessConfig | undefined, user: AuthenticatedUser, runbookId: string): boolean {
  const trigger = access?.trigger ?? {};
  const allowed = Object.hasOwn(trigger, runbookId) ? trigger[runbookId] : trigger['*'];
  return allowed === undefined || allowed.some((role) => user.roles.includes(role));
}
