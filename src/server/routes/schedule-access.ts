/** Who may act on a schedule: whoever may trigger its runbook, the same rule that decides who may create it. */
import type { FastifyRequest } from 'fastify';
import type { ScheduleService } from '../../schedules/client.js';
import { mayTrigger, userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode } from '../errors.js';

/** 404 unless the schedule exists, then 403 unless the user may trigger its runbook; gives the runbook id. */
export async function authorizeScheduleCommand(
  deps: AppDeps,
  schedules: ScheduleService,
  request: FastifyRequest,
  scheduleId: string,
): Promise<string> {
  const user = userOf(request);
  const runbook = await schedules.runbookOf(scheduleId);
  if (!mayTrigger(deps.config.access, user, runbook)) {
    throw new ApiError(403, ApiErrorCode.Forbidden, `${user.id} may not act on schedules of ${runbook}`);
  }
  return runbook;
}
