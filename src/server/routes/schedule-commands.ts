/**
 * Acting on a schedule: pause, resume, trigger a run now, delete, update (schedule-update.ts). Whoever may
 * trigger a schedule's runbook may act on its schedule. A trigger while the previous run is still going is
 * refused with 409, since overlapping runs are skipped.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ScheduleService } from '../../schedules/client.js';
import { userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { errorResponses } from '../errors.js';
import { authorizeScheduleCommand as authorize } from './schedule-access.js';
import { registerScheduleUpdate } from './schedule-update.js';
import { ScheduleIdParam } from './schedules.js';
import { BEARER_SECURITY, COMMAND_TAKEN, type ZodRoutes } from './shared.js';

const NoteBody = z.strictObject({ note: z.string().min(1).max(2000).optional() });
const EmptyBody = z.strictObject({});

const COMMAND_ERRORS = errorResponses([400, 401, 403, 404, 409, 413, 429]);

function commandSchema(operationId: string, summary: string, status = 200) {
  return {
    tags: ['schedules'],
    operationId,
    summary,
    security: BEARER_SECURITY,
    params: ScheduleIdParam,
    response: { [status]: COMMAND_TAKEN, ...COMMAND_ERRORS },
  };
}

/** Registers the schedule commands. */
export function registerScheduleCommandRoutes(app: FastifyInstance, deps: AppDeps, schedules: ScheduleService): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerPauseResume(routes, deps, schedules);
  registerScheduleUpdate(routes, deps, schedules);
  routes.post(
    '/schedules/:id/trigger',
    {
      schema: {
        ...commandSchema('triggerSchedule', 'Take a run now (refused while the previous run is going)', 202),
        body: EmptyBody,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      await authorize(deps, schedules, request, id);
      await schedules.trigger(id);
      return reply.code(202).send({ ok: true, message: `schedule ${id} triggered; its run starts now` });
    },
  );
  routes.delete(
    '/schedules/:id',
    { schema: commandSchema('deleteSchedule', 'Delete a schedule (a run in progress goes on)') },
    async (request) => {
      const id = request.params.id;
      await authorize(deps, schedules, request, id);
      await schedules.delete(id);
      return { ok: true as const, message: `schedule ${id} deleted` };
    },
  );
}

function registerPauseResume(routes: ZodRoutes, deps: AppDeps, schedules: ScheduleService): void {
  routes.post(
    '/schedules/:id/pause',
    {
      schema: {
        ...commandSchema('pauseSchedule', 'Pause a schedule: no run is taken until it is resumed'),
        body: NoteBody,
      },
    },
    async (request) => {
      const id = request.params.id;
      await authorize(deps, schedules, request, id);
      await schedules.pause(id, request.body.note ?? `paused by ${userOf(request).id}`);
      return { ok: true as const, message: `schedule ${id} paused` };
    },
  );
  routes.post(
    '/schedules/:id/resume',
    { schema: { ...commandSchema('resumeSchedule', 'Resume a paused schedule'), body: NoteBody } },
    async (request) => {
      const id = request.params.id;
      await authorize(deps, schedules, request, id);
      await schedules.resume(id, request.body.note ?? `resumed by ${userOf(request).id}`);
      return { ok: true as const, message: `schedule ${id} resumed` };
    },
  );
}
