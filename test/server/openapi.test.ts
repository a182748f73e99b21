/**
 * The OpenAPI document real clients use: Redocly lints it without an error, openapi-typescript makes a
 * client whose types compile, and every operation (new routes included) has an operationId, a summary,
 * `security`, and described, typed answers. A body the document calls optional is one the server takes
 * left out, and a required one is refused when left out.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADERS } from '../../src/alerts/signature.js';
import { projectRoot, startTestEnv, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean };
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-openapi-'));
let env: TestEnv;
let api: ApiHarness;
let doc: Document;
let operations: { method: string; path: string; op: Operation }[];

beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env);
  const response = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(response.statusCode).toBe(200);
  doc = response.json<Document>();
  operations = Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path: p, op })),
  );
});
afterAll(async () => {
  await api?.app.close();
  await env?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the OpenAPI document', () => {
  it('lints without an error with Redocly; only public routes that refuse nothing lack a 4xx answer', async () => {
    const file = path.join(scratch, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const redocly = path.join(projectRoot, 'node_modules', '.bin', 'redocly');
    const run = await promisify(execFile)(redocly, ['lint', file, '--format=json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(run.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
    };
    const listed = report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(report.totals.errors, listed.join('\n')).toBe(0);
    const unexpected = report.problems.filter(
      (p) => !(p.ruleId === 'operation-4xx-response' && isPublic(p.location[0]?.pointer ?? '')),
    );
    expect(
      unexpected.map((p) => `${p.ruleId} ${p.location[0]?.pointer}`),
      listed.join('\n'),
    ).toEqual([]);
  });

  it('gives every operation an operationId, a summary, security and described, typed answers', () => {
    expect(operations.length).toBeGreaterThan(20);
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path: p, op } of operations) {
      const where = `${method} ${p}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary, where).toMatch(/\S/);
      expect(Array.isArray(op.security), `${where}: security`).toBe(true);
      expect(
        Object.keys(op.responses).some((status) => /^2\d\d$/.test(status)),
        where,
      ).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${where} ${status}`).not.toBe('Default Response');
        expect(response.content?.['application/json']?.schema, `${where} ${status}`).toBeDefined();
        if (/^4\d\d$/.test(status)) {
          expect(response.content?.['application/json']?.schema, `${where} ${status}`).toEqual({
            $ref: '#/components/schemas/ErrorBody',
          });
        }
      }
    }
    // JSON values (params, facts, outputs) are one named component, as taken and as given.
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      expect.arrayContaining(['ErrorBody', 'JsonValue', 'JsonValueInput']),
    );
  });

  it('needs a token exactly where the server asks for one', () => {
    const byId = new Map(operations.map(({ op }) => [op.operationId, op] as const));
    expect(byId.get('getHealth')?.security).toEqual([]);
    expect(byId.get('getReadiness')?.security).toEqual([]);
    expect(byId.get('receiveGenericAlert')?.security).toEqual([]);
    const bearer = operations.filter(({ op }) => op.security?.some((s) => 'bearerAuth' in s));
    expect(bearer.length).toBe(operations.length - 3);
    for (const { method, path: p, op } of bearer) {
      expect(op.responses['401'], `${method} ${p}`).toBeDefined();
    }
  });

  it('describes the generic webhook: its signed JSON body and the three signature headers', () => {
    const generic = doc.paths['/api/v1/webhooks/generic']?.post;
    expect(generic?.requestBody?.required).toBe(true);
    expect(JSON.stringify(generic?.requestBody)).toContain('#/components/schemas/JsonValueInput');
    const headers = (generic?.parameters ?? []).filter((p) => p.in === 'header');
    expect(headers.map((h) => [h.name, h.required]).sort()).toEqual(
      Object.values(SIGNATURE_HEADERS)
        .map((name) => [name, true])
        .sort(),
    );
  });

  it('calls a body optional exactly when the server takes the request without one', async () => {
    const posts = operations.filter(
      ({ method, op }) => method === 'post' && op.requestBody && op.security?.some((s) => 'bearerAuth' in s),
    );
    const optional: string[] = [];
    for (const { path: p, op } of posts) {
      const url = p.replace('{id}', 'nothing-here-1').replace('{stepId}', 'step1');
      const response = await api.call('alice', { method: 'POST', url });
      const required = op.requestBody?.required !== false;
      if (!required) optional.push(op.operationId ?? p);
      // A required body left out is a 400; an optional one goes on to look the (unknown) target up.
      expect([op.operationId, response.statusCode]).toEqual([op.operationId, required ? 400 : 404]);
    }
    expect(optional.sort()).toEqual([
      'cancelIncident',
      'completeTask',
      'draftPostmortem',
      'pauseSchedule',
      'resumeSchedule',
      'triggerSchedule',
      'verifyEvidence',
    ]);
  });

  it('makes a typed client with openapi-typescript whose use typechecks', async () => {
    const types = astToString(await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0]));
    writeFileSync(path.join(scratch, 'api.d.ts'), types);
    const usage = path.join(scratch, 'usage.ts');
    writeFileSync(
      usage,
      `import type { operations, paths } from './api';
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Trigger = operations['triggerIncident'];
const body: Json<Trigger['requestBody']> = { runbook: 'credential-leak', params: { hosts: ['web-1'] }, dedupKey: 'a-42' };
const created: Json<Trigger['responses'][201]> = { incidentId: 'credential-leak-20250101-9f2c4a1b', created: true };
const refused: Json<Trigger['responses'][403]> = { error: { status: 403, code: 'FORBIDDEN', message: 'no' } };
// @ts-expect-error severity is one of sev1..sev4
const wrong: Json<Trigger['requestBody']> = { runbook: 'credential-leak', severity: 'sev9' };
const cancel: operations['cancelIncident']['requestBody'] = undefined;
const cancelPath: operations['cancelIncident']['parameters']['path'] = { id: 'credential-leak-20250101-9f2c4a1b' };
const signed: operations['receiveGenericAlert']['parameters']['header'] = {
  'x-firebreak-timestamp': '1735722000',
  'x-firebreak-delivery': 'delivery-1',
  'x-firebreak-signature': 'v2=00',
};
const listed: Json<paths['/api/v1/incidents']['get']['responses'][200]>['incidents'] = [];
export const uses = [body, created, refused, wrong, cancel, cancelPath, signed, listed];
`,
    );
    const program = ts.createProgram([usage], {
      strict: true,
      noEmit: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: false,
      types: [],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
    for (const id of ['triggerIncident', 'cancelIncident', 'receiveGenericAlert', 'getHealth']) {
      expect(types).toContain(`    ${id}: {`);
    }
  });
});

/** Whether a Redocly pointer (`#/paths/~1api~1v1~1healthz/get/...`) is on an operation without security. */
function isPublic(pointer: string): boolean {
  const [, p, method] = /^#\/paths\/([^/]+)\/([a-z]+)/.exec(pointer) ?? [];
  if (p === undefined || method === undefined) return false;
  const op = doc.paths[p.replaceAll('~1', '/').replaceAll('~0', '~')]?.[method];
  return op?.security?.length === 0;
}
