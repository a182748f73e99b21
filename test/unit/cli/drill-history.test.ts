/**
 * `firebreak drill history`: records read straight from the configured filesystem blob store (no server),
 * as a table with the trend, as JSON, with a limit, and the "no passing drill" warning on stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillKey } from '../../../src/backup/drills/drill.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { drillRecord } from '../backup/support.js';
import { cli } from './client-support.js';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-cli-'));
  writeFileSync(path.join(dir, 'firebreak.yaml'), 'storage:\n  type: filesystem\n  dir: blobs\n');
  const store = await createFsStore({ dir: path.join(dir, 'blobs') });
  const records = [
    drillRecord('pg-nightly', 1, 'passed', 60_000),
    drillRecord('pg-nightly', 2, 'passed', 64_000),
    drillRecord('pg-nightly', 3, 'failed', null),
  ];
  for (const record of records) {
    await store.put(drillKey(record.runbook, record.startedAt, record.incidentId), Buffer.from(JSON.stringify(record)));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const history = (...args: string[]) => cli(['drill', 'history', ...args], {}, dir);

describe('firebreak drill history', () => {
  it('prints the newest drills with RTO, RPO, checks and reasons, then the trend', async () => {
    const result = await history('pg-nightly');
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toBe('Drills of pg-nightly: the newest 3 of 3');
    expect(lines[2]).toMatch(/^STARTED\s+STATUS\s+BACKUP\s+RTO\s+RPO\s+MIB\/S\s+CHECKS\s+INCIDENT\s+REASONS$/);
    expect(lines[3]).toMatch(
      /^2024-06-03 02:00:00Z\s+failed\s+20240603T000000000Z-00000000\s+-\s+3m\s+.*drill-3\s+check rows failed: off$/,
    );
    expect(lines[4]).toMatch(/^2024-06-02 02:00:00Z\s+passed\s+.*1m 4s\s+2m\s/);
    expect(result.out).toContain('Trend: 2 of 3 passed (67%); last pass 2024-06-02 02:00:00Z');
    expect(result.out).toContain('RTO last - vs median 1m 2s; RPO last 3m vs median 2m');
    // The drills are from 2024: long past the default 7 days.
    expect(result.err).toContain('warning: no passing drill of pg-nightly in 7 days');
  });

  it('prints JSON with the records and the trend, honouring --limit', async () => {
    const result = await history('pg-nightly', '--json', '--limit', '1');
    const parsed = JSON.parse(result.out) as {
      records: { incidentId: string }[];
      total: number;
      trend: { drills: number };
    };
    expect(parsed.records.map((record) => record.incidentId)).toEqual(['drill-3']);
    expect(parsed.total).toBe(3);
    expect(parsed.trend.drills).toBe(1);
  });

  it('says so when nothing is recorded, and refuses a bad runbook id or limit', async () => {
    expect((await history('never-drilled')).out).toBe('No drills of never-drilled are recorded.\n');
    expect(await history('Bad_Id')).toMatchObject({ code: 2, err: 'error: not a runbook id: Bad_Id\n' });
    expect(await history('pg-nightly', '--limit', '0')).toMatchObject({ code: 2 });
  });
});
