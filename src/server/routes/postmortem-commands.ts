/**
 * Writing and reviewing a post-mortem: `PUT /postmortems/{id}/sections/{section}` (an edit on the revision
 * it was written on; a stale one is a 409 that hands back both texts) and `POST /postmortems/{id}/status`
 * (to review, to publication, back to draft), and `PATCH /postmortems/{id}/tags`. The blameless check runs at review, where its flags are
 * returned, and at publication, which is refused (422) until every flag is rephrased or acknowledged.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { checkBlameless, type BlamelessFlag, type BlamelessOptions } from '../../postmortems/blameless.js';
import {
  POSTMORTEM_TRANSITIONS,
  STORE_LIMITS,
  type Acknowledgement,
  type Postmortem,
} from '../../postmortems/store/index.js';
import type { PostmortemStatus, SectionId } from '../../postmortems/types.js';
import { userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses, RequestValidationError } from '../errors.js';
import { revisionsOf, textsOf, type PostmortemAccess, type PostmortemPart } from '../postmortem-access.js';
import {
  EditBody,
  FlagSchema,
  PostmortemIdParam,
  PostmortemSchema,
  RevisionSchema,
  SectionParam,
  StatusBody,
  TagsBody,
} from './postmortem-schemas.js';
import { BEARER_SECURITY, schemaOf, type ZodRoutes } from './shared.js';

const UNAVAILABLE = { 503: 'The server has no post-mortem store, or cannot open it' };

/** Who may make each status move (`POSTMORTEM_TRANSITIONS` in the store says which moves exist). */
function moversOf(from: PostmortemStatus, to: PostmortemStatus): readonly PostmortemPart[] {
  if (!POSTMORTEM_TRANSITIONS[from].includes(to)) return [];
  return from === 'draft' ? ['facilitator', 'admin'] : ['facilitator', 'reviewer', 'admin'];
}
/** The body limit of a section edit: a whole section escaped in JSON (line breaks and quotes double). */
const SECTION_BODY_LIMIT = 4 * STORE_LIMITS.sectionBytes;
const EDITORS: readonly PostmortemPart[] = ['facilitator', 'reviewer', 'admin'];

/** Registers the edit and status routes (called by `registerPostmortemRoutes`). */
export function registerPostmortemCommandRoutes(routes: ZodRoutes, deps: AppDeps, access: PostmortemAccess): void {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  routes.put(
    '/postmortems/:id/sections/:section',
    {
      // A section may hold up to 256 KiB of UTF-8, more once escaped in JSON: more than the API's default limit.
      bodyLimit: Math.max(deps.config.api?.bodyLimit ?? 0, SECTION_BODY_LIMIT),
      schema: {
        tags: ['post-mortems'],
        operationId: 'editPostmortemSection',
        summary: 'Write a section, on the revision you started from',
        security: BEARER_SECURITY,
        params: PostmortemIdParam.extend({ section: SectionParam }),
        body: EditBody,
        response: {
          200: z.object({ revision: RevisionSchema }).describe('The revision written'),
          ...errorResponses([400, 401, 403, 404, 413, 429], {
            ...UNAVAILABLE,
            409: 'Someone saved the section since `baseRevision` (details: the current revision, its author and text, and yours), or the post-mortem is published',
          }),
        },
      },
    },
    async (request) => {
      const { store, postmortem } = await access.readable(request, request.params.id);
      const user = userOf(request);
      access.requirePart(user, postmortem, EDITORS, 'edit');
      const { section } = request.params;
      const { text, baseRevision } = request.body;
      if (postmortem.status === 'published') {
        throw new ApiError(
          409,
          ApiErrorCode.Conflict,
          `post-mortem ${postmortem.id} is published: reopen it to edit`,
          undefined,
          {},
          {
            section,
            yourText: text,
          },
        );
      }
      try {
        const revision = await store.editSection(postmortem.id, section, text, {
          author: user.id,
          at: now(),
          baseRevision,
        });
        return { revision };
      } catch (error) {
        if (error instanceof FirebreakError && error.code === ErrorCode.Conflict) {
          throw await editConflict(store, postmortem.id, section, text, error.message);
        }
        throw error;
      }
    },
  );
  routes.patch(
    '/postmortems/:id/tags',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'tagPostmortem',
        summary: 'Add and remove tags (search, lists and the periodic review filter and count by them)',
        description:
          'For the facilitators, reviewers and admins, in any status (tags say what a post-mortem is about, not ' +
          'what it says). Each change is kept in the history with who and when.',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        body: TagsBody,
        response: {
          200: z.object({ postmortem: schemaOf<Postmortem>(PostmortemSchema) }).describe('The post-mortem, tagged'),
          ...errorResponses([400, 401, 403, 404, 429], UNAVAILABLE),
        },
      },
    },
    async (request) => {
      const { store, postmortem } = await access.readable(request, request.params.id);
      const user = userOf(request);
      access.requirePart(user, postmortem, EDITORS, 'tag');
      const { add = [], remove = [] } = request.body;
      return { postmortem: await store.updateTags(postmortem.id, { add, remove }, { actor: user.id, at: now() }) };
    },
  );
  routes.post(
    '/postmortems/:id/status',
    {
      schema: {
        tags: ['post-mortems'],
        operationId: 'setPostmortemStatus',
        summary: 'Send to review, publish, send back or reopen; the blameless check runs at review and publication',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        body: StatusBody,
        response: {
          200: z
            .object({ postmortem: schemaOf<Postmortem>(PostmortemSchema), flags: z.array(FlagSchema) })
            .describe('The post-mortem moved; `flags`: the blameless flags (at review: to rephrase or acknowledge)'),
          ...errorResponses([400, 401, 403, 404, 409, 413, 429], {
            ...UNAVAILABLE,
            409: 'The post-mortem is no longer in `from` (details: its status now)',
            422: 'Publication refused: blameless flags neither rephrased nor acknowledged (issues: section, line and column; details.flags)',
          }),
        },
      },
    },
    async (request) => {
      const { store, postmortem } = await access.readable(request, request.params.id);
      const user = userOf(request);
      const { from, to, reason, acknowledgements = [] } = request.body;
      const movers = moversOf(from, to);
      if (movers.length === 0)
        throw new ApiError(400, ApiErrorCode.InvalidInput, `a ${from} post-mortem cannot move to ${to}`);
      access.requirePart(user, postmortem, movers, `move to ${to}`);
      if (postmortem.status !== from) {
        throw new ApiError(
          409,
          ApiErrorCode.Conflict,
          `post-mortem ${postmortem.id} is ${postmortem.status}, not ${from}`,
          undefined,
          {},
          {
            status: postmortem.status,
          },
        );
      }
      if (from === 'published' && reason === undefined) {
        throw new RequestValidationError([
          { path: 'reason', message: 'required to reopen a published post-mortem: say why' },
        ]);
      }
      const flags = to === 'draft' ? [] : checkBlameless(textsOf(postmortem), blamelessOptions(deps, postmortem));
      const acknowledged = to === 'published' ? publicationAcknowledgements(flags, acknowledgements) : [];
      // Publishing sends the summary to `people.audience`: a later piece of issue 13 (not sent yet).
      const moved = await store.setStatus(postmortem.id, {
        from,
        to,
        actor: user.id,
        at: now(),
        ...(reason === undefined ? {} : { reason }),
        ...(acknowledged.length === 0 ? {} : { acknowledgements: acknowledged }),
        // The move applies only to the texts just checked: an edit since then is a 409, not a bypass.
        ...(to === 'draft' ? {} : { sections: revisionsOf(postmortem) }),
      });
      return { postmortem: moved, flags };
    },
  );
}

