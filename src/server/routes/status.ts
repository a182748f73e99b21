/**
 * The public status page: `GET /status`, `GET /status/feed.json` and `GET /status/incidents/:id`, served
 * from the blobs the status-page channel publishes. No auth; every answer carries a strict CSP, nosniff
 * and `Cache-Control: no-cache`, so a browser revalidates and never runs anything from the page.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readBlob, STATUS_INCIDENT_ID, statusPageKeys } from '../../channels/statuspage.js';
import { renderFeed, renderIndexPage, type StatusUpdate } from '../../channels/statuspage-render.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { ApiError, ApiErrorCode } from '../errors.js';

/** Where the status page's blobs are (the `statusPage` dependency of the app). */
export interface StatusPageDeps {
  store: BlobStore;
  prefix?: string;
  /** Title for the empty pages served before anything was published (default `Status`). */
  title?: string;
}

const HTML = 'text/html; charset=utf-8';
const FEED = 'application/feed+json; charset=utf-8';
const SECURITY_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Registers the status routes on `app`; register it in its own scope so the header hook stays here. */
export function registerStatusRoutes(app: FastifyInstance, deps: StatusPageDeps): void {
  const keys = statusPageKeys(deps.prefix);
  const empty = new Map<string, StatusUpdate[]>();
  const pages = { title: deps.title ?? 'Status', basePath: '/status' };
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.headers(SECURITY_HEADERS);
    done(null, payload);
  });

  app.get('/status', { schema: { hide: true } }, async (_request, reply) =>
    serve(reply, deps.store, keys.index, HTML, () => renderIndexPage(empty, pages)),
  );
  app.get('/status/feed.json', { schema: { hide: true } }, async (_request, reply) =>
    serve(reply, deps.store, keys.feed, FEED, () => renderFeed(empty, pages)),
  );
  app.get<{ Params: { id: string } }>('/status/incidents/:id', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    const missing = (): never => {
      throw new ApiError(404, ApiErrorCode.NotFound, `no status page for incident ${JSON.stringify(id)}`);
    };
    // Checked before the id reaches a blob key: only incident id characters, never "/" or "..".
    if (!STATUS_INCIDENT_ID.test(id)) missing();
    return serve(reply, deps.store, keys.incidentPage(id), HTML, missing);
  });
}

/** Sends a blob, or the fallback when there is none (a rendered empty page, or a thrown ApiError 404). */
async function serve(
  reply: FastifyReply,
  store: BlobStore,
  key: string,
  contentType: string,
  fallback: () => string,
): Promise<FastifyReply> {
  let body: Buffer | string;
  try {
    body = await readBlob(store, key);
  } catch (error) {
    if (!(error instanceof FirebreakError) || error.code !== ErrorCode.NotFound) throw error;
    body = fallback();
  }
  return reply.code(200).type(contentType).send(body);
}
