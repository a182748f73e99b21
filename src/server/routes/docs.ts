/**
 * What a browser finds at the server's root: `GET /` and `GET /api/v1` list where to go (HTML for a
 * browser, JSON links otherwise), and `GET /api/v1/docs` renders the OpenAPI document with Swagger UI,
 * served from the installed swagger-ui-dist (never a CDN). No auth, like the document itself; every answer
 * carries a CSP that lets a page run only the scripts this server serves from a fixed list.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../errors.js';

/** Where the index's links point; `status` only when the server has a status page. */
export interface IndexLinks {
  reference: string;
  openapi: string;
  health: string;
  readiness: string;
  status?: string;
}

/** The API's own paths under `prefix` (`/api/v1`). */
export function indexLinks(prefix: string, statusPage: boolean): IndexLinks {
  return {
    reference: `${prefix}/docs`,
    openapi: `${prefix}/openapi.json`,
    health: `${prefix}/healthz`,
    readiness: `${prefix}/readyz`,
    ...(statusPage ? { status: '/status' } : {}),
  };
}

// Swagger UI renders some of its parts with inline style attributes; scripts only from this server.
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The only files served from swagger-ui-dist, with their types; any other name is a 404. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Registers the index routes at `/` and `prefix`, and the reference under `prefix/docs`; in its own scope. */
export function registerDocsRoutes(app: FastifyInstance, options: { prefix: string; statusPage: boolean }): void {
  const links = indexLinks(options.prefix, options.statusPage);
  const docs = links.reference;
  const assets = swaggerAssets();
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.headers(PAGE_HEADERS);
    done(null, payload);
  });
  const index = (request: FastifyRequest, reply: FastifyReply) =>
    prefersHtml(request) ? reply.type('text/html; charset=utf-8').send(indexPage(links)) : reply.send({ links });
  app.get('/', { schema: { hide: true } }, index);
  app.get(options.prefix, { schema: { hide: true } }, index);
  app.get(docs, { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(referencePage(docs)),
  );
  app.get(`${docs}/init.js`, { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(initScript(links.openapi)),
  );
  app.get<{ Params: { file: string } }>(`${docs}/:file`, { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params;
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (type === undefined) throw new ApiError(404, ApiErrorCode.NotFound, `no route GET ${docs}/${file}`);
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=3600')
      .send(await assets.read(file));
  });
}

/** swagger-ui-dist's directory, found through the module resolver; files are read once, when first asked for. */
function swaggerAssets(): { read(file: string): Promise<Buffer> } {
  const dir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Promise<Buffer>>();
  return {
    read(file) {
      let content = cache.get(file);
      if (content === undefined) {
        content = readFile(path.join(dir, file));
        // A failed read is tried again on the next request rather than remembered.
        content.catch(() => cache.delete(file));
        cache.set(file, content);
      }
      return content;
    },
  };
}

/** A browser asks for HTML first; curl and API clients (`*\/*`, `application/json`) get the JSON links. */
function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}

function indexPage(links: IndexLinks): string {
  const items: [string, string | undefined, string][] = [
    ['API reference', links.reference, 'every route, its parameters and answers (Swagger UI)'],
    ['OpenAPI document', links.openapi, 'the same, as OpenAPI 3.1 JSON for clients and code generators'],
    ['Status page', links.status, 'the public incident notices published by the status-page channel'],
    ['Health', links.health, 'the process is up'],
    ['Readiness', links.readiness, 'Temporal answers and a worker polls the incident task queue'],
  ];
  const list = items
    .filter((item): item is [string, string, string] => item[1] !== undefined)
    .map(([name, href, what]) => `    <li><a href="${href}">${name}</a>: ${what}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Firebreak</title>
  <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }</style>
</head>
<body>
  <h1>Firebreak</h1>
  <p>Incident-response runbooks on Temporal. The API needs a bearer token; the pages below do not.</p>
  <ul>
${list}
  </ul>
</body>
</html>
`;
}

function referencePage(docs: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Firebreak API reference</title>
  <link rel="stylesheet" href="${docs}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${docs}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${docs}/swagger-ui-bundle.js"></script>
  <script src="${docs}/init.js"></script>
</body>
</html>
`;
}

// No validator badge (it would ask validator.swagger.io about the document) and no "Try it out" by default.
function initScript(openapi: string): string {
  return `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openapi)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;
}
