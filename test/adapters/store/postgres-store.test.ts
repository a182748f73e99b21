/** The post-mortem store conformance suite on a real PostgreSQL server, each database created for the purpose. */
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore } from '../../../src/postmortems/store/index.js';
import { createPgClient } from '../../../src/postmortems/store/pg-client.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { runPostmortemStoreConformance, type StoreTarget } from './postmortem-store-conformance.js';

let server: TestPostgres;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server.stop();
});

const target: StoreTarget = {
  concurrentOpens: true,
  async fresh() {
    databases += 1;
    const name = `postmortems_${databases}`;
    await server.sql('postgres', `CREATE DATABASE ${name}`);
    const url = server.urlFor(name);
    return { open: () => openPostgresStore(url), client: () => Promise.resolve(createPgClient(url)) };
  },
};

runPostmortemStoreConformance('PostgreSQL', () => target);
