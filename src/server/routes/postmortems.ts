/**
 * The post-mortem routes: `GET /postmortems` (list), `/postmortems/search`, `/postmortems/{id}`, its export
 * and its history, and the writes of src/server/routes/postmortem-commands.ts. Every route is authenticated
 * and audited; a post-mortem someone may not read is answered 404, like an unknown id.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { renderPostmortem } from '../../postmortems/render.js';
import { STORE_LIMITS, type Postmortem } from '../../postmortems/store/index.js';
import { userOf, type AuthenticatedUser } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { errorResponses } from '../errors.js';
import { documentOf, PostmortemAccess, textsOf } from '../postmortem-access.js';
import { READ_CHECK_LIMIT, type ReadAccess } from '../read-access.js';
import { registerPostmortemCommandRoutes } from './postmortem-commands.js';
import {
  ExportQuery,
  HistoryQuery,
  ListQuery,
  PostmortemIdParam,
  PostmortemSchema,
  PostmortemSummary,
  RevisionSchema,
  SearchHitSchema,
  SearchQuery,
  StatusChangeSchema,
  FieldChangeSchema,
} from './postmortem-schemas.js';
import { BEARER_SECURITY, schemaOf, type ZodRoutes } from './shared.js';

/** What 503 means on these routes. */
const UNAVAILABLE = { 503: 'The server has no post-mortem store, or cannot open it' };
const READ_ERRORS = errorResponses([400, 401, 429], UNAVAILABLE);
const ONE_ERRORS = errorResponses([400, 401, 404, 429], UNAVAILABLE);

/** The page's Content-Security-Policy: nothing loads, nothing runs, no form posts, not framed. */
export const EXPORT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";
const CONTENT_TYPES = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
} as const;

/** How many post-mortems' incidents are looked up at once. */
const LOOKUP_CONCURRENCY = 16;

/** Registers the post-mortem routes. */
export function registerPostmortemRoutes(app: FastifyInstance, deps: AppDeps, reads: ReadAccess): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const access = new PostmortemAccess(deps, reads);
  registerList(routes, access);
  registerOne(routes, access);
  registerPostmortemCommandRoutes(routes, deps, access);
}

const ListResponse = z.object({
  postmortems: z.array(PostmortemSummary),
  truncated: z.boolean().describe('more post-mortems matched than were examined; some you may read can be missing'),
});

function registerList(routes: ZodRoutes, access: PostmortemAccess): void {
  routes.get(
    '/postmortems',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'listPostmortems',
        summary: 'Post-mortems of incidents you may read, newest first',
        security: BEARER_SECURITY,
        querystring: ListQuery,
        response: { 200: ListResponse.describe('The post-mortems you may read, newest first'), ...READ_ERRORS },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      const store = await access.store();
      const user = userOf(request);
      const found: Postmortem[] = [];
      let examined = 0;
      let cursor: string | undefined;
      // Pages of the store's list, each post-mortem checked, until the page is full or enough were examined.
      do {
        const page = await store.listPostmortems({ ...filter, limit, ...(cursor === undefined ? {} : { cursor }) });
        examined += page.items.length;
        found.push(...(await readableOf(access, user, page.items)));
        cursor = page.nextCursor;
      } while (found.length < limit && cursor !== undefined && examined < READ_CHECK_LIMIT);
      return {
        postmortems: found.slice(0, limit).map(summaryOf),
        truncated: found.length < limit && cursor !== undefined,
      };
    },
  );
  routes.get(
    '/postmortems/search',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'searchPostmortems',
        summary: 'Search the post-mortems you may read: ranked hits with highlighted snippets',
        security: BEARER_SECURITY,
        querystring: SearchQuery,
        response: {
          200: z.object({ hits: z.array(SearchHitSchema) }).describe('Best first; highlights are offsets into text'),
          ...READ_ERRORS,
        },
      },
    },
    async (request) => {
      const { q, limit, ...filter } = request.query;
      const store = await access.store();
      const user = userOf(request);
      if (access.readsEverything(user)) return { hits: await store.search(q, { ...filter, limit }) };
      // Ranked by the store over as many as it returns; the unreadable ones are dropped after.
      const hits = await store.search(q, { ...filter, limit: STORE_LIMITS.maxLimit });
      const readable: typeof hits = [];
      for (const hit of hits) {
        if (readable.length >= limit) break;
        const postmortem = await store.getPostmortem(hit.postmortem.id);
        if (postmortem !== undefined && (await access.mayRead(user, postmortem))) readable.push(hit);
      }
      return { hits: readable };
    },
  );
}