/** The 409 of a stale edit: the section as it is now, and the text refused, so nothing is lost. */
async function editConflict(
  store: Awaited<ReturnType<PostmortemAccess['store']>>,
  id: string,
  section: SectionId,
  yourText: string,
  message: string,
): Promise<ApiError> {
  const current = (await store.getPostmortem(id))?.sections[section];
  return new ApiError(
    409,
    ApiErrorCode.Conflict,
    message,
    undefined,
    {},
    {
      section,
      revision: current?.revision,
      author: current?.author,
      at: current?.at,
      text: current?.text,
      yourText,
    },
  );
}

/**
 * The acknowledgements recorded with a publication, one per flag, each with its flag's place and phrase.
 * Refuses (nothing moved) an acknowledgement of a flag the text no longer has (400) and a flag left neither
 * rephrased nor acknowledged (422).
 */
function publicationAcknowledgements(
  flags: readonly BlamelessFlag[],
  acknowledgements: readonly { flag: string; reason: string }[],
): Acknowledgement[] {
  const known = new Map(flags.map((flag) => [flag.id, flag]));
  const stale = acknowledgements.flatMap((ack, index) =>
    known.has(ack.flag)
      ? []
      : [
          {
            path: `acknowledgements.${index}.flag`,
            message: `no flag ${ack.flag} in the post-mortem now (rephrased since?)`,
          },
        ],
  );
  if (stale.length > 0) throw new RequestValidationError(stale);
  const acknowledged = new Map(acknowledgements.map((ack) => [ack.flag, ack.reason]));
  const open = flags.filter((flag) => !acknowledged.has(flag.id));
  if (open.length > 0) {
    throw new ApiError(
      422,
      ApiErrorCode.Unprocessable,
      `${open.length} blameless flag${open.length === 1 ? '' : 's'} to rephrase or acknowledge before publishing`,
      open.map((flag) => ({
        path: `sections.${flag.section}`,
        message: `line ${flag.line}, column ${flag.column}: "${flag.match}" (flag ${flag.id}): ${flag.instead}`,
      })),
      {},
      { flags: open },
    );
  }
  return flags.map((flag) => ({
    flag: flag.id,
    section: flag.section,
    line: flag.line,
    column: flag.column,
    phrase: flag.match.replace(/\s+/g, ' ').slice(0, STORE_LIMITS.phraseChars),
    reason: (acknowledged.get(flag.id) ?? '').replace(/\s+/g, ' '),
  }));
}

/** The people the blameless check looks for (the roster and the runbook's own people) and the config's words. */
function blamelessOptions(deps: AppDeps, postmortem: Postmortem): BlamelessOptions {
  // A Map, not an object: roster ids are keys from configuration and runbooks.
  const people = new Map<string, { name?: string; email?: string }>();
  for (const user of [...deps.config.users, ...(deps.extraUsers ?? [])]) {
    people.set(user.id, {
      ...(user.name === undefined ? {} : { name: user.name }),
      ...(user.email === undefined ? {} : { email: user.email }),
    });
  }
  const planPeople = deps.runbooks.get(postmortem.runbookId)?.plan.people ?? {};
  for (const [id, person] of Object.entries(planPeople)) people.set(id, { ...people.get(id), ...person });
  return { people: Object.fromEntries(people), extraWords: deps.config.postmortems?.blamelessWords ?? [] };
}
