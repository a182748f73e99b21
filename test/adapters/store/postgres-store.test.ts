/** The post-mortem store conformance suite on a real PostgreSQL server, each database created for the purpose. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/domain/errors.js';
import { openPostgresStore, openPostmortemStore } from '../../../src/postmortems/store/index.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { createPgClient } from '../../../src/postmortems/store/pg-client.js';
import { startPostgres, type TestPostgres } from '../../../harness/postgres.js';
import {
  expectCode,
  newPostmortem,
  runPostmortemStoreConformance,
  type StoreTarget,
} from './postmortem-store-conformance.js';
import { runDigestConformance } from './digest-conformance.js';

let server: TestPostgres;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server.stop();
});

const target: StoreTarget = {
  async fresh() {
    databases += 1;
    const name = `postmortems_${databases}`;
    await server.sql('postgres', `CREATE DATABASE ${name}`);
    const url = server.urlFor(name);
    return { open: () => openPostgresStore(url), client: () => Promise.resolve(createPgClient(url)) };
  },
};

runDigestConformance('PostgreSQL', () => target);
runPostmortemStoreConformance('PostgreSQL', () => target, { concurrentOpens: true });

describe('openPostmortemStore with store.postgres.url', () => {
  it('resolves the secret reference and opens PostgreSQL, writing nothing under the data directory', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-data-'));
    try {
      await server.sql('postgres', 'CREATE DATABASE from_config');
      const secrets = createSecretResolver({
        env: { FIREBREAK_STORE_URL: server.urlFor('from_config') },
        baseDir: dataDir,
      });
      const store = await openPostmortemStore({ postgres: { url: 'env:FIREBREAK_STORE_URL' } }, { dataDir, secrets });
      const { postmortem } = await store.createPostmortem(newPostmortem());
      await store.close();
      const rows = await server.sql('from_config', 'SELECT incident_id FROM firebreak_postmortems.postmortems');
      expect(rows).toEqual([{ incident_id: postmortem.incidentId }]);
      expect(readdirSync(dataDir)).toEqual([]);
      const unset = createSecretResolver({ env: {}, baseDir: dataDir });
      const error = await expectCode(
        openPostmortemStore({ postgres: { url: 'env:FIREBREAK_STORE_URL' } }, { dataDir, secrets: unset }),
        ErrorCode.SecretUnavailable,
      );
      expect(error.message).toContain('FIREBREAK_STORE_URL');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails to open with a wrong password as NOT_ALLOWED, without repeating the URL', async () => {
    const url = server.urlFor('postgres').replace(server.password, 'wrong-password');
    const error = await expectCode(openPostgresStore(url), ErrorCode.NotAllowed);
    expect(error.message).toContain('post-mortem store (PostgreSQL)');
    expect(error.message).not.toContain('wrong-password');
  });

  it('fails to open an unreachable server as TRANSIENT (retried)', async () => {
    const url = server.urlFor('postgres').replace(`:${server.port}/`, ':1/');
    await expectCode(openPostgresStore(url), ErrorCode.Transient);
  });
});

describe('PostgreSQL store specifics', () => {
  it('opens a migrated store as a user who owns the schema but may not create schemas', async () => {
    await server.sql('postgres', 'CREATE DATABASE owned_store');
    await server.sql('postgres', "CREATE ROLE store_user LOGIN PASSWORD 'store-pass'");
    await server.sql('owned_store', 'REVOKE CREATE ON DATABASE owned_store FROM PUBLIC');
    await server.sql('owned_store', 'CREATE SCHEMA firebreak_postmortems AUTHORIZATION store_user');
    const url = `postgres://store_user:store-pass@${server.host}:${server.port}/owned_store`;
    const first = await openPostgresStore(url);
    const { postmortem } = await first.createPostmortem(newPostmortem());
    await first.close();
    const second = await openPostgresStore(url);
    expect((await second.getPostmortem(postmortem.id))?.id).toBe(postmortem.id);
    await second.close();
  });
});
