/**
 * The evidence routes and `firebreak evidence` over the real dev server and a real evidence store (PGlite
 * ledger, filesystem blobs in a temporary data directory): artefacts written through the store's sink are
 * listed, verified and exported; one byte flipped in the stored blob makes verify fail naming it (and the
 * CLI exit non-zero); a caller who may not read the incident gets 404 and nothing is recorded.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lazyEvidenceStore,
  openEvidenceStore,
  type OpenEvidenceStore,
  type VerifyReport,
} from '../../src/evidence/index.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { cli } from '../unit/cli/client-support.js';
import { buildHarness, startApiTest, type ApiTest, type ApiUser } from './support.js';

const runbook = `
apiVersion: firebreak/v1
id: evidence-api
title: Compromised container
version: 1
severity: sev1
roles:
  commander: {}
  security: {}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`;

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-evidence-api-'));
const dataDir = path.join(scratch, 'data');
let test: ApiTest;
let store: OpenEvidenceStore;
let url: string;
/** When set, the API's verify waits for it before re-hashing (a verification held running), calling `entered` first. */
let hold: { until: Promise<void>; entered: () => void } | undefined;

const web = { id: 'c0ffee', name: 'web-1' };
const db = { id: 'd00d', name: 'db-1' };
const capturedBy = { stepId: 'capture', worker: 'worker-1@host' };

beforeAll(async () => {
  store = await openEvidenceStore({}, { dataDir, secrets: createSecretResolver({ env: {}, baseDir: scratch }) });
  // The real store; only verify can be held, to see a second one refused while the first runs.
  const api: OpenEvidenceStore = {
    ...store,
    async verify(...args) {
      if (hold !== undefined) {
        hold.entered();
        await hold.until;
      }
      return store.verify(...args);
    },
    close: () => Promise.resolve(),
  };
  test = await startApiTest({ yaml: [runbook], evidence: lazyEvidenceStore(() => Promise.resolve(api)) });
  await test.api.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(test.api.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await test?.close();
  await store?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** An incident of the runbook (alice commands it) with a metadata and a filesystem artefact of web-1 and logs of db-1. */
async function incidentWithEvidence(): Promise<{ id: string; fsLocation: string }> {
  const id = await test.api.trigger('alice', 'evidence-api');
  const sink = store.sink({ incidentId: id, target: web, capturedBy });
  await sink.write('metadata', Readable.from([Buffer.from('{"Id":"c0ffee"}')]), { contentType: 'application/json' });
  const filesystem = Buffer.alloc(3 * 1024 * 1024 + 5, 0x2e);
  filesystem.write('planted', 4096);
  const fs = await sink.write('filesystem', Readable.from([filesystem]), { contentType: 'application/x-tar' });
  await store
    .sink({ incidentId: id, target: db, capturedBy })
    .write('logs', Readable.from([Buffer.from('quiet\n')]), { contentType: 'text/plain' });
  return { id, fsLocation: fs.location };
}

/** Flips one byte of a stored blob behind the store's back, as an intruder with disk access would. */
function flipByte(location: string): void {
  const file = path.join(dataDir, 'evidence', 'blobs', 'objects', location);
  const bytes = readFileSync(file);
  bytes[100] = (bytes[100] ?? 0) ^ 0x01;
  writeFileSync(file, bytes);
}

const get = (as: ApiUser | null, url: string) => test.api.call(as, { method: 'GET', url: `/api/v1${url}` });
const verify = (as: ApiUser | null, id: string, payload: object = {}) =>
  test.api.call(as, { method: 'POST', url: `/api/v1/incidents/${id}/evidence/verify`, payload });
const env = (as: ApiUser): NodeJS.ProcessEnv => ({
  FIREBREAK_URL: url,
  FIREBREAK_TOKEN: test.api.tokens[as],
  PATH: process.env.PATH,
});

describe('GET /incidents/{id}/evidence', () => {
  it("lists the incident's custody records and accesses to its readers, recording no access", async () => {
    const { id } = await incidentWithEvidence();
    const response = await get('bob', `/incidents/${id}/evidence`);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ incidentId: string; artefacts: unknown[]; accesses: unknown[] }>();
    expect(body).toEqual({ incidentId: id, artefacts: await store.list(id), accesses: [] });
    expect(body.artefacts.map((a) => (a as { artefact: string }).artefact)).toEqual(['metadata', 'filesystem', 'logs']);
    expect(await store.accesses(id)).toEqual([]);
    expect(test.api.audit.entries.at(-1)).toMatchObject({
      user: 'bob',
      method: 'GET',
      incidentId: id,
      status: 200,
      outcome: 'ok',
    });
  });

  it('answers an empty list for an incident without evidence, and 400 naming a malformed id', async () => {
    const id = await test.api.trigger('alice', 'evidence-api');
    expect((await get('alice', `/incidents/${id}/evidence`)).json()).toEqual({
      incidentId: id,
      artefacts: [],
      accesses: [],
    });
    const bad = await get('alice', '/incidents/..%2Fetc/evidence');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { issues: { path: string }[] } }>().error.issues[0]?.path).toBe('path.id');
  });
});

