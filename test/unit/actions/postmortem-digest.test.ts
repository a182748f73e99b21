/**
 * postmortem.digest over real stores without Temporal: its input schema (each bad field named), the drills
 * of a period read from their keys (earlier, later, unreadable and stray blobs), the runbooks' reviews as
 * loaded, the clock, and a worker without a store or a catalog.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteOf, postmortemDigestAction } from '../../../src/actions/postmortem/digest.js';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import { readDrillPeriods, startOfKey } from '../../../src/backup/drills/period.js';
import { drillKey } from '../../../src/backup/drills/drill.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { LessonsDigest } from '../../../src/postmortems/digest.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type LazyPostmortemStore,
} from '../../../src/postmortems/store/index.js';
import type { RunbookCatalog } from '../../../src/runbook/catalog.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { drillRecord, recordingContext } from '../backup/support.js';
import { compileTexts } from '../runbook/helpers.js';

let scratch: string;
let blobs: BlobStore;
let postmortems: LazyPostmortemStore;
let catalog: RunbookCatalog;

const put = (key: string, value: unknown) => blobs.put(key, Buffer.from(JSON.stringify(value)));

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-digest-action-'));
  blobs = await createFsStore({ dir: scratch });
  // June 2024: pg has drills on the 1st (before the period), 10th (passed), 12th (failed) and 30th (after).
  for (const [day, status] of [
    [1, 'failed'],
    [10, 'passed'],
    [12, 'failed'],
    [30, 'passed'],
  ] as const) {
    const record = drillRecord('pg', day, status, 60_000);
    await put(drillKey('pg', record.startedAt, record.incidentId), record);
  }
  const old = drillRecord('files', 2, 'passed', 1000);
  await put(drillKey('files', old.startedAt, old.incidentId), old);
  await put(drillKey('broken', '2024-06-15T00:00:00Z', 'x'), { not: 'a drill record' });
  await blobs.put('drills/pg/notes.txt', Buffer.from('ignored'));
  await blobs.put('drills/pg/nested/20240611T000000000Z-x.json', Buffer.from('{}'));
  postmortems = lazyPostmortemStore(() => openPgliteStore('memory'));
  const step = '  - { id: note, title: Note, action: timeline.note, with: { text: hi } }\n';
  const head = (id: string, review: string) =>
    `apiVersion: firebreak/v1\nid: ${id}\ntitle: ${id} title\nversion: 1\nseverity: sev3\nroles: { ops: {} }\n${review}steps:\n${step}`;
  catalog = compileTexts({
    'due.yaml': head('due', 'review: { every: 30d, owner: role:ops, last: 2024-05-01 }\n'),
    'fresh.yaml': head('fresh', 'review: { every: 30d, owner: role:ops, last: 2024-06-10 }\n'),
    'never.yaml': head('never', 'review: { every: 90d, owner: role:ops }\n'),
    'none.yaml': head('none', ''),
  });
  expect(catalog.issues).toEqual([]);
});

afterAll(async () => {
  await postmortems.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('postmortem.digest input', () => {
  const schema = builtinActionCatalog.inputSchema('postmortem.digest')!;
  const problem = (value: unknown) => {
    const result = schema.safeParse(value);
    return result.success ? undefined : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('takes a period of 1d to 400d, an optional ISO `now` and limit, and nothing else', () => {
    expect(problem({ period: '30d' })).toBeUndefined();
    expect(problem({ period: '12w', now: '2026-12-01T09:00:00+01:00', limit: 10 })).toBeUndefined();
    expect(problem({ period: '30 days' })).toEqual(['period: expected a duration such as 30d, 4w or 90d']);
    expect(problem({ period: '12h' })).toEqual(['period: must be between 1d and 400d']);
    expect(problem({ period: '401d' })).toEqual(['period: must be between 1d and 400d']);
    expect(problem({ period: '30d', now: 'yesterday' })).toEqual([
      'now: expected an ISO 8601 instant such as 2026-12-01T09:00:00Z',
    ]);
    expect(problem({ period: '30d', limit: 51 })?.[0]).toMatch(/^limit: /);
    expect(problem({ period: '30d', since: '2026-01-01' })?.[0]).toMatch(/since/);
  });
});

describe('drills of a period', () => {
  it('reads the records started in the window per drill runbook, from their keys', async () => {
    expect(startOfKey('20240610T020000000Z-drill-10.json')).toBe(Date.parse('2024-06-10T02:00:00Z'));
    expect(startOfKey('notes.txt')).toBeUndefined();
    const periods = await readDrillPeriods(blobs, { since: '2024-06-05T00:00:00Z', until: '2024-06-20T00:00:00Z' });
    expect(
      periods.map((period) => [
        period.runbook,
        period.records.map((r) => r.status),
        period.hasEarlier,
        period.unreadable,
      ]),
    ).toEqual([
      ['broken', [], false, 1],
      ['files', [], true, 0],
      ['pg', ['passed', 'failed'], true, 0],
    ]);
  });
});

describe('postmortem.digest', () => {
  it('computes the digest of the period ending at the clock, with the runbooks due for review', async () => {
    const action = postmortemDigestAction({
      postmortems,
      drills: blobs,
      runbooks: () => Promise.resolve(catalog),
      now: () => new Date('2024-06-20T00:00:00Z'),
    });
    const result = await action.execute({ period: '15d' }, recordingContext({ stepId: 'digest' }).ctx);
    const digest = result.output as unknown as LessonsDigest;
    expect(digest.period).toEqual({
      length: '15d',
      since: '2024-06-05T00:00:00.000Z',
      until: '2024-06-20T00:00:00.000Z',
    });
    expect(digest.drills.items.map((drill) => [drill.runbook, drill.passed, drill.failed, drill.unreadable])).toEqual([
      ['pg', 1, 1, 0],
      ['broken', 0, 0, 1],
      ['files', 0, 0, 0],
    ]);
    expect(digest.runbookReviews.items.map((review) => [review.runbook, review.owner, review.overdueDays])).toEqual([
      ['never', 'role:ops', null],
      ['due', 'role:ops', 20],
    ]);
    expect(digest.incidents.total).toBe(0);
    expect(result.note).toBe(noteOf(digest));
    expect(result.note).toContain('drills 1 passed, 1 failed; 2 runbooks due for review.');
    // `now` in the input moves the end of the period.
    const earlier = await action.execute(
      { period: '15d', now: '2024-06-12T00:00:00Z', limit: 1 },
      recordingContext().ctx,
    );
    const moved = earlier.output as unknown as LessonsDigest;
    expect(moved.period.until).toBe('2024-06-12T00:00:00.000Z');
    // broken's record started after that end, so it drops out.
    expect(moved.drills).toMatchObject({ total: 2, omitted: 1 });
  });

  it('fails with INVALID_INPUT, saying what is missing, on a worker without a store or a catalog', async () => {
    const ctx = recordingContext().ctx;
    const withoutStore = postmortemDigestAction({ drills: blobs, runbooks: () => Promise.resolve(catalog) });
    await expect(withoutStore.execute({ period: '30d' }, ctx)).rejects.toThrow(
      new FirebreakError(ErrorCode.InvalidInput, 'postmortem.digest: this worker has no post-mortem store'),
    );
    const withoutRunbooks = postmortemDigestAction({ drills: blobs, postmortems });
    await expect(withoutRunbooks.execute({ period: '30d' }, ctx)).rejects.toThrow('this worker has no runbook catalog');
  });
});
