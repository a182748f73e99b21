/**
 * The evidence store conformance suite on every ledger engine x blob store: PGlite and PostgreSQL
 * (harness/postgres.ts), the filesystem and S3 (SeaweedFS, harness/seaweedfs.ts). Plus opening it from the
 * config, and its migrations beside the post-mortem store's in one database.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlEvidenceStore, lazyEvidenceStore, openEvidenceStore } from '../../../src/evidence/index.js';
import { openPostgresStore } from '../../../src/postmortems/store/index.js';
import { createPgClient } from '../../../src/postmortems/store/pg-client.js';
import { pgliteClient } from '../../../src/postmortems/store/pglite-client.js';
import type { SqlClient } from '../../../src/postmortems/store/sql-client.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { withKeyPrefix } from '../../../src/storage/prefixed-store.js';
import { createS3Store } from '../../../src/storage/s3-store.js';
import { startPostgres, type TestPostgres } from '../../../harness/postgres.js';
import { seaweedStoreOptions, startSeaweedfs, type TestSeaweedfs } from '../../../harness/seaweedfs.js';
import {
  expectCode,
  runEvidenceConformance,
  type EvidenceFixture,
  type EvidenceTarget,
} from './evidence-conformance.js';
import { ErrorCode } from '../../../src/domain/errors.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-evidence-'));
let server: TestPostgres;
let seaweed: TestSeaweedfs;
let s3: BlobStore;
let fixtures = 0;

beforeAll(async () => {
  [server, seaweed] = await Promise.all([startPostgres(), startSeaweedfs()]);
  s3 = createS3Store(seaweedStoreOptions(seaweed));
}, 180_000);

afterAll(async () => {
  await Promise.all([server?.stop(), seaweed?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

type Blobs = Pick<EvidenceFixture, 'blobs' | 'tamper'>;

async function fsBlobs(): Promise<Blobs> {
  const dir = mkdtempSync(path.join(scratch, 'blobs-'));
  const blobs = await createFsStore({ dir });
  return {
    blobs,
    // Behind the store's back, as an intruder with disk access would: the sidecar keeps the old digest.
    tamper(location, change) {
      const file = path.join(dir, 'objects', location);
      writeFileSync(file, change(readFileSync(file)));
      return Promise.resolve();
    },
  };
}

function s3Blobs(): Promise<Blobs> {
  fixtures += 1;
  const blobs = withKeyPrefix(s3, `evidence-${fixtures}`);
  return Promise.resolve({
    blobs,
    async tamper(location, change) {
      const parts: Buffer[] = [];
      for await (const chunk of await blobs.get(location)) parts.push(chunk as Buffer);
      await blobs.put(location, change(Buffer.concat(parts)));
    },
  });
}

function pgliteLedger(): () => Promise<SqlClient> {
  let db: Promise<PGlite> | undefined;
  let opened = 0;
  return async () => {
    db ??= PGlite.create();
    const client = pgliteClient(await db, 'evidence ledger');
    opened += 1;
    // One in-memory database per fixture: only the first client (the store's) closes it.
    return opened === 1 ? client : { ...client, close: () => Promise.resolve() };
  };
}

function postgresLedger(): () => Promise<SqlClient> {
  fixtures += 1;
  const name = `evidence_${fixtures}`;
  let created: Promise<unknown> | undefined;
  return async () => {
    created ??= server.sql('postgres', `CREATE DATABASE ${name}`);
    await created;
    return createPgClient(server.urlFor(name), { label: 'evidence ledger' });
  };
}

function combination(ledger: () => () => Promise<SqlClient>, blobs: () => Promise<Blobs>): EvidenceTarget {
  return { fresh: async () => ({ ...(await blobs()), client: ledger() }) };
}

runEvidenceConformance('PGlite x filesystem', () => combination(pgliteLedger, fsBlobs));
runEvidenceConformance('PGlite x S3', () => combination(pgliteLedger, s3Blobs));
runEvidenceConformance('PostgreSQL x filesystem', () => combination(postgresLedger, fsBlobs));
runEvidenceConformance('PostgreSQL x S3', () => combination(postgresLedger, s3Blobs));

describe('openEvidenceStore', () => {
  const target = { id: 'c1', name: 'web-1' };
  const capturedBy = { stepId: 'capture', worker: 'w1' };
  const body = (text: string): AsyncIterable<Uint8Array> => Readable.from([Buffer.from(text)]);

  it('defaults to <data dir>/evidence and keeps the ledger across a close and reopen', async () => {
    const dataDir = mkdtempSync(path.join(scratch, 'data-'));
    const secrets = createSecretResolver({ env: {}, baseDir: dataDir });
    const first = await openEvidenceStore({}, { dataDir, secrets });
    const written = await first.sink({ incidentId: 'i1', target, capturedBy }).write('logs', body('x'), {
      contentType: 'text/plain',
    });
    await first.close();
    expect(readFileSync(path.join(dataDir, 'evidence', 'blobs', 'objects', written.location), 'utf8')).toBe('x');
    const second = await openEvidenceStore({}, { dataDir, secrets });
    try {
      expect((await second.list('i1')).map((r) => r.location)).toEqual([written.location]);
      expect((await second.verify('i1', 'alice')).ok).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('keeps its ledger in firebreak_evidence beside the post-mortem store in one PostgreSQL database', async () => {
    await server.sql('postgres', 'CREATE DATABASE shared_store');
    const url = server.urlFor('shared_store');
    const dataDir = mkdtempSync(path.join(scratch, 'data-'));
    const secrets = createSecretResolver({ env: { STORE_URL: url }, baseDir: dataDir });
    const dir = mkdtempSync(path.join(scratch, 'ev-'));
    const config = {
      store: { postgres: { url: 'env:STORE_URL' } },
      evidence: { storage: { type: 'filesystem' as const, dir } },
    };
    const evidence = await openEvidenceStore(config, { dataDir, secrets });
    const postmortems = await openPostgresStore(url);
    try {
      await evidence
        .sink({ incidentId: 'i2', target, capturedBy })
        .write('logs', body('y'), { contentType: 'text/plain' });
      const versions = async (schema: string) =>
        (await server.sql('shared_store', `SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).map(
          (row) => row.version,
        );
      expect(await versions('firebreak_evidence')).toEqual([1]);
      expect(await versions('firebreak_postmortems')).toEqual([1, 2]);
      expect(await server.sql('shared_store', 'SELECT incident_id, worker FROM firebreak_evidence.artefacts')).toEqual([
        { incident_id: 'i2', worker: 'w1' },
      ]);
      // A second open is a no-op: no migration is applied twice.
      const again = await openEvidenceStore(config, { dataDir, secrets });
      await again.close();
      expect(await versions('firebreak_evidence')).toEqual([1]);
    } finally {
      await Promise.all([evidence.close(), postmortems.close()]);
    }
  });
});

describe('lazyEvidenceStore', () => {
  const target = { id: 'c1', name: 'web-1' };
  const capturedBy = { stepId: 'capture', worker: 'w1' };

  it('opens on first use, once for concurrent callers, retries a failed open, and close releases the ledger', async () => {
    const dataDir = mkdtempSync(path.join(scratch, 'lazy-'));
    const secrets = createSecretResolver({ env: {}, baseDir: dataDir });
    let opens = 0;
    let fail = true;
    const lazy = lazyEvidenceStore(() => {
      opens += 1;
      if (fail) return Promise.reject(new Error('the ledger is not reachable'));
      return openEvidenceStore({}, { dataDir, secrets });
    });
    expect(opens).toBe(0);
    await lazy.close(); // never opened: nothing to close
    await expect(lazy.get()).rejects.toThrow('not reachable');
    fail = false;
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect(opens).toBe(2);
    expect(a).toBe(b);
    await a.sink({ incidentId: 'i1', target, capturedBy }).write('logs', Readable.from([Buffer.from('x')]), {
      contentType: 'text/plain',
    });
    expect(await lazy.get()).toBe(a);
    await lazy.close();
    // The embedded ledger admits one opener: opening it again succeeds only because close released it.
    const again = await openEvidenceStore({}, { dataDir, secrets });
    try {
      expect((await again.list('i1')).map((r) => r.artefact)).toEqual(['logs']);
    } finally {
      await again.close();
    }
  });
});

describe('a write the store cannot vouch for records nothing and removes its blob', () => {
  const target = { id: 'c1', name: 'web-1' };
  const capturedBy = { stepId: 'capture', worker: 'w1' };
  const body = (text: string): AsyncIterable<Uint8Array> => Readable.from([Buffer.from(text)]);

  async function keys(blobs: BlobStore): Promise<string[]> {
    const found: string[] = [];
    for await (const entry of blobs.list('')) found.push(entry.key);
    return found;
  }

  it('when the blob store reports another digest than the bytes sent', async () => {
    const { blobs } = await fsBlobs();
    // A store that wrote something other than what it was given, as a corrupting backend would.
    const lying: BlobStore = {
      ...blobs,
      put: async (key, data, opts) => ({ ...(await blobs.put(key, data, opts)), sha256: '0'.repeat(64) }),
    };
    const store = await createSqlEvidenceStore(lying, await pgliteLedger()());
    try {
      await expect(
        store.sink({ incidentId: 'i3', target, capturedBy }).write('logs', body('x'), { contentType: 'text/plain' }),
      ).rejects.toThrow(/the store wrote 1 bytes \(sha256 0{64}\) but 1 bytes \(sha256 [0-9a-f]{64}\) were sent/);
      expect(await store.list('i3')).toEqual([]);
      expect(await keys(blobs)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('when the ledger cannot record it', async () => {
    const { blobs } = await fsBlobs();
    const db = await PGlite.create();
    const store = await createSqlEvidenceStore(blobs, pgliteClient(db, 'evidence ledger'));
    await db.query("ALTER TABLE firebreak_evidence.artefacts ADD CONSTRAINT no_logs CHECK (artefact <> 'logs')");
    try {
      await expect(
        store.sink({ incidentId: 'i4', target, capturedBy }).write('logs', body('x'), { contentType: 'text/plain' }),
      ).rejects.toThrow('no_logs');
      expect(await store.list('i4')).toEqual([]);
      expect(await keys(blobs)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('Object Lock retention on S3 (SeaweedFS)', () => {
  const target = { id: 'c1', name: 'web-1' };
  const capturedBy = { stepId: 'capture', worker: 'w1' };
  const DAY = 86_400_000;

  function raw(): S3Client {
    return new S3Client({
      endpoint: seaweed.endpoint,
      region: seaweed.region,
      forcePathStyle: true,
      credentials: { accessKeyId: seaweed.accessKeyId, secretAccessKey: seaweed.secretAccessKey },
    });
  }

  async function* sized(bytes: number): AsyncGenerator<Uint8Array> {
    const chunk = Buffer.alloc(1024 * 1024, 3);
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      await new Promise((resolve) => setImmediate(resolve));
      yield chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    }
  }

  it('puts every artefact, streamed in parts or whole, with the configured retention, and verify still passes', async () => {
    const client = raw();
    await client.send(new CreateBucketCommand({ Bucket: 'evidence-locked', ObjectLockEnabledForBucket: true }));
    const blobs = createS3Store(seaweedStoreOptions(seaweed, { bucket: 'evidence-locked' }));
    const before = Date.now();
    const store = await createSqlEvidenceStore(blobs, await pgliteLedger()(), {
      retention: { mode: 'governance', days: 2 },
    });
    try {
      const sink = store.sink({ incidentId: 'locked-1', target, capturedBy });
      const small = await sink.write('metadata', sized(100), { contentType: 'application/json' });
      // Past one part (8 MiB): a multipart upload, then the digest's copy in place, both locked.
      const large = await sink.write('filesystem', sized(9 * 1024 * 1024 + 5), { contentType: 'application/x-tar' });
      for (const written of [small, large]) {
        const head = await client.send(new HeadObjectCommand({ Bucket: 'evidence-locked', Key: written.location }));
        expect(head.ObjectLockMode).toBe('GOVERNANCE');
        const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0;
        expect(until).toBeGreaterThanOrEqual(before + 2 * DAY - 1000);
        expect(until).toBeLessThanOrEqual(Date.now() + 2 * DAY + 1000);
        // The locked version cannot be deleted (without the right to bypass governance).
        await expect(
          client.send(
            new DeleteObjectCommand({ Bucket: 'evidence-locked', Key: written.location, VersionId: head.VersionId }),
          ),
        ).rejects.toThrow();
      }
      const report = await store.verify('locked-1', 'alice');
      expect(report.results.map((r) => [r.artefact.artefact, r.result])).toEqual([
        ['metadata', 'ok'],
        ['filesystem', 'ok'],
      ]);
    } finally {
      await store.close();
      client.destroy();
    }
  }, 60_000);

  it('refuses to record evidence a bucket without Object Lock could not lock', async () => {
    const blobs = withKeyPrefix(s3, 'evidence-unlockable');
    const store = await createSqlEvidenceStore(blobs, await pgliteLedger()(), {
      retention: { mode: 'compliance', days: 1 },
    });
    try {
      const sink = store.sink({ incidentId: 'locked-2', target, capturedBy });
      await expect(sink.write('logs', sized(10), { contentType: 'text/plain' })).rejects.toThrow();
      expect(await store.list('locked-2')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('the filesystem store refuses retention (UNSUPPORTED), recording nothing', async () => {
    const { blobs } = await fsBlobs();
    const store = await createSqlEvidenceStore(blobs, await pgliteLedger()(), {
      retention: { mode: 'governance', days: 1 },
    });
    try {
      const sink = store.sink({ incidentId: 'locked-3', target, capturedBy });
      await expectCode(sink.write('logs', sized(10), { contentType: 'text/plain' }), ErrorCode.Unsupported);
      expect(await store.list('locked-3')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
