/**
 * Restore checks against a real PostgreSQL database (test/support/postgres.ts): each kind passes and fails
 * where it should, a manifest claiming more rows than the database has fails the row-count check, queries
 * cannot write, and an unreachable database fails `starts` and skips the rest (so nothing counts as passed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksVerdict, runPostgresChecks, type CheckSpec } from '../../../src/backup/checks/index.js';
import type { BackupManifest } from '../../../src/backup/manifest.js';
import { freePort } from '../../../src/temporal/dev-server.js';
import { startPostgres, type TestPostgres } from '../../../harness/postgres.js';
import { manifestOf } from '../../unit/backup/support.js';

let server: TestPostgres;
let url: string;

function manifestWith(tables: Record<string, number>): BackupManifest {
  return {
    ...manifestOf('app', '2024-06-01T00:00:00Z', Buffer.from('dump')),
    postgres: { database: 'app', serverVersion: '16', tables },
  };
}

const COUNTS = { 'public.customers': 100, 'billing.invoices': 40, 'public.Order Items': 3 };

beforeAll(async () => {
  server = await startPostgres();
  await server.sql('postgres', 'CREATE DATABASE restored');
  await server.sql(
    'restored',
    `CREATE TABLE customers (id serial PRIMARY KEY, email text);
     INSERT INTO customers (email) SELECT 'c' || i || '@example.com' FROM generate_series(1, 99) i;
     INSERT INTO customers (email) VALUES ('canary@example.com');
     CREATE SCHEMA billing;
     CREATE TABLE billing.invoices (id serial, cents bigint);
     INSERT INTO billing.invoices (cents) SELECT i * 5000000000 FROM generate_series(1, 40) i;
     CREATE TABLE "Order Items" (sku text);
     INSERT INTO "Order Items" VALUES ('a'), ('b'), ('c');`,
  );
  url = server.urlFor('restored');
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

describe('runPostgresChecks', () => {
  it('passes every kind on a faithful restore, and skips file hashes', async () => {
    const checks: CheckSpec[] = [
      { name: 'up', kind: 'starts' },
      { name: 'tables', kind: 'tables-exist' },
      { name: 'rows', kind: 'row-counts' },
      {
        name: 'canary',
        kind: 'query',
        sql: "SELECT 1 FROM customers WHERE email = 'canary@example.com'",
        expect: { rows: 1 },
      },
      { name: 'some', kind: 'query', sql: 'SELECT id FROM customers', expect: { minRows: 50 } },
      { name: 'big', kind: 'query', sql: 'SELECT max(cents) FROM billing.invoices', expect: { scalar: 200000000000 } },
      { name: 'text', kind: 'query', sql: 'SELECT sku FROM "Order Items" ORDER BY sku', expect: { scalar: 'a' } },
      { name: 'files', kind: 'file-hashes' },
    ];
    const results = await runPostgresChecks(url, manifestWith(COUNTS), checks);
    expect(results.map((result) => [result.name, result.status])).toEqual([
      ['up', 'PASS'],
      ['tables', 'PASS'],
      ['rows', 'PASS'],
      ['canary', 'PASS'],
      ['some', 'PASS'],
      ['big', 'PASS'],
      ['text', 'PASS'],
      ['files', 'SKIPPED'],
    ]);
    expect(results[0]?.reason).toMatch(/^accepts connections \(PostgreSQL \d+/);
    expect(results[2]?.reason).toBe("3 tables match the manifest's row counts exactly");
    expect(checksVerdict(results).passed).toBe(true);
  });

  it('fails row counts when the manifest claims more rows than were restored, unless within tolerance', async () => {
    const claims = manifestWith({ ...COUNTS, 'public.customers': 104 });
    const [exact, loose] = await runPostgresChecks(url, claims, [
      { name: 'exact', kind: 'row-counts' },
      { name: 'loose', kind: 'row-counts', tolerancePercent: 5 },
    ]);
    expect(exact).toMatchObject({
      status: 'FAIL',
      reason: '1 of 3 tables off (exactly): public.customers: 100 rows, manifest 104',
    });
    expect(loose?.status).toBe('PASS');
  });

  it('fails missing tables, wrong answers, bad SQL and writes', async () => {
    const results = await runPostgresChecks(url, manifestWith({ ...COUNTS, 'public.gone': 5 }), [
      { name: 'tables', kind: 'tables-exist' },
      { name: 'rows', kind: 'row-counts', tables: ['public.gone'] },
      { name: 'canary', kind: 'query', sql: "SELECT 1 FROM customers WHERE email = 'nobody'", expect: { rows: 1 } },
      { name: 'scalar', kind: 'query', sql: 'SELECT count(*) FROM customers', expect: { scalar: 7 } },
      { name: 'typo', kind: 'query', sql: 'SELEC 1', expect: { rows: 1 } },
      { name: 'write', kind: 'query', sql: 'DELETE FROM customers RETURNING id', expect: { minRows: 0 } },
      { name: 'after', kind: 'query', sql: 'SELECT count(*) FROM customers', expect: { scalar: 100 } },
    ]);
    expect(results.map((result) => result.status)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'PASS']);
    expect(results[0]?.reason).toBe('missing 1 of 4 tables: public.gone');
    expect(results[1]?.reason).toContain('public.gone: missing');
    expect(results[2]?.reason).toBe('0 rows, expected 1');
    expect(results[3]?.reason).toBe('got "100", expected 7');
    expect(results[4]?.reason).toContain('syntax error');
    expect(results[5]?.reason).toContain('read-only transaction');
  });

  it('fails `starts` and skips the rest when the database cannot be reached: the drill cannot pass', async () => {
    const down = `postgres://nobody:wrong@127.0.0.1:${await freePort()}/restored`;
    const results = await runPostgresChecks(down, manifestWith(COUNTS), [
      { name: 'up', kind: 'starts' },
      { name: 'rows', kind: 'row-counts' },
    ]);
    expect(results.map((result) => result.status)).toEqual(['FAIL', 'SKIPPED']);
    expect(results[1]?.reason).toContain('the restored database is not reachable');
    expect(checksVerdict(results.slice(1))).toMatchObject({
      passed: false,
      reasons: ['nothing was verified: all 1 checks were skipped'],
    });
  });
});
