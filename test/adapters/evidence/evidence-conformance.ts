/**
 * The evidence store conformance suite: one ledger engine (PGlite or PostgreSQL) over one blob store
 * (filesystem or S3). Each case gets a fresh database and a fresh key space; artefacts are re-read from
 * the blob store and re-hashed here, independently of the store's own digests.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createSqlEvidenceStore, type OpenEvidenceStore } from '../../../src/evidence/index.js';
import type { SqlClient } from '../../../src/postmortems/store/sql-client.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';

/** One fresh ledger database and blob key space. */
export interface EvidenceFixture {
  blobs: BlobStore;
  /** A new client on the ledger's database (each call its own connection or instance). */
  client(): Promise<SqlClient>;
  /** Replaces the stored bytes at `location` behind the store's back. */
  tamper(location: string, change: (bytes: Buffer) => Buffer): Promise<void>;
}

/** Makes fixtures for one engine x blob store combination. */
export interface EvidenceTarget {
  fresh(): Promise<EvidenceFixture>;
}

const target = { id: 'c0ffee', name: 'web-1' };
const capturedBy = { stepId: 'capture', worker: 'worker-a@host' };

function chunks(...parts: (string | Buffer)[]): AsyncIterable<Uint8Array> {
  return Readable.from(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

/** A provider's stream that sends `bytes` (in 1 MiB chunks, a turn of the event loop apart), then fails. */
async function* cutOff(bytes: number): AsyncGenerator<Uint8Array> {
  const chunk = Buffer.alloc(1024 * 1024, 7);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    await new Promise((resolve) => setImmediate(resolve));
    yield chunk;
  }
  throw new Error('the export stream broke off');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readAll(blobs: BlobStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await blobs.get(key)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function keysUnder(blobs: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of blobs.list(prefix)) keys.push(entry.key);
  return keys;
}

/** The error `promise` rejects with, which must be a FirebreakError with `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  expect((error as FirebreakError).code).toBe(code);
  return error as FirebreakError;
}

/** Registers the suite for `name` (e.g. `PGlite x filesystem`). */
export function runEvidenceConformance(name: string, getTarget: () => EvidenceTarget): void {
  describe(`evidence store conformance: ${name}`, () => {
    async function open(): Promise<{ store: OpenEvidenceStore; fixture: EvidenceFixture; incident: string }> {
      const fixture = await getTarget().fresh();
      const store = await createSqlEvidenceStore(fixture.blobs, await fixture.client());
      return { store, fixture, incident: `inc-${Math.random().toString(36).slice(2, 10)}` };
    }

    it('streams artefacts in, records each with what re-hashing the stored bytes gives', async () => {
      const { store, fixture, incident } = await open();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        const metadata = await sink.write('metadata', chunks('{"Id":', '"c0ffee"}'), {
          contentType: 'application/json',
        });
        const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a);
        big.write('planted', 1000);
        const fs = await sink.write('filesystem', chunks(big.subarray(0, 1_000_000), big.subarray(1_000_000)), {
          contentType: 'application/x-tar',
        });
        const empty = await sink.write('logs', chunks(), { contentType: 'text/plain' });

        for (const [written, bytes] of [
          [metadata, Buffer.from('{"Id":"c0ffee"}')],
          [fs, big],
          [empty, Buffer.alloc(0)],
        ] as const) {
          const stored = await readAll(fixture.blobs, written.location);
          expect(stored.equals(bytes)).toBe(true);
          expect(written.size).toBe(bytes.length);
          expect(written.sha256).toBe(sha256(stored));
        }

        const records = await store.list(incident);
        expect(records.map((r) => r.artefact).sort()).toEqual(['filesystem', 'logs', 'metadata']);
        const record = records.find((r) => r.artefact === 'filesystem');
        expect(record).toMatchObject({
          incidentId: incident,
          target,
          contentType: 'application/x-tar',
          capturedBy,
          size: big.length,
          sha256: sha256(big),
          location: fs.location,
        });
        expect(Date.parse(record?.capturedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
        expect(await store.list('another-incident')).toEqual([]);
        expect(await store.accesses(incident)).toEqual([]);
      } finally {
        await store.close();
      }
    }, 60_000);

    it('verify passes and records one verification row per artefact, by whom', async () => {
      const { store, incident } = await open();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        await sink.write('metadata', chunks('{}'), { contentType: 'application/json' });
        await sink.write('logs', chunks('line 1\n', 'line 2\n'), { contentType: 'text/plain' });
        const report = await store.verify(incident, 'alice');
        expect(report.ok).toBe(true);
        expect(report.results.map((r) => r.result)).toEqual(['ok', 'ok']);
        for (const result of report.results) expect(result.sha256).toBe(result.artefact.sha256);
        const rows = await store.accesses(incident);
        expect(rows.map((r) => [r.artefactId, r.action, r.actor, r.result])).toEqual(
          report.results.map((r) => [r.artefact.id, 'verify', 'alice', 'ok']),
        );
        // An incident with no evidence does not verify: there is nothing to vouch for.
        expect(await store.verify('no-evidence', 'alice')).toEqual({
          incidentId: 'no-evidence',
          ok: false,
          results: [],
        });
      } finally {
        await store.close();
      }
    });

    it('verify fails naming the artefact whose stored bytes had one byte flipped, and a missing one', async () => {
      const { store, fixture, incident } = await open();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        const logs = await sink.write('logs', chunks('all quiet\n'), { contentType: 'text/plain' });
        const diff = await sink.write('diff', chunks('C /etc\nA /etc/planted\n'), { contentType: 'text/plain' });
        const meta = await sink.write('metadata', chunks('{}'), { contentType: 'application/json' });
        await fixture.tamper(diff.location, (bytes) => {
          const copy = Buffer.from(bytes);
          copy[3] = (copy[3] ?? 0) ^ 0x01;
          return copy;
        });
        await fixture.blobs.delete(meta.location);

        const report = await store.verify(incident, 'bob');
        expect(report.ok).toBe(false);
        const byLocation = new Map(report.results.map((r) => [r.artefact.location, r]));
        expect(byLocation.get(logs.location)?.result).toBe('ok');
        const flipped = byLocation.get(diff.location);
        expect(flipped?.result).toBe('mismatch');
        expect(flipped?.artefact.artefact).toBe('diff');
        expect(flipped?.detail).toContain(diff.sha256);
        expect(flipped?.sha256).not.toBe(diff.sha256);
        expect(byLocation.get(meta.location)).toMatchObject({ result: 'missing' });
        expect(byLocation.get(meta.location)?.detail).toContain(meta.location);

        const rows = await store.accesses(incident);
        expect(rows.map((r) => [r.artefactId, r.result]).sort()).toEqual(
          report.results.map((r) => [r.artefact.id, r.result]).sort(),
        );
        // The records still say what was captured: verification appends, it never rewrites.
        const records = await store.list(incident);
        expect(records.find((r) => r.location === diff.location)?.sha256).toBe(diff.sha256);
      } finally {
        await store.close();
      }
    });

    it('verify with a target id re-hashes only that target, and is not ok when it has no artefact', async () => {
      const { store, fixture, incident } = await open();
      try {
        const web = await store
          .sink({ incidentId: incident, target, capturedBy })
          .write('logs', chunks('web\n'), { contentType: 'text/plain' });
        const db = await store
          .sink({ incidentId: incident, target: { id: 'd00d', name: 'db-1' }, capturedBy })
          .write('logs', chunks('db\n'), { contentType: 'text/plain' });
        // The other target's evidence is broken: a verify of this target neither reads nor reports it.
        await fixture.tamper(db.location, (bytes) => Buffer.concat([bytes, Buffer.from('x')]));

        const report = await store.verify(incident, 'alice', { targetId: target.id });
        expect(report.ok).toBe(true);
        expect(report.results.map((r) => [r.artefact.location, r.result])).toEqual([[web.location, 'ok']]);
        const other = await store.verify(incident, 'alice', { targetId: 'd00d' });
        expect(other.ok).toBe(false);
        expect(other.results.map((r) => [r.artefact.target.name, r.result])).toEqual([['db-1', 'mismatch']]);
        expect(await store.verify(incident, 'alice', { targetId: 'no-such-target' })).toEqual({
          incidentId: incident,
          ok: false,
          results: [],
        });
        // One row per artefact verified, each under its own verify.
        expect((await store.accesses(incident)).map((r) => r.artefactId)).toEqual([
          report.results[0]?.artefact.id,
          other.results[0]?.artefact.id,
        ]);
        await expectCode(store.verify(incident, 'alice', { targetId: ' ' }), ErrorCode.InvalidInput);
      } finally {
        await store.close();
      }
    });

    it('exportManifest records one export access per artefact and lists every record and access', async () => {
      const { store, incident } = await open();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        await sink.write('metadata', chunks('{}'), { contentType: 'application/json' });
        await sink.write('logs', chunks('line\n'), { contentType: 'text/plain' });
        await store.verify(incident, 'alice');
        const manifest = await store.exportManifest(incident, 'dana');
        expect(Object.keys(manifest)).toEqual(['incidentId', 'exportedAt', 'exportedBy', 'artefacts', 'accesses']);
        expect(manifest.incidentId).toBe(incident);
        expect(manifest.exportedBy).toBe('dana');
        expect(manifest.artefacts).toEqual(await store.list(incident));
        expect(manifest.accesses.map((a) => [a.action, a.actor, a.result])).toEqual([
          ['verify', 'alice', 'ok'],
          ['verify', 'alice', 'ok'],
          ['export', 'dana', 'ok'],
          ['export', 'dana', 'ok'],
        ]);
        const exports = manifest.accesses.filter((a) => a.action === 'export');
        expect(exports.map((a) => a.artefactId)).toEqual(manifest.artefacts.map((r) => r.id));
        for (const access of exports) expect(access.at).toBe(manifest.exportedAt);
        expect(await store.accesses(incident)).toEqual(manifest.accesses);
        // Nothing to export: nothing recorded.
        expect(await store.exportManifest('no-evidence', 'dana')).toMatchObject({ artefacts: [], accesses: [] });
        await expectCode(store.exportManifest(incident, ''), ErrorCode.InvalidInput);
        expect(await store.accesses(incident)).toHaveLength(4);
      } finally {
        await store.close();
      }
    });

    it('a stream cut off mid-write leaves no custody record and no blob', async () => {
      const { store, fixture, incident } = await open();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        await expect(sink.write('logs', cutOff(64 * 1024), { contentType: 'text/plain' })).rejects.toThrow('broke off');
        // Past one S3 part (8 MiB): a multipart upload that must be aborted.
        await expect(
          sink.write('filesystem', cutOff(9 * 1024 * 1024), { contentType: 'application/x-tar' }),
        ).rejects.toThrow('broke off');
        expect(await store.list(incident)).toEqual([]);
        expect(await keysUnder(fixture.blobs, `${incident}/`)).toEqual([]);
        expect((await store.verify(incident, 'carol')).results).toEqual([]);
      } finally {
        await store.close();
      }
    }, 60_000);

    it('refuses a bad artefact name or an empty context, writing nothing', async () => {
      const { store, fixture, incident } = await open();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        await expectCode(sink.write('../x', chunks('x'), { contentType: 'text/plain' }), ErrorCode.InvalidInput);
        expect(() =>
          store.sink({ incidentId: incident, target, capturedBy: { stepId: 'capture', worker: ' ' } }),
        ).toThrow('worker identity');
        await expectCode(store.verify(incident, ''), ErrorCode.InvalidInput);
        expect(await store.list(incident)).toEqual([]);
        expect(await keysUnder(fixture.blobs, `${incident}/`)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('keeps a target id with "/" or ".." as one key segment under the incident', async () => {
      const { store, incident } = await open();
      try {
        const odd = store.sink({ incidentId: incident, target: { id: '../etc/passwd', name: 'x' }, capturedBy });
        const written = await odd.write('metadata', chunks('{}'), { contentType: 'application/json' });
        expect(written.location.startsWith(`${incident}/`)).toBe(true);
        expect(written.location.split('/')).toHaveLength(3);
        expect((await store.verify(incident, 'dan')).ok).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('the ledger refuses UPDATE, DELETE and TRUNCATE on both tables, changing nothing', async () => {
      const { store, fixture, incident } = await open();
      const raw = await fixture.client();
      try {
        const sink = store.sink({ incidentId: incident, target, capturedBy });
        const written = await sink.write('metadata', chunks('{}'), { contentType: 'application/json' });
        await store.verify(incident, 'erin');
        for (const statement of [
          `UPDATE firebreak_evidence.artefacts SET sha256 = repeat('0', 64)`,
          'DELETE FROM firebreak_evidence.artefacts',
          'TRUNCATE firebreak_evidence.artefacts CASCADE',
          `UPDATE firebreak_evidence.accesses SET result = 'ok'`,
          'DELETE FROM firebreak_evidence.accesses',
          'TRUNCATE firebreak_evidence.accesses',
        ]) {
          const error = await expectCode(raw.query(statement), ErrorCode.NotAllowed);
          expect(error.message).toContain('append-only');
          // The ledger names itself, not the post-mortem store whose SQL client it shares.
          expect(error.message).toMatch(/^evidence ledger \((PGlite|PostgreSQL)\)/);
        }
        expect((await store.list(incident)).map((r) => r.sha256)).toEqual([written.sha256]);
        expect(await store.accesses(incident)).toHaveLength(1);
      } finally {
        await raw.close();
        await store.close();
      }
    });
  });
}
