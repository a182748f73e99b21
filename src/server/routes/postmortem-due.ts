/**
 * `PATCH /postmortems/{id}` with `{ reviewDueAt }`: moves (or clears) a post-mortem's review due date, as
 * the overdue notice asks ("agree a new date and set it"). For those who may edit it; refused (409) once it
 * is published. The change is audited like every request, and wakes the post-mortem's workflow, whose
 * reminders then count from the new date.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { Postmortem } from '../../postmortems/store/index.js';
import { userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses, RequestValidationError } from '../errors.js';
import type { PostmortemAccess, PostmortemPart } from '../postmortem-access.js';
import { wakeReview, withOverdueMark } from '../postmortem-review.js';
import { PostmortemIdParam, PostmortemPatchBody, PostmortemSchema } from './postmortem-schemas.js';
import { BEARER_SECURITY, schemaOf, type ZodRoutes } from './shared.js';

const EDITORS: readonly PostmortemPart[] = ['facilitator', 'reviewer', 'admin'];

/** Registers `PATCH /postmortems/{id}` (called by `registerPostmortemRoutes`). */
export function registerPostmortemDueRoute(routes: ZodRoutes, deps: AppDeps, access: PostmortemAccess): void {
  const now = () => (deps.now ?? (() => new Date()))();
  routes.patch(
    '/postmortems/:id',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'updatePostmortem',
        summary: 'Set or clear the review due date; the reminders count from the new date',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        body: PostmortemPatchBody,
        response: {
          200: z.object({ postmortem: schemaOf<Postmortem>(PostmortemSchema) }).describe('The post-mortem as changed'),
          ...errorResponses([400, 401, 403, 404, 429], {
            409: 'The post-mortem is published: reopen it to set a review date',
            503: 'The server has no post-mortem store, or cannot open it',
          }),
        },
      },
    },
    async (request) => {
      const { store, postmortem } = await access.readable(request, request.params.id);
      const user = userOf(request);
      access.requirePart(user, postmortem, EDITORS, 'set the review date of');
      const { reviewDueAt } = request.body;
      const at = now();
      if (reviewDueAt !== null && Date.parse(reviewDueAt) <= at.getTime()) {
        throw new RequestValidationError([
          { path: 'reviewDueAt', message: `must be in the future (it is ${at.toISOString()} now)` },
        ]);
      }
      if (postmortem.status === 'published') throw published(postmortem.id);
      let changed: Postmortem;
      try {
        changed = await store.setReviewDue(postmortem.id, reviewDueAt ?? undefined, {
          actor: user.id,
          at: at.toISOString(),
        });
      } catch (error) {
        // Published between the read and the write (under the store's row lock).
        if (error instanceof FirebreakError && error.code === ErrorCode.Conflict) throw published(postmortem.id);
        throw error;
      }
      // The audit entry says what changed, as a schedule update's does.
      request.auditNote.changes = {
        reviewDueAt: { from: postmortem.reviewDueAt ?? null, to: changed.reviewDueAt ?? null },
      };
      const what = changed.reviewDueAt === undefined ? 'cleared' : `set to ${changed.reviewDueAt}`;
      await wakeReview(deps, changed, `review due date ${what} by ${user.id}`);
      return { postmortem: withOverdueMark(changed, at) };
    },
  );
}

function published(id: string): ApiError {
  return new ApiError(
    409,
    ApiErrorCode.Conflict,
    `post-mortem ${id} is published: reopen it to set a review date`,
    undefined,
    {},
    {
      status: 'published',
    },
  );
}