describe('who may see evidence', () => {
  it('answers 404 to someone who may not read the incident, as for an unknown one, and records nothing', async () => {
    const { id } = await incidentWithEvidence();
    const before = test.api.audit.entries.length;
    for (const response of [
      await get('mallory', `/incidents/${id}/evidence`),
      await verify('mallory', id),
      await get('mallory', `/incidents/${id}/evidence/export`),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: `no incident ${id}` } });
    }
    const unknown = await get('alice', '/incidents/no-such-incident/evidence');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: 'no incident no-such-incident' } });
    expect(await store.accesses(id)).toEqual([]);
    const audited = test.api.audit.entries.slice(before, before + 3);
    expect(audited.map((e) => [e.user, e.method, e.incidentId, e.status, e.denied])).toEqual([
      ['mallory', 'GET', id, 404, true],
      ['mallory', 'POST', id, 404, true],
      ['mallory', 'GET', id, 404, true],
    ]);
    expect((await get(null, `/incidents/${id}/evidence`)).statusCode).toBe(401);
  });

  it('answers 503 saying why when the server has no evidence store, or cannot open it', async () => {
    const id = await test.api.trigger('alice', 'evidence-api');
    const without = await buildHarness(test.env, { plans: [test.env.compile(runbook)] });
    const broken = await buildHarness(test.env, {
      plans: [test.env.compile(runbook)],
      evidence: lazyEvidenceStore(() => Promise.reject(new Error('ledger offline'))),
    });
    try {
      const none = await without.call('alice', { method: 'GET', url: `/api/v1/incidents/${id}/evidence` });
      expect(none.statusCode).toBe(503);
      expect(none.json()).toMatchObject({
        error: { code: 'UNAVAILABLE', message: 'evidence is not available: this server has no evidence store' },
      });
      const failing = await broken.call('alice', { method: 'POST', url: `/api/v1/incidents/${id}/evidence/verify` });
      expect(failing.statusCode).toBe(503);
      expect(failing.json<{ error: { message: string } }>().error.message).toContain('cannot be opened');
      expect(broken.logText()).toContain('ledger offline');
      // Still no oracle: the unauthorized caller is told 404 before the store is looked at.
      const hidden = await without.call('mallory', { method: 'GET', url: `/api/v1/incidents/${id}/evidence` });
      expect(hidden.statusCode).toBe(404);
    } finally {
      await without.app.close();
      await broken.app.close();
    }
  });
});

