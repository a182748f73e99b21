/**
 * `restore.check` against live targets: a real PostgreSQL database (test/support/postgres.ts) and a real
 * directory, each compared with a backup of itself. Counts within a tolerance pass and beyond it fail,
 * `require` turns a failure into RESTORE_CHECK_FAILED (not retried), and queries cannot write, however they
 * try. Files are hashed where they live; checks that do not apply are SKIPPED and never pass.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../../activities/failures.js';
import { RestoreCheckInput, restoreCheckAction } from '../../../src/actions/backup/restore-check.js';
import type { CheckSpec } from '../../../src/backup/checks/schema.js';
import type { BackupDeps } from '../../../src/backup/deps.js';
import { backupFiles } from '../../../src/backup/write/files.js';
import { backupPostgres } from '../../../src/backup/write/postgres.js';
import { ErrorCode, NON_RETRYABLE_CODES } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { freePort } from '../../../src/temporal/dev-server.js';
import { startPostgres, type TestPostgres } from '../../../harness/postgres.js';
import { rejection, testContext } from '../../unit/actions/support.js';
import { backupDeps, putBackup } from '../../unit/backup/support.js';

let server: TestPostgres;
let scratch: string;
let site: string;
let deps: BackupDeps;

type Output = {
  backup: { id: string };
  target: { kind: string; source: string };
  checks: Array<{ name: string; status: string; reason: string }>;
  verdict: { passed: boolean; counts: Record<string, number>; reasons: string[] };
};

const up: CheckSpec = { name: 'up', kind: 'starts' };
const tables: CheckSpec = { name: 'tables', kind: 'tables-exist' };
const counts = (tolerancePercent?: number): CheckSpec => ({
  name: 'counts',
  kind: 'row-counts',
  ...(tolerancePercent === undefined ? {} : { tolerancePercent }),
});

async function check(input: RestoreCheckInput, over: BackupDeps = deps) {
  const { ctx, lines } = testContext();
  const result = await restoreCheckAction(over).execute(RestoreCheckInput.parse(input), ctx);
  return { output: result.output as Output, note: result.note, lines };
}

async function customers(): Promise<number> {
  return Number((await server.sql('app', 'SELECT count(*)::int AS n FROM customers'))[0]?.n);
}

beforeAll(async () => {
  server = await startPostgres();
  await server.sql('postgres', 'CREATE DATABASE app');
  await server.sql(
    'app',
    `CREATE TABLE customers (id serial PRIMARY KEY, email text);
     INSERT INTO customers (email) SELECT 'c' || i || '@example.com' FROM generate_series(1, 99) i;
     INSERT INTO customers (email) VALUES ('canary@example.com');
     CREATE SCHEMA billing;
     CREATE TABLE billing.invoices (id serial, cents bigint);
     INSERT INTO billing.invoices (cents) SELECT i * 100 FROM generate_series(1, 40) i;`,
  );
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-restore-check-'));
  site = path.join(scratch, 'site');
  mkdirSync(path.join(site, 'assets'), { recursive: true });
  writeFileSync(path.join(site, 'index.html'), '<h1>hello</h1>\n');
  writeFileSync(path.join(site, 'assets', 'app.js'), 'console.log(1);\n');
  deps = {
    // restore.check restores nothing: the scratch targets of the shared helper are never touched.
    ...backupDeps(await createFsStore({ dir: path.join(scratch, 'blobs') })),
    now: () => new Date(),
    postgres: { app: { url: 'env:APP_URL' } },
    directories: { site: { path: site } },
    secrets: createSecretResolver({ env: { APP_URL: server.urlFor('app') }, baseDir: scratch }),
    postgresBinDir: server.binDir,
  };
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe('restore.check against a live database', () => {
  it('passes against the database it was just backed up from, row counts exact, without showing its URL', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const canary: CheckSpec = {
      name: 'canary',
      kind: 'query',
      sql: "SELECT email FROM customers WHERE email LIKE 'canary%'",
      expect: { scalar: 'canary@example.com' },
    };
    const { output, note, lines } = await check({
      source: 'app',
      backup: manifest.id,
      checks: [up, tables, counts(), canary],
    });
    expect(output.verdict).toEqual({ passed: true, counts: { PASS: 4, FAIL: 0, SKIPPED: 0 }, reasons: [] });
    expect(output.target).toEqual({ kind: 'postgres', source: 'app' });
    expect(output.backup).toMatchObject({ id: manifest.id, source: 'app', kind: 'postgres', sha256: manifest.sha256 });
    expect(output.checks[2]?.reason).toBe("2 tables match the manifest's row counts exactly");
    expect(note).toBe(`Checked database app against backup ${manifest.id}: 4 of 4 checks passed`);
    const shown = JSON.stringify([output, note, lines]);
    expect(shown).not.toContain(server.password);
  });

  it('fails row counts beyond the tolerance; with require the step fails with RESTORE_CHECK_FAILED, not retried', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    await server.sql('app', "INSERT INTO customers (email) SELECT 'late' FROM generate_series(1, 10)");
    try {
      const loose = await check({ source: 'app', backup: manifest.id, checks: [up, counts(20)] });
      expect(loose.output.verdict.passed).toBe(true);
      const strict = await check({ source: 'app', backup: manifest.id, checks: [up, counts(5)] });
      expect(strict.output.checks[1]).toMatchObject({
        status: 'FAIL',
        reason: '1 of 2 tables off (within 5%): public.customers: 110 rows, manifest 100',
      });
      expect(strict.output.verdict.passed).toBe(false);
      expect(strict.note).toBe(
        `Checked database app against backup ${manifest.id}: 1 of 2 checks passed, failed: counts`,
      );

      const error = await rejection(
        check({ source: 'app', backup: manifest.id, checks: [up, counts(5)], require: true }),
      );
      expect(error.code).toBe(ErrorCode.RestoreCheckFailed);
      expect(error.message).toBe(
        `database app does not match backup ${manifest.id}: check counts failed: ` +
          '1 of 2 tables off (within 5%): public.customers: 110 rows, manifest 100',
      );
      // Rows on top of the percentage: 10 more rows pass at 5% + 10 rows, and the reason says so.
      const rows = await check({
        source: 'app',
        backup: manifest.id,
        checks: [{ name: 'counts', kind: 'row-counts', tolerancePercent: 5, toleranceRows: 10 }],
      });
      expect(rows.output.checks[0]).toMatchObject({
        status: 'PASS',
        reason: "2 tables match the manifest's row counts within 5% + 10 rows",
      });
      expect(NON_RETRYABLE_CODES).toContain(ErrorCode.RestoreCheckFailed);
      expect(toActivityFailure(error)).toMatchObject({ type: 'RESTORE_CHECK_FAILED', nonRetryable: true });
    } finally {
      await server.sql('app', "DELETE FROM customers WHERE email = 'late'");
    }
  });

  it('cannot write: inserts, DDL, a COMMIT to escape the transaction, and switching read-only off all fail', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const attempts: CheckSpec[] = [
      {
        name: 'insert',
        kind: 'query',
        sql: "INSERT INTO customers (email) VALUES ('x') RETURNING 1",
        expect: { rows: 1 },
      },
      { name: 'ddl', kind: 'query', sql: 'CREATE TABLE intruder (x int)', expect: { rows: 0 } },
      {
        name: 'escape',
        kind: 'query',
        sql: "COMMIT; INSERT INTO customers (email) VALUES ('x') RETURNING 1",
        expect: { rows: 1 },
      },
      {
        name: 'switch off',
        kind: 'query',
        sql: "SELECT set_config('default_transaction_read_only', 'off', false)",
        expect: { scalar: 'off' },
      },
      { name: 'still on', kind: 'query', sql: 'SHOW default_transaction_read_only', expect: { scalar: 'on' } },
      { name: 'delete', kind: 'query', sql: 'DELETE FROM customers RETURNING 1', expect: { minRows: 0 } },
      counts(),
    ];
    const { output } = await check({ source: 'app', backup: manifest.id, checks: attempts });
    expect(output.checks.map((result) => [result.name, result.status])).toEqual([
      ['insert', 'FAIL'],
      ['ddl', 'FAIL'],
      ['escape', 'FAIL'],
      // It runs, in a read-only transaction that is rolled back, and the setting goes back with it.
      ['switch off', 'PASS'],
      ['still on', 'PASS'],
      ['delete', 'FAIL'],
      ['counts', 'PASS'],
    ]);
    expect(output.checks[0]?.reason).toContain('read-only transaction');
    expect(output.checks[1]?.reason).toContain('read-only transaction');
    expect(output.checks[2]?.reason).toContain('cannot insert multiple commands into a prepared statement');
    expect(output.checks[5]?.reason).toContain('read-only transaction');
    expect(await customers()).toBe(100);
    expect(await server.sql('app', "SELECT to_regclass('public.intruder') AS t")).toEqual([{ t: null }]);
  });

  it('fails starts and skips the rest when the database is down, naming it; require lists every reason', async () => {
    const { manifest } = await backupPostgres(deps, 'app');
    const down = `postgres://nobody:sekrit@127.0.0.1:${await freePort()}/app`;
    const downDeps = { ...deps, secrets: createSecretResolver({ env: { APP_URL: down }, baseDir: scratch }) };
    const { output } = await check({ source: 'app', backup: manifest.id, checks: [up, tables] }, downDeps);
    expect(output.checks.map((result) => result.status)).toEqual(['FAIL', 'SKIPPED']);
    expect(output.checks[1]?.reason).toMatch(/^database app is not reachable: cannot connect to database app/);
    const error = await rejection(
      check({ source: 'app', backup: manifest.id, checks: [up, tables], require: true }, downDeps),
    );
    expect(error.code).toBe(ErrorCode.RestoreCheckFailed);
    expect(error.message).toContain('check up failed: cannot connect to database app');
    expect(error.message).toContain('check tables skipped: database app is not reachable');
    expect(error.message).not.toContain('sekrit');
  });
});

describe('restore.check against a live directory', () => {
  it('passes file hashes where the files live, and fails the one that changed', async () => {
    const { manifest } = await backupFiles(deps, 'site');
    const checks: CheckSpec[] = [up, { name: 'hashes', kind: 'file-hashes' }];
    const same = await check({ source: 'site', backup: manifest.id, checks });
    expect(same.output.target).toEqual({ kind: 'files', source: 'site' });
    expect(same.output.verdict).toMatchObject({ passed: true, counts: { PASS: 2, FAIL: 0, SKIPPED: 0 } });
    expect(same.note).toBe(`Checked directory site against backup ${manifest.id}: 2 of 2 checks passed`);

    writeFileSync(path.join(site, 'index.html'), '<h1>defaced</h1>\n');
    try {
      const changed = await check({ source: 'site', backup: manifest.id, checks });
      expect(changed.output.checks[1]).toMatchObject({ status: 'FAIL' });
      expect(changed.output.checks[1]?.reason).toMatch(
        /^1 of 2 files differ: index\.html: sha256 [0-9a-f]{64}, manifest/,
      );
      expect(changed.output.verdict.passed).toBe(false);
    } finally {
      writeFileSync(path.join(site, 'index.html'), '<h1>hello</h1>\n');
    }
  });

  it('skips a database check against a files backup, and a verdict of only skips does not pass', async () => {
    const { manifest } = await backupFiles(deps, 'site');
    const { output, note } = await check({ source: 'site', backup: manifest.id, checks: [counts()] });
    expect(output.checks[0]).toMatchObject({
      status: 'SKIPPED',
      reason: 'row-counts does not apply to a files restore',
    });
    expect(output.verdict).toEqual({
      passed: false,
      counts: { PASS: 0, FAIL: 0, SKIPPED: 1 },
      reasons: ['nothing was verified: all 1 checks were skipped'],
    });
    expect(note).toBe(`Checked directory site against backup ${manifest.id}: 0 of 1 checks passed, skipped: counts`);
    const error = await rejection(check({ source: 'site', backup: manifest.id, checks: [counts()], require: true }));
    expect(error.code).toBe(ErrorCode.RestoreCheckFailed);
    expect(error.message).toContain('check counts skipped: row-counts does not apply to a files restore');
  });
});

describe('restore.check input and configuration', () => {
  it('refuses a source that is not configured, naming the configured ones', async () => {
    const error = await rejection(check({ source: 'nope', backup: '20240601T000000000Z-00000000', checks: [up] }));
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.message).toBe('no source nope in backups.postgres (have: app) or backups.directories (have: site)');
  });

  it('refuses a PostgreSQL backup of a source configured only as a directory', async () => {
    const manifest = await putBackup(deps.store, 'site', '2024-06-01T00:00:00Z');
    const error = await rejection(check({ source: 'site', backup: manifest.id, checks: [up] }));
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.message).toBe(
      `backup ${manifest.id} of site is a postgres backup, but site is not in backups.postgres`,
    );
  });

  it('needs at least one check, and require defaults to off', () => {
    const backup = '20240601T000000000Z-00000000';
    expect(RestoreCheckInput.safeParse({ source: 'app', backup, checks: [] }).success).toBe(false);
    expect(RestoreCheckInput.safeParse({ source: 'app', backup }).success).toBe(false);
    expect(RestoreCheckInput.parse({ source: 'app', backup, checks: [up] }).require).toBeUndefined();
  });
});
