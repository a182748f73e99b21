/**
 * `POST /incidents/{id}/postmortem` (`registerPostmortemDraftRoutes`) drafts the
 * post-mortem of a closed incident (any closed incident: the command is how one is asked for when the
 * incident did not need one), or answers with the one it has, and makes sure its workflow runs (the
 * review's reminders and the published summary are sent from there).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PostmortemsConfigSchema } from '../../config/index.js';
import { own } from '../../domain/own.js';
import { SEVERITIES } from '../../domain/plan.js';
import { postmortemStepOf } from '../../domain/postmortem.js';
import { readIncidentStart } from '../../incidents/readers.js';
import { draftFromIncident } from '../../postmortems/from-incident.js';
import type { Postmortem } from '../../postmortems/store/index.js';
import { POSTMORTEM_STATUSES } from '../../postmortems/types.js';
import type { StartIncident } from '../../../workflows/definitions.js';
import { userOf, type AuthenticatedUser } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
import { wakeReview } from '../postmortem-review.js';
import type { ReadAccess } from '../read-access.js';
import { BEARER_SECURITY, IncidentIdParam } from './shared.js';

/** What drafting answers: the post-mortem without its facts and sections (read those from the post-mortem). */
export const DraftedPostmortem = z
  .object({
    id: z.string(),
    incidentId: z.string(),
    title: z.string(),
    runbookId: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(POSTMORTEM_STATUSES),
    outcome: z.enum(['completed', 'failed', 'aborted', 'cancelled']),
    startedAt: z.string(),
    endedAt: z.string(),
    people: z.object({
      facilitators: z.array(z.string()),
      reviewers: z.array(z.string()),
      audience: z.array(z.string()),
    }),
    reviewDueAt: z.string().optional(),
    tags: z.array(z.string()),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'DraftedPostmortem' });
export type DraftedPostmortem = z.infer<typeof DraftedPostmortem>;

/** Registers `POST /incidents/{id}/postmortem`. */
export function registerPostmortemDraftRoutes(app: FastifyInstance, deps: AppDeps, reads: ReadAccess): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/incidents/:id/postmortem',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'draftPostmortem',
        summary: "Draft the closed incident's post-mortem",
        description:
          'Drafts the post-mortem of a closed incident from its final state and the plan it ran, whether or not ' +
          'the incident needed one; an incident that has one gets it back unchanged (200). For the members of ' +
          "the incident's commander role and of its postmortem step's facilitator role, and for admins.",
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        body: z.strictObject({}),
        response: {
          201: DraftedPostmortem.describe('Drafted now'),
          200: DraftedPostmortem.describe('The incident already had this post-mortem'),
          ...errorResponses([400, 401, 403, 404, 429], {
            409: 'The incident is still running: its post-mortem is drafted once it has closed',
          }),
        },
      },
    },
    async (request, reply) => {
      const incidentId = request.params.id;
      await reads.authorizeIncident(request, incidentId);
      const user = userOf(request);
      const start = await readIncidentStart(deps.temporal.client, incidentId);
      if (start === undefined) throw new ApiError(404, ApiErrorCode.NotFound, `no incident ${incidentId}`);
      if (!mayDraft(user, start, deps)) {
        throw new ApiError(
          403,
          ApiErrorCode.Forbidden,
          `${user.id} may not draft this post-mortem: it needs ${draftRoles(start)
            .map((role) => `role:${role}`)
            .join(' or ')} in the incident, or an admin role`,
        );
      }
      if (deps.postmortems === undefined) throw new Error('this server has no post-mortem store');
      const result = await draftFromIncident(
        incidentId,
        {
          temporal: deps.temporal.client,
          store: await deps.postmortems.get(),
          postmortems: deps.config.postmortems ?? PostmortemsConfigSchema.parse({}),
          ...(deps.now ? { now: deps.now } : {}),
        },
        { actor: user.id, force: true },
      );
      // `force` always drafts: a post-mortem is there whichever way it went.
      const postmortem = result.postmortem as Postmortem;
      // The review's reminders run in the post-mortem's workflow: one is started if none runs (drafted by
      // hand, so none was). A published one's workflow has ended and is not started again from here.
      if (postmortem.status !== 'published') {
        await wakeReview(deps, postmortem, result.created ? `drafted by ${user.id}` : `asked for by ${user.id}`);
      }
      return reply.code(result.created ? 201 : 200).send(summaryOf(postmortem));
    },
  );
}

/** The roles whose members may draft: `commander`, and the facilitator role of the runbook's `postmortem` step. */
function draftRoles(start: StartIncident): string[] {
  const step = postmortemStepOf(start.plan);
  return [...new Set(['commander', ...(step ? [step.facilitator.role] : [])])];
}

/** Admins (the config's `access.admin` roles, the entry point's admins) and the draft roles' frozen members. */
function mayDraft(user: AuthenticatedUser, start: StartIncident, deps: AppDeps): boolean {
  if ((deps.admins ?? []).includes(user.id)) return true;
  const admin = deps.config.access?.admin ?? [];
  if (user.roles.some((role) => admin.includes(role))) return true;
  const email = user.email?.toLowerCase();
  return draftRoles(start).some((role) =>
    (own(start.plan.roles, role)?.members ?? []).some(
      (member) => member === user.id || (email !== undefined && member.toLowerCase() === email),
    ),
  );
}

function summaryOf(postmortem: Postmortem): DraftedPostmortem {
  return {
    id: postmortem.id,
    incidentId: postmortem.incidentId,
    title: postmortem.title,
    runbookId: postmortem.runbookId,
    severity: postmortem.severity,
    status: postmortem.status,
    outcome: postmortem.outcome,
    startedAt: postmortem.startedAt,
    endedAt: postmortem.endedAt,
    people: postmortem.people,
    ...(postmortem.reviewDueAt === undefined ? {} : { reviewDueAt: postmortem.reviewDueAt }),
    tags: postmortem.tags,
    createdBy: postmortem.createdBy,
    createdAt: postmortem.createdAt,
  };
}
