/** Schemas and helpers shared by the API's routes. */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode } from '../errors.js';

/** A fastify instance whose routes are typed from their zod schemas. */
export type ZodRoutes = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The OpenAPI security requirement of routes that need a bearer token. */
export const BEARER_SECURITY = [{ bearerAuth: [] }];

/** An incident id in a path: the characters incident ids are made of, so nothing else reaches Temporal. */
export const IncidentIdParam = z.strictObject({
  id: z
    .string()
    .max(255)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { error: 'expected an incident id' }),
});

/** A step id in a path. */
export const StepIdParam = z
  .string()
  .max(200)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: 'expected a step id' });

/** A runbook id (kebab-case), in a path or a filter. */
export const RunbookIdText = z
  .string()
  .max(200)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'expected a runbook id (kebab-case)' });

/**
 * Types a loose response schema as the domain interface it describes. Interfaces have no index
 * signature, so they are not assignable to a loose object's type, though every value fits the schema.
 */
export function schemaOf<T>(schema: z.ZodType): z.ZodType<T> {
  return schema as z.ZodType<T>;
}

/** The answer of every command. */
export const CommandResponse = z.object({ ok: z.literal(true), message: z.string() }).meta({ id: 'CommandResponse' });

/** A command's success answer in the OpenAPI document. */
export const COMMAND_TAKEN = CommandResponse.describe('The run took the command; `message` says what it did');

/**
 * Whether a request may leave its body out: a command sent without a body (`curl -X POST .../cancel`) is
 * the command with every field left out, so a POST whose body schema accepts `{}` needs none. The
 * authenticated routes apply it (src/server/app.ts); the OpenAPI document says so (src/server/openapi.ts).
 */
export function bodyMayBeOmitted(method: string, body?: z.ZodType): boolean {
  return method === 'POST' && (body === undefined || body.safeParse({}).success);
}

/** Answers 404 unless the id names an incident (a dedup workflow's id does not). */
export async function ensureIncident(deps: AppDeps, incidentId: string): Promise<void> {
  if (!(await deps.incidents.isIncident(incidentId))) {
    throw new ApiError(404, ApiErrorCode.NotFound, `no incident ${incidentId}`);
  }
}
