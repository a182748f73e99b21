/**
 * `GET /schedules` (list), `POST /schedules` (create) and `GET /schedules/{id}` (one, with its recent runs
 * and the incidents they started). A schedule is created under the same access rules as a trigger of its
 * runbook, and its params are checked the same way, every problem listed. A schedule is read by whoever may
 * read its runbook's schedules (src/server/read-access.ts) and by its creator; to anyone else it does not exist.
 */
import type { SecretCatalog } from '../../secrets/declared.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SEVERITIES } from '../../domain/plan.js';
import { JsonValue } from '../../runbook/schema.js';
import { validateTriggerParams } from '../../runbook/trigger-params.js';
import { checkBackupSources } from '../../schedules/backup-sources.js';
import { InvalidCronError, type ScheduleService } from '../../schedules/client.js';
import { prepareSchedule, sameRuns, SCHEDULE_ID, SCHEDULE_ID_MAX, type NewSchedule } from '../../schedules/prepare.js';
import { ScheduleDetailSchema, ScheduleSummarySchema } from '../../schedules/schema.js';
import { checkTiming } from '../../schedules/spec.js';
import { mayTrigger, userOf, type AuthenticatedUser } from '../auth.js';
import { secretCatalogOf, type AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses, RequestValidationError, type ApiIssue } from '../errors.js';
import type { ReadAccess } from '../read-access.js';
import { BEARER_SECURITY, type ZodRoutes } from './shared.js';

/** A schedule id in a path or a body. */
export const ScheduleIdText = z
  .string()
  .max(SCHEDULE_ID_MAX)
  .regex(SCHEDULE_ID, { error: 'expected a schedule id (letters, digits, `.`, `_`, `-`)' });

/** The path of the routes on one schedule. */
export const ScheduleIdParam = z.strictObject({ id: ScheduleIdText });

const CreateBody = z.strictObject({
  runbook: z.string().min(1).max(200),
  cron: z.string().min(1).max(200).describe('a cron expression: minute hour day-of-month month day-of-week'),
  params: z.record(z.string(), JsonValue).optional(),
  severity: z.enum(SEVERITIES).optional().describe('overrides the runbook severity'),
  timezone: z.string().min(1).max(100).optional().describe('IANA time zone of the cron expression; default UTC'),
  id: ScheduleIdText.optional().describe('default: the runbook id and a short random suffix'),
  note: z.string().min(1).max(2000).optional(),
  allowDuplicate: z
    .boolean()
    .optional()
    .describe('create it even when a schedule you may read already runs this runbook with these params and timing'),
});

const ScheduleResponse = z.object({ schedule: ScheduleDetailSchema });

/** Registers the schedule routes that create and read. */
export function registerScheduleRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  schedules: ScheduleService,
  reads: ReadAccess,
): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerCreate(routes, deps, schedules, reads);
  routes.get(
    '/schedules',
    {
      schema: {
        tags: ['schedules'],
        operationId: 'listSchedules',
        summary: 'The schedules you may read, by id, with their next run and last run',
        security: BEARER_SECURITY,
        response: {
          200: z.object({ schedules: z.array(ScheduleSummarySchema) }).describe('The schedules you may read'),
          ...errorResponses([401, 429]),
        },
      },
    },
    async (request) => {
      const user = userOf(request);
      return { schedules: (await schedules.list()).filter((schedule) => mayReadSchedule(reads, user, schedule)) };
    },
  );
  routes.get(
    '/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        operationId: 'getSchedule',
        summary: 'One schedule: timing, state, next runs, recent runs and the incidents they started',
        security: BEARER_SECURITY,
        params: ScheduleIdParam,
        response: { 200: ScheduleResponse.describe('The schedule'), ...errorResponses([400, 401, 404, 429]) },
      },
    },
    async (request) => {
      const schedule = await schedules.get(request.params.id);
      if (!mayReadSchedule(reads, userOf(request), schedule)) {
        // The same answer as for an unknown schedule, so an id is not confirmed.
        throw new ApiError(404, ApiErrorCode.NotFound, `no schedule ${request.params.id}`);
      }
      return { schedule };
    },
  );
}

/** Whether the user may read a schedule: they may read its runbook's schedules, or they created it. */
function mayReadSchedule(
  reads: ReadAccess,
  user: AuthenticatedUser,
  schedule: { runbook: string; createdBy?: string | undefined },
): boolean {
  return schedule.createdBy === user.id || reads.mayReadRunbook(user, schedule.runbook);
}

