/**
 * Check semantics: SKIPPED never counts as a pass (any FAIL fails, all SKIPPED fails as "nothing was
 * verified"), the check list schema, and the file checks against a restored directory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckList, checksVerdict, runFileChecks, type CheckResult } from '../../../src/backup/checks/index.js';
import type { BackupManifest } from '../../../src/backup/manifest.js';
import { manifestOf } from './support.js';

const result = (name: string, status: CheckResult['status']): CheckResult => ({
  name,
  kind: 'query',
  status,
  reason: `${name} says ${status}`,
  durationMs: 1,
});

describe('checksVerdict', () => {
  it('passes when something passed and nothing failed; SKIPPED is listed but not counted', () => {
    const verdict = checksVerdict([result('a', 'PASS'), result('b', 'SKIPPED')]);
    expect(verdict).toEqual({ passed: true, counts: { PASS: 1, FAIL: 0, SKIPPED: 1 }, reasons: [] });
  });

  it('fails on any FAIL, naming each failed check', () => {
    const verdict = checksVerdict([result('a', 'PASS'), result('b', 'FAIL'), result('c', 'FAIL')]);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons).toEqual(['check b failed: b says FAIL', 'check c failed: c says FAIL']);
  });

  it('fails when every check was skipped: nothing was verified', () => {
    const verdict = checksVerdict([result('a', 'SKIPPED'), result('b', 'SKIPPED')]);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons).toEqual(['nothing was verified: all 2 checks were skipped']);
  });

  it('fails when there were no checks at all', () => {
    expect(checksVerdict([])).toMatchObject({
      passed: false,
      reasons: ['nothing was verified: the drill ran no checks'],
    });
  });
});

describe('CheckList', () => {
  it('accepts every kind and refuses duplicate names, unknown kinds and empty expectations', () => {
    const checks = [
      { name: 'up', kind: 'starts' },
      { name: 'tables', kind: 'tables-exist', tables: ['public.customers'] },
      { name: 'rows', kind: 'row-counts', tolerancePercent: 2 },
      {
        name: 'canary',
        kind: 'query',
        sql: "SELECT 1 FROM customers WHERE email = 'canary@example.com'",
        expect: { rows: 1 },
      },
      { name: 'hashes', kind: 'file-hashes' },
    ];
    expect(CheckList.safeParse(checks).success).toBe(true);
    expect(CheckList.safeParse([...checks, { name: 'up', kind: 'starts' }]).success).toBe(false);
    expect(CheckList.safeParse([{ name: 'x', kind: 'ping' }]).success).toBe(false);
    expect(CheckList.safeParse([{ name: 'q', kind: 'query', sql: 'SELECT 1', expect: {} }]).success).toBe(false);
    expect(CheckList.safeParse([{ name: 'r', kind: 'row-counts', tolerancePercent: 101 }]).success).toBe(false);
  });
});

describe('runFileChecks', () => {
  let dir: string;
  let manifest: BackupManifest;
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'firebreak-file-checks-'));
    mkdirSync(path.join(dir, 'docs'));
    writeFileSync(path.join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(path.join(dir, 'docs', 'a.txt'), 'changed');
    manifest = {
      ...manifestOf('site', '2024-06-01T00:00:00Z', Buffer.from('tar')),
      kind: 'files',
      files: {
        count: 3,
        sha256: { 'index.html': sha('<p>hi</p>'), 'docs/a.txt': sha('original'), 'docs/gone.txt': sha('x') },
      },
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes matching files, fails changed and missing ones, and skips database checks', async () => {
    const results = await runFileChecks(dir, manifest, [
      { name: 'up', kind: 'starts' },
      { name: 'home', kind: 'file-hashes', paths: ['index.html'] },
      { name: 'all', kind: 'file-hashes' },
      { name: 'rows', kind: 'row-counts' },
    ]);
    expect(results.map((check) => [check.name, check.status])).toEqual([
      ['up', 'PASS'],
      ['home', 'PASS'],
      ['all', 'FAIL'],
      ['rows', 'SKIPPED'],
    ]);
    expect(results[2]?.reason).toContain('2 of 3 files differ');
    expect(results[2]?.reason).toContain(`docs/a.txt: sha256 ${sha('changed')}, manifest ${sha('original')}`);
    expect(results[2]?.reason).toContain('docs/gone.txt: missing');
    expect(checksVerdict(results).passed).toBe(false);
  });

  it('refuses a manifest path that leaves the restore, and fails starts on a missing directory', async () => {
    const escaping = { ...manifest, files: { count: 1, sha256: { '../outside.txt': sha('x') } } };
    const [escape] = await runFileChecks(dir, escaping, [{ name: 'all', kind: 'file-hashes' }]);
    expect(escape).toMatchObject({ status: 'FAIL', reason: expect.stringContaining('outside the restore') as string });
    const gone = await runFileChecks(path.join(dir, 'nope'), manifest, [
      { name: 'up', kind: 'starts' },
      { name: 'all', kind: 'file-hashes' },
    ]);
    expect(gone.map((check) => check.status)).toEqual(['FAIL', 'SKIPPED']);
  });
});