describe('POST /incidents/{id}/evidence/verify', () => {
  it('re-hashes every artefact, records a verify access per artefact by the user, audited', async () => {
    const { id } = await incidentWithEvidence();
    const response = await verify('bob', id);
    expect(response.statusCode).toBe(200);
    const report = response.json<VerifyReport>();
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => [r.artefact.artefact, r.result])).toEqual([
      ['metadata', 'ok'],
      ['filesystem', 'ok'],
      ['logs', 'ok'],
    ]);
    const accesses = await store.accesses(id);
    expect(accesses.map((a) => [a.action, a.actor, a.result])).toEqual([
      ['verify', 'bob', 'ok'],
      ['verify', 'bob', 'ok'],
      ['verify', 'bob', 'ok'],
    ]);
    expect(test.api.audit.entries.at(-1)).toMatchObject({ user: 'bob', method: 'POST', incidentId: id, status: 200 });
  });

  it('fails naming the artefact one flipped byte changed; the CLI exits non-zero naming it', async () => {
    const { id, fsLocation } = await incidentWithEvidence();
    flipByte(fsLocation);
    const report = (await verify('alice', id)).json<VerifyReport>();
    expect(report.ok).toBe(false);
    const failed = report.results.filter((r) => r.result !== 'ok');
    expect(failed.map((r) => [r.artefact.artefact, r.artefact.target.name, r.result])).toEqual([
      ['filesystem', 'web-1', 'mismatch'],
    ]);
    const recorded = failed[0]?.artefact.sha256 ?? '';
    expect(failed[0]?.detail).toContain(recorded);

    const run = await cli(['evidence', 'verify', id], env('alice'));
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toContain(`1 artefact of 3 in ${id} failed verification:`);
    expect(run.err).toContain(
      `filesystem of web-1: sha256 mismatch: the stored bytes hash to ${failed[0]?.sha256}, recorded ${recorded}`,
    );
    expect(run.err).not.toContain('metadata of web-1');
    // Both verifications are in the ledger, each result as found.
    const rows = (await store.accesses(id)).filter((a) => a.result === 'mismatch');
    expect(rows.map((a) => a.actor)).toEqual(['alice', 'alice']);
  });

  it('refuses a second verification of the same incident while one runs (409), not of another', async () => {
    const { id } = await incidentWithEvidence();
    const other = await incidentWithEvidence();
    let release = (): void => undefined;
    let entered = (): void => undefined;
    const running = new Promise<void>((resolve) => (entered = resolve));
    hold = { until: new Promise((resolve) => (release = resolve)), entered };
    try {
      const first = verify('alice', id);
      // The first is re-hashing (held) once it reached the store: only then is a second one sent.
      await running;
      const second = await verify('bob', id);
      expect(second.statusCode).toBe(409);
      expect(second.json()).toMatchObject({
        error: { code: 'CONFLICT', message: `a verification of the evidence of ${id} is already running` },
      });
      const elsewhere = verify('bob', other.id);
      release();
      hold = undefined;
      expect((await first).statusCode).toBe(200);
      expect((await elsewhere).statusCode).toBe(200);
    } finally {
      release();
      hold = undefined;
    }
    // Over: the next one runs.
    expect((await verify('bob', id)).statusCode).toBe(200);
    expect((await store.accesses(id)).map((a) => a.actor)).toEqual(['alice', 'alice', 'alice', 'bob', 'bob', 'bob']);
  });

  it('refuses a body with unknown fields (400), verifying nothing', async () => {
    const { id } = await incidentWithEvidence();
    const response = await verify('alice', id, { everything: true });
    expect(response.statusCode).toBe(400);
    expect(await store.accesses(id)).toEqual([]);
  });
});

describe('GET /incidents/{id}/evidence/export', () => {
  it('gives the manifest in a fixed field order and records an export access per artefact', async () => {
    const { id } = await incidentWithEvidence();
    await verify('alice', id);
    const response = await get('bob', `/incidents/${id}/evidence/export`);
    expect(response.statusCode).toBe(200);
    const manifest = response.json<{
      exportedAt: string;
      artefacts: Record<string, unknown>[];
      accesses: Record<string, unknown>[];
    }>();
    expect(Object.keys(manifest)).toEqual([
      'format',
      'incidentId',
      'exportedAt',
      'exportedBy',
      'artefacts',
      'accesses',
    ]);
    expect(manifest).toMatchObject({ format: 'firebreak-evidence-manifest/1', incidentId: id, exportedBy: 'bob' });
    expect(Object.keys(manifest.artefacts[0] ?? {})).toEqual([
      'id',
      'incidentId',
      'target',
      'artefact',
      'contentType',
      'capturedAt',
      'capturedBy',
      'size',
      'sha256',
      'location',
    ]);
    expect(manifest.artefacts).toEqual(await store.list(id));
    expect(manifest.accesses.map((a) => [a.action, a.actor])).toEqual([
      ['verify', 'alice'],
      ['verify', 'alice'],
      ['verify', 'alice'],
      ['export', 'bob'],
      ['export', 'bob'],
      ['export', 'bob'],
    ]);
    expect(await store.accesses(id)).toEqual(manifest.accesses);
    expect(test.api.audit.entries.at(-1)).toMatchObject({ user: 'bob', method: 'GET', incidentId: id, status: 200 });
  });
});