function registerCreate(routes: ZodRoutes, deps: AppDeps, schedules: ScheduleService, reads: ReadAccess): void {
  routes.post(
    '/schedules',
    {
      // Validation issues are attached, not thrown, so that param and cron problems can be listed with them.
      attachValidation: true,
      schema: {
        tags: ['schedules'],
        operationId: 'createSchedule',
        summary: 'Schedule a runbook (overlapping runs are skipped)',
        security: BEARER_SECURITY,
        body: CreateBody,
        response: {
          201: ScheduleResponse.describe('The schedule, created'),
          ...errorResponses([400, 401, 403, 404, 409, 413, 429]),
        },
      },
    },
    async (request, reply) => {
      const schedule = await create(deps, schedules, reads, request);
      return reply.code(201).send({ schedule });
    },
  );
}

/**
 * Checks, in order: permission on a known runbook (403), the body (400), the runbook (404), the rest (400),
 * the backup sources its backup actions name (400), and a schedule already doing the same (409).
 */
async function create(deps: AppDeps, schedules: ScheduleService, reads: ReadAccess, request: FastifyRequest) {
  const user = userOf(request);
  const raw = request.body as Record<string, unknown> | null | undefined;
  const loaded = typeof raw?.runbook === 'string' ? deps.runbooks.get(raw.runbook) : undefined;
  if (loaded && !mayTrigger(deps.config.access, user, loaded.plan.runbookId)) {
    throw new ApiError(403, ApiErrorCode.Forbidden, `${user.id} may not schedule ${loaded.plan.runbookId}`);
  }
  if (request.validationError)
    throw new RequestValidationError(bodyIssues(request.validationError, loaded, raw, secretCatalogOf(deps)));
  const body = request.body as z.output<typeof CreateBody>;
  if (!loaded) throw new ApiError(404, ApiErrorCode.NotFound, `no runbook ${body.runbook}`);
  const prepared = prepareSchedule(new Map([[body.runbook, loaded]]), secretCatalogOf(deps), {
    runbook: body.runbook,
    cron: body.cron,
    params: body.params ?? {},
    createdBy: user.id,
    ...(body.severity === undefined ? {} : { severity: body.severity }),
    ...(body.timezone === undefined ? {} : { timezone: body.timezone }),
    ...(body.id === undefined ? {} : { scheduleId: body.id }),
    ...(body.note === undefined ? {} : { note: body.note }),
  });
  if (!prepared.ok) throw new RequestValidationError(prepared.problems);
  const sources = checkBackupSources(loaded.plan, prepared.schedule.params, deps.config.backups);
  if (sources.length > 0) throw new RequestValidationError(sources);
  if (body.allowDuplicate !== true) await refuseDuplicate(schedules, reads, user, prepared.schedule);
  request.auditNote.scheduleId = prepared.schedule.scheduleId;
  try {
    return await schedules.create(prepared.schedule);
  } catch (error) {
    if (error instanceof InvalidCronError) throw new RequestValidationError([{ path: 'cron', message: error.message }]);
    throw error;
  }
}

/**
 * 409 naming a schedule that already starts the same runs. Only schedules the caller may read count, so
 * the answer never reveals one they may not see. Two creates racing each other can still both succeed.
 */
async function refuseDuplicate(
  schedules: ScheduleService,
  reads: ReadAccess,
  user: AuthenticatedUser,
  schedule: NewSchedule,
): Promise<void> {
  const existing = (await schedules.list()).find(
    (other) => sameRuns(other, schedule) && mayReadSchedule(reads, user, other),
  );
  if (existing === undefined) return;
  throw new ApiError(
    409,
    ApiErrorCode.Conflict,
    `schedule ${existing.scheduleId} already runs ${schedule.runbook} at "${existing.cron}" ` +
      `(${existing.timezone ?? 'UTC'}) with the same params; change it (PATCH /schedules/${existing.scheduleId}), ` +
      'or set allowDuplicate to create another',
  );
}

/** The body's own issues, plus the problems of the params, cron and time zone that can be checked. */
function bodyIssues(
  error: Error,
  loaded: ReturnType<AppDeps['runbooks']['get']>,
  raw: Record<string, unknown> | null | undefined,
  secrets: SecretCatalog,
): ApiIssue[] {
  const issues = error instanceof RequestValidationError ? [...(error.issues ?? [])] : [];
  const extra: ApiIssue[] = [];
  const params = raw?.params ?? {};
  if (loaded && params !== null && typeof params === 'object' && !Array.isArray(params)) {
    const checked = validateTriggerParams(loaded.plan, params as Record<string, unknown>, secrets);
    if (!checked.ok) extra.push(...checked.issues);
  }
  if (typeof raw?.cron === 'string') {
    const timezone = typeof raw.timezone === 'string' ? raw.timezone : undefined;
    extra.push(...checkTiming(raw.cron, timezone));
  }
  const known = new Set(issues.map((issue) => issue.path));
  return [...issues, ...extra.filter((issue) => !known.has(issue.path))];
}
