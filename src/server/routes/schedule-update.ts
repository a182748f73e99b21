/**
 * `PATCH /schedules/{id}`: changes a schedule's cron expression, time zone, params, severity or note in
 * place, keeping its recent runs and counters. Whoever may act on the schedule may update it. The merged
 * values are checked as a new schedule's are, against the runbooks the API loaded, every problem listed
 * with those of the body; the audit entry records what changed.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SEVERITIES } from '../../domain/plan.js';
import { JsonValue } from '../../runbook/schema.js';
import { InvalidCronError, type ScheduleService } from '../../schedules/client.js';
import { ScheduleChangesSchema, ScheduleDetailSchema } from '../../schedules/schema.js';
import type { Plan } from '../../domain/plan.js';
import { checkBackupSources } from '../../schedules/backup-sources.js';
import { NOTHING_TO_CHANGE, prepareUpdate, type PreparedUpdate, type SchedulePatch } from '../../schedules/update.js';
import { userOf } from '../auth.js';
import { secretCatalogOf, type AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses, RequestValidationError, type ApiIssue } from '../errors.js';
import { authorizeScheduleCommand } from './schedule-access.js';
import { ScheduleIdParam } from './schedules.js';
import { BEARER_SECURITY, type ZodRoutes } from './shared.js';

/** Each field of the body, so that the valid ones can be checked together even when others are not. */
const PatchFields = {
  cron: z.string().min(1).max(200).describe('a new cron expression'),
  timezone: z.string().min(1).max(100).nullable().describe('a new IANA time zone of the cron expression; null for UTC'),
  params: z
    .record(z.string(), JsonValue)
    .describe('params to set or replace, checked as for a trigger; the params not named are kept'),
  unsetParams: z
    .array(z.string().min(1).max(200))
    .max(100)
    .describe('params to remove from the schedule; the runbook default then applies at each run'),
  severity: z.enum(SEVERITIES).nullable().describe("a severity for every run; null for the runbook's"),
  note: z.string().min(1).max(2000).describe("replaces the schedule's note"),
};

const UpdateBody = z.strictObject({
  cron: PatchFields.cron.optional(),
  timezone: PatchFields.timezone.optional(),
  params: PatchFields.params.optional(),
  unsetParams: PatchFields.unsetParams.optional(),
  severity: PatchFields.severity.optional(),
  note: PatchFields.note.optional(),
});

/** The fields of a body that are valid on their own: unknown fields dropped, invalid ones left out. */
const LenientBody = z
  .object({
    cron: PatchFields.cron.optional().catch(undefined),
    timezone: PatchFields.timezone.optional().catch(undefined),
    params: PatchFields.params.optional().catch(undefined),
    unsetParams: PatchFields.unsetParams.optional().catch(undefined),
    severity: PatchFields.severity.optional().catch(undefined),
    note: PatchFields.note.optional().catch(undefined),
  })
  .catch({});

const UpdateResponse = z.object({
  schedule: ScheduleDetailSchema,
  changes: ScheduleChangesSchema.describe('each value that changed, from and to (null when absent)'),
});

/** Registers `PATCH /schedules/{id}`. */
export function registerScheduleUpdate(routes: ZodRoutes, deps: AppDeps, schedules: ScheduleService): void {
  routes.patch(
    '/schedules/:id',
    {
      // Validation issues are attached, not thrown, so that param and cron problems can be listed with them.
      attachValidation: true,
      // A PATCH without a body changes nothing: answered as such rather than as a missing body.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
      schema: {
        tags: ['schedules'],
        operationId: 'updateSchedule',
        summary: "Change a schedule's timing, params, severity or note; its runs and counters are kept",
        security: BEARER_SECURITY,
        params: ScheduleIdParam,
        body: UpdateBody,
        response: {
          200: UpdateResponse.describe('The schedule as updated, and what changed'),
          ...errorResponses([400, 401, 403, 404, 413, 429]),
        },
      },
    },
    async (request) => update(deps, schedules, request, request.params.id),
  );
}

/** A valid update whose params name a backup source that is not configured becomes invalid, naming it. */
function withBackupSources(prepared: PreparedUpdate, plan: Plan | undefined, deps: AppDeps): PreparedUpdate {
  if (!prepared.ok || plan === undefined) return prepared;
  const problems = checkBackupSources(plan, prepared.update.params, deps.config.backups);
  return problems.length === 0 ? prepared : { ok: false, status: 'invalid', problems };
}

/** Checks, in order: the path (400), the schedule (404), permission (403), the body and merged values (400). */
async function update(deps: AppDeps, schedules: ScheduleService, request: FastifyRequest, scheduleId: string) {
  const invalid = request.validationError;
  if (invalid && invalid.validationContext !== 'body') throw invalid;
  await authorizeScheduleCommand(deps, schedules, request, scheduleId);
  const user = userOf(request);
  const issues = invalid instanceof RequestValidationError ? [...(invalid.issues ?? [])] : [];
  // With an invalid body, the fields that are valid are still checked, so that every problem is listed.
  const patch: SchedulePatch = LenientBody.parse(request.body);
  const runbooks = new Map(deps.runbooks.list().map((loaded) => [loaded.plan.runbookId, loaded]));
  let outcome: Awaited<ReturnType<ScheduleService['update']>>;
  try {
    outcome = await schedules.update(scheduleId, (current) => {
      const checked = prepareUpdate(runbooks, secretCatalogOf(deps), current, patch, user.id);
      const prepared = withBackupSources(checked, runbooks.get(current.runbook)?.plan, deps);
      if (issues.length === 0) return prepared;
      // The body's own issues come first; "nothing to change" only when no field was even recognised.
      const found = prepared.ok ? [] : prepared.problems;
      const extra = found.filter((problem) => problem !== NOTHING_TO_CHANGE || !mentionsField(issues));
      return { ok: false, status: 'invalid', problems: merge(issues, extra) };
    });
  } catch (error) {
    if (error instanceof InvalidCronError) throw new RequestValidationError([{ path: 'cron', message: error.message }]);
    throw error;
  }
  if (!outcome.ok && outcome.status === 'not_found') {
    const reason = outcome.problems[0]?.message ?? 'its runbook is not loaded';
    throw new ApiError(
      404,
      ApiErrorCode.NotFound,
      `cannot check schedule ${scheduleId} against its runbook: ${reason}`,
    );
  }
  if (!outcome.ok) throw new RequestValidationError(outcome.problems);
  request.auditNote.changes = outcome.changes;
  return { schedule: outcome.schedule, changes: outcome.changes };
}

/** Whether any issue is about a field of the patch (as opposed to an unknown field). */
function mentionsField(issues: readonly ApiIssue[]): boolean {
  return issues.some((issue) => Object.hasOwn(PatchFields, issue.path.split(/[.[]/)[0] ?? ''));
}

function merge(issues: readonly ApiIssue[], extra: readonly ApiIssue[]): ApiIssue[] {
  const known = new Set(issues.map((issue) => issue.path));
  return [...issues, ...extra.filter((issue) => !known.has(issue.path))];
}
