/**
 * One error body for every refusal the API gives, `{ error: { status, code, message, issues? } }`, and
 * the mapping from what can go wrong (a workflow's refusal, a bad body, fastify's own errors) to it.
 * Server errors are logged and answered without details: no stack trace ever leaves the process.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { MAX_JSON_DEPTH } from '../domain/limits.js';
import type { Logger } from '../logging/logger.js';

/** One problem with a request: where (`params.host`, `query.limit`) and what. */
export const ApiIssue = z.object({ path: z.string(), message: z.string() });
export type ApiIssue = z.infer<typeof ApiIssue>;

/** The body of every error answer; one named schema in the OpenAPI document. */
export const ErrorBody = z
  .object({
    error: z.object({
      status: z.int(),
      code: z.string(),
      message: z.string(),
      issues: z.array(ApiIssue).optional(),
      /** What a refusal knows besides its message (a conflicting edit: the current revision, and the text refused). */
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The codes the API answers with; the workflow's own codes (FORBIDDEN, CONFLICT ...) pass through. */
export const ApiErrorCode = {
  InvalidInput: ErrorCode.InvalidInput,
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: ErrorCode.Forbidden,
  NotFound: ErrorCode.NotFound,
  Conflict: ErrorCode.Conflict,
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited: 'RATE_LIMITED',
  /** The request is well-formed but refused on what it says (a post-mortem with unacknowledged blameless flags). */
  Unprocessable: 'UNPROCESSABLE',
  /** A dependency the route needs is not configured or cannot be opened (the post-mortem store). */
  Unavailable: 'UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** An answer other than success: thrown by handlers and hooks, turned into the error body by the error handler. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: readonly ApiIssue[],
    readonly headers: Readonly<Record<string, string>> = {},
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** A 400 listing every problem with a request. */
export class RequestValidationError extends ApiError {
  constructor(issues: readonly ApiIssue[]) {
    super(400, ApiErrorCode.InvalidInput, describeIssues(issues), issues);
  }
}

/** The 400 for a JSON body nested deeper than `MAX_JSON_DEPTH`, measured before it is parsed. */
export function deepBodyError(): ApiError {
  return new ApiError(
    400,
    ApiErrorCode.InvalidInput,
    `the request body nests lists and objects deeper than the limit of ${MAX_JSON_DEPTH} levels`,
  );
}

/** The status each workflow refusal is answered with. */
const STATUS_OF: Readonly<Record<string, number>> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
};

/** The code of a 4xx answer for which nothing more precise is known. */
const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: ApiErrorCode.InvalidInput,
  401: ApiErrorCode.Unauthenticated,
  403: ApiErrorCode.Forbidden,
  404: ApiErrorCode.NotFound,
  409: ApiErrorCode.Conflict,
  413: ApiErrorCode.PayloadTooLarge,
  415: ApiErrorCode.UnsupportedMediaType,
  429: ApiErrorCode.RateLimited,
};

/** Builds the error body. */
export function errorBody(
  status: number,
  code: string,
  message: string,
  issues?: readonly ApiIssue[],
  details?: Readonly<Record<string, unknown>>,
): ErrorBody {
  return {
    error: {
      status,
      code,
      message,
      ...(issues && issues.length > 0 ? { issues: [...issues] } : {}),
      ...(details === undefined ? {} : { details: { ...details } }),
    },
  };
}

/** Sends an ApiError as the error body, with its headers. */
export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  // the audit entry of a refused request records its code (the note is absent only before onRequest ran)
  const note = (reply.request as { auditNote?: { code?: string } | null }).auditNote;
  if (note) note.code = error.code;
  return reply
    .code(error.status)
    .headers(error.headers)
    .send(errorBody(error.status, error.code, error.message, error.issues, error.details));
}

/** What any thrown value means for the caller, or undefined when it is a server error. */
export function toApiError(error: unknown, bodyLimit: number): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof FirebreakError) {
    const status = STATUS_OF[error.code];
    return status === undefined ? undefined : new ApiError(status, error.code, error.message);
  }
  return fromFastifyError(error as Partial<FastifyError>, bodyLimit);
}

function fromFastifyError(error: Partial<FastifyError>, bodyLimit: number): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        413,
        ApiErrorCode.PayloadTooLarge,
        `the request body is over the limit of ${bodyLimit} bytes`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, ApiErrorCode.UnsupportedMediaType, 'request bodies must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, ApiErrorCode.InvalidInput, 'the request body is not valid JSON');
  }
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  // fastify answers a body that does not parse as JSON with a plain SyntaxError and status 400
  if (error.name === 'SyntaxError')
    return new ApiError(400, ApiErrorCode.InvalidInput, 'the request body is not valid JSON');
  return new ApiError(status, CODE_OF_STATUS[status] ?? ApiErrorCode.InvalidInput, error.message ?? 'refused');
}

/** The fastify error handler: refusals become the error body, anything else a logged 500 without details. */
export function createErrorHandler(logger: Logger, bodyLimit: number) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // A route may set its own body limit (a post-mortem section edit): the refusal names the one that applied.
    const refusal = toApiError(error, request.routeOptions.bodyLimit ?? bodyLimit);
    if (refusal) return sendApiError(reply, refusal);
    logger.error(
      { err: error, method: request.method, path: request.routeOptions.url ?? request.url.split('?')[0] },
      'request failed',
    );
    return sendApiError(reply, new ApiError(500, ApiErrorCode.Internal, 'internal error; see the server log'));
  };
}

/** The answer for a route that does not exist. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  return sendApiError(reply, new ApiError(404, ApiErrorCode.NotFound, `no route ${request.method} ${path}`));
}

/** What each error status means across the API (docs/api.md, "Errors"); a route may say more. */
const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'The body, query or path is invalid (`issues` lists every problem), or the run refused the values',
  401: 'No token, or a token that matches no user',
  403: 'The access rules do not let the user do this, or the run refused the user',
  404: 'No such incident, step, decision, runbook, schedule or route, or one you may not read',
  409: 'The run refused in its current state: the step is not waiting, a second vote, the incident is closed',
  413: 'The body is over the size limit',
  415: 'A body that is not application/json',
  429: 'Too many failed authentications with this credential or from this address (see Retry-After)',
};

/**
 * Error answers for a route's OpenAPI description: the ErrorBody schema per status, described by what the
 * status means across the API; `described` gives a route's own meaning of a status (and may add statuses).
 */
export function errorResponses(
  statuses: readonly number[],
  described: Readonly<Record<number, string>> = {},
): Record<number, z.ZodType<ErrorBody>> {
  const all = [...new Set([...statuses, ...Object.keys(described).map(Number)])];
  return Object.fromEntries(
    all.map((status) => {
      const description = described[status] ?? ERROR_DESCRIPTIONS[status];
      if (description === undefined) throw new Error(`errorResponses: status ${status} needs a description`);
      return [status, ErrorBody.describe(description)];
    }),
  );
}

function describeIssues(issues: readonly ApiIssue[]): string {
  if (issues.length === 1 && issues[0]) return `invalid request: ${issues[0].path || '(body)'}: ${issues[0].message}`;
  return `invalid request: ${issues.length} problems (see issues)`;
}