function registerOne(routes: ZodRoutes, access: PostmortemAccess): void {
  routes.get(
    '/postmortems/:id',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'getPostmortem',
        summary: 'One post-mortem: the drafted facts and every section as it is now',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        response: {
          200: z.object({ postmortem: schemaOf<Postmortem>(PostmortemSchema) }).describe('The post-mortem'),
          ...ONE_ERRORS,
        },
      },
    },
    async (request) => ({ postmortem: (await access.readable(request, request.params.id)).postmortem }),
  );
  routes.get(
    '/postmortems/:id/export',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'exportPostmortem',
        summary: 'The post-mortem as a document: Markdown, HTML (a page that loads and runs nothing) or JSON',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The document, as an attachment (`Content-Disposition`)',
            content: {
              'text/markdown': { schema: z.string() },
              'text/html': {
                schema: z.string().describe("served with a Content-Security-Policy of default-src 'none'"),
              },
              'application/json': { schema: z.looseObject({}).describe('the drafted document and every section') },
            },
          },
          ...ONE_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { postmortem } = await access.readable(request, request.params.id);
      const { format } = request.query;
      const text = renderPostmortem(documentOf(postmortem), textsOf(postmortem), format);
      const file = `postmortem-${postmortem.incidentId.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}`;
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${file}"`)
        .header('x-content-type-options', 'nosniff')
        .headers(format === 'html' ? { 'content-security-policy': EXPORT_CSP } : {})
        .serializer((payload: unknown) => payload as string)
        .send(text);
    },
  );
  routes.get(
    '/postmortems/:id/history',
    {
      config: { auditRead: true },
      schema: {
        tags: ['post-mortems'],
        operationId: 'postmortemHistory',
        summary: 'Every revision of the sections (or of one), with author and time; the status and field changes',
        security: BEARER_SECURITY,
        params: PostmortemIdParam,
        querystring: HistoryQuery,
        response: {
          200: z
            .object({
              revisions: z.array(RevisionSchema),
              statuses: z.array(StatusChangeSchema),
              fields: z.array(FieldChangeSchema).describe('changes of the tags and the review due date, oldest first'),
            })
            .describe('Revisions in revision order for one section, else in the order they were written'),
          ...ONE_ERRORS,
        },
      },
    },
    async (request) => {
      const { store, postmortem } = await access.readable(request, request.params.id);
      const [revisions, statuses, fields] = await Promise.all([
        store.sectionHistory(postmortem.id, request.query.section),
        store.statusHistory(postmortem.id),
        store.fieldHistory(postmortem.id),
      ]);
      return { revisions, statuses, fields };
    },
  );
}

/** The readable ones among some post-mortems, in order, checked a few at a time. */
async function readableOf(
  access: PostmortemAccess,
  user: AuthenticatedUser,
  postmortems: readonly Postmortem[],
): Promise<Postmortem[]> {
  const readable: Postmortem[] = [];
  for (let start = 0; start < postmortems.length; start += LOOKUP_CONCURRENCY) {
    const batch = postmortems.slice(start, start + LOOKUP_CONCURRENCY);
    const allowed = await Promise.all(batch.map((postmortem) => access.mayRead(user, postmortem)));
    readable.push(...batch.filter((_, index) => allowed[index] === true));
  }
  return readable;
}

/** A post-mortem without its facts and sections. */
function summaryOf(postmortem: Postmortem): z.infer<typeof PostmortemSummary> {
  const { facts: _facts, sections: _sections, createdBy: _createdBy, ...summary } = postmortem;
  return summary;
}