describe('firebreak evidence', () => {
  it('list prints a table: artefact, target, human size, short hash, captured at, step, last verification', async () => {
    const { id } = await incidentWithEvidence();
    const records = await store.list(id);
    const run = await cli(['evidence', 'list', id], env('alice'));
    expect(run).toMatchObject({ code: 0, err: '' });
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ARTEFACT +TARGET +SIZE +SHA256 +CAPTURED +STEP +LAST VERIFIED$/);
    expect(lines[1]).toMatch(new RegExp(`^metadata +web-1 \\(c0ffee\\) +15 B +${records[0]?.sha256.slice(0, 12)} +`));
    expect(lines[2]).toMatch(
      /^filesystem +web-1 \(c0ffee\) +3\.0 MiB +[0-9a-f]{12} +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +capture +never$/,
    );
    expect(lines[3]).toMatch(/^logs +db-1 \(d00d\) +6 B /);
    await cli(['evidence', 'verify', id], env('alice'));
    expect((await cli(['evidence', 'list', id], env('alice'))).out).toMatch(/capture +ok \(alice, .+Z\)\n/);
    const json = await cli(['evidence', 'list', id, '--json'], env('alice'));
    expect(JSON.parse(json.out)).toEqual({ incidentId: id, artefacts: records, accesses: await store.accesses(id) });
    expect((await cli(['evidence', 'list', id], env('mallory'))).code).toBe(4);
  });

  it('verify passes quietly with a count; with no evidence it exits non-zero saying so', async () => {
    const { id } = await incidentWithEvidence();
    expect(await cli(['evidence', 'verify', id], env('bob'))).toEqual({
      code: 0,
      out: `3 artefacts of ${id} verified: every one matches its record\n`,
      err: '',
    });
    const json = await cli(['evidence', 'verify', id, '--json'], env('bob'));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ incidentId: id, ok: true });
    const empty = await test.api.trigger('alice', 'evidence-api');
    const none = await cli(['evidence', 'verify', empty], env('alice'));
    expect(none.code).toBe(1);
    expect(none.err).toContain(`no evidence captured in ${empty}: nothing to verify`);
    expect((await cli(['evidence', 'verify', id, '--timeout', 'soon'], env('bob'))).code).toBe(2);
  });

  it('export writes the manifest to --out (mode 0600) and records the export', async () => {
    const { id } = await incidentWithEvidence();
    const out = path.join(scratch, `${id}.json`);
    const run = await cli(['evidence', 'export', id, '--out', out], env('alice'));
    expect(run).toEqual({ code: 0, out: `Wrote ${out}\n`, err: '' });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const manifest = JSON.parse(readFileSync(out, 'utf8')) as { exportedBy: string; artefacts: unknown[] };
    expect(manifest.exportedBy).toBe('alice');
    expect(manifest.artefacts).toEqual(await store.list(id));
    expect((await store.accesses(id)).map((a) => [a.action, a.actor])).toEqual([
      ['export', 'alice'],
      ['export', 'alice'],
      ['export', 'alice'],
    ]);
    const printed = await cli(['evidence', 'export', id], env('bob'));
    expect(Object.keys(JSON.parse(printed.out) as object)[0]).toBe('format');
  });
});
