/**
 * backup.select: the three rules in order, the random rule's seed (the same on a retry, stable when new
 * backups appear), unparseable manifests skipped and reported, and the known-good walk back past corrupt
 * backups with the data loss it implies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSelectAction } from '../../../src/actions/backup/select.js';
import { manifestKey } from '../../../src/backup/manifest.js';
import { DEFAULT_LAYOUT, type BackupManifest } from '../../../src/backup/manifest.js';
import { orderCandidates, selectionSeed } from '../../../src/backup/restore/select.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { backupDeps, flipped, manifestOf, putBackup, recordingContext } from './support.js';

const now = new Date('2024-06-10T12:00:00Z');
const days = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
const manifests = [1, 2, 3, 5, 8, 13].map((n) => manifestOf('db', days(n), Buffer.from(`backup ${n}`)));
const ids = (list: readonly BackupManifest[]) => list.map((manifest) => manifest.id);

describe('orderCandidates', () => {
  it('latest: newest first, whatever order the store listed them in', () => {
    const { ordered, excluded } = orderCandidates([...manifests].reverse(), { rule: 'latest' }, now);
    expect(ids(ordered)).toEqual(ids(manifests));
    expect(excluded).toBe(0);
  });

  it('before: only backups created strictly before the instant, newest first', () => {
    const { ordered, excluded } = orderCandidates(manifests, { rule: 'before', before: new Date(days(3)) }, now);
    expect(ids(ordered)).toEqual(ids(manifests.slice(3)));
    expect(excluded).toBe(3);
  });

  it('random: only the window, in an order fixed by the seed and independent of other backups', () => {
    const criteria = { rule: 'random', windowMs: 7 * 86_400_000, seed: selectionSeed('inc-1', 'pick') } as const;
    const first = orderCandidates(manifests, criteria, now);
    expect(first.ordered).toHaveLength(4);
    expect(first.excluded).toBe(2);
    expect(ids(orderCandidates([...manifests].reverse(), criteria, now).ordered)).toEqual(ids(first.ordered));
    // A new backup takes its own place; the others keep their relative order.
    const newer = manifestOf('db', days(0.5), Buffer.from('new'));
    const withNew = ids(orderCandidates([...manifests, newer], criteria, now).ordered).filter((id) => id !== newer.id);
    expect(withNew).toEqual(ids(first.ordered));
  });

  it('random: different incidents draw different orders', () => {
    const orders = new Set(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((incident) => {
        const seed = selectionSeed(incident, 'pick');
        return ids(orderCandidates(manifests, { rule: 'random', seed }, now).ordered).join();
      }),
    );
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('backup.select', () => {
  let scratch: string;
  let store: BlobStore;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-select-'));
    store = await createFsStore({ dir: scratch });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('chooses the latest, skipping and reporting a manifest that does not parse', async () => {
    await putBackup(store, 'app', days(2));
    const newest = await putBackup(store, 'app', days(1));
    await store.put(manifestKey(DEFAULT_LAYOUT, 'app', '20240610T000000000Z-deadbeef'), Buffer.from('{"version":1}'));
    await store.put(manifestKey(DEFAULT_LAYOUT, 'app', '20240610T010000000Z-cafecafe'), Buffer.from('not json'));
    const { ctx } = recordingContext();
    const result = await backupSelectAction(backupDeps(store, now)).execute({ source: 'app', rule: 'latest' }, ctx);
    const output = result.output as Record<string, unknown>;
    expect(output.chosen).toMatchObject({ id: newest.id, sha256: newest.sha256, size: newest.size });
    expect(output.verified).toBe(false);
    expect(output.ageMs).toBe(86_400_000);
    expect(output.unreadable).toEqual([
      {
        key: expect.stringContaining('deadbeef') as string,
        reason: expect.stringContaining('does not parse') as string,
      },
      { key: expect.stringContaining('cafecafe') as string, reason: expect.stringContaining('not JSON') as string },
    ]);
    expect(result.note).toContain(`Selected backup ${newest.id} of app by rule latest`);
    expect(result.note).toContain('Skipped 2 unreadable manifest(s).');
  });

  it('refuses a manifest stored under another backup id', async () => {
    const real = await putBackup(store, 'copied', days(4));
    await store.put(
      manifestKey(DEFAULT_LAYOUT, 'copied', '20240609T000000000Z-00000000'),
      Buffer.from(JSON.stringify(real)),
    );
    const { ctx } = recordingContext();
    const result = await backupSelectAction(backupDeps(store, now)).execute({ source: 'copied', rule: 'latest' }, ctx);
    const output = result.output as { chosen: { id: string }; unreadable: { reason: string }[] };
    expect(output.chosen.id).toBe(real.id);
    expect(output.unreadable[0]?.reason).toContain(`claims backup ${real.id}`);
  });

  it('walks back from the newest backup before the compromise to the newest that verifies', async () => {
    const good = await putBackup(store, 'shop', '2024-06-01T02:00:00Z');
    const data = Buffer.from('x'.repeat(10_000));
    const corrupt = await putBackup(store, 'shop', '2024-06-02T02:00:00Z', { data, stored: flipped(data, 5_000) });
    const gone = await putBackup(store, 'shop', '2024-06-03T02:00:00Z');
    await store.delete(gone.key);
    await putBackup(store, 'shop', '2024-06-05T02:00:00Z'); // after the compromise: never a candidate
    const { ctx, beats } = recordingContext();
    const input = {
      source: 'shop',
      rule: 'before',
      before: '2024-06-04T10:00:00Z',
      margin: '6h',
      verify: true,
    } as const;
    const result = await backupSelectAction(backupDeps(store, now)).execute(input, ctx);
    const output = result.output as Record<string, unknown> & { rejected: { id: string; reason: string }[] };
    expect((output.chosen as { id: string }).id).toBe(good.id);
    expect(output.verified).toBe(true);
    expect(output.rejected.map((rejection) => rejection.id)).toEqual([gone.id, corrupt.id]);
    expect(output.rejected[0]?.reason).toContain('missing');
    expect(output.rejected[1]?.reason).toContain(`the manifest says sha256 ${corrupt.sha256}`);
    expect(output.excluded).toBe(1);
    expect(output.cutoff).toBe('2024-06-04T04:00:00.000Z');
    expect(output.dataLossMs).toBe(Date.parse('2024-06-04T10:00:00Z') - Date.parse('2024-06-01T02:00:00Z'));
    expect(result.note).toContain('Data loss: 3d 8h of changes before 2024-06-04T10:00:00.000Z.');
    expect(result.note).toContain(`Rejected ${corrupt.id}:`);
    // Each rejection was heartbeated, so a retry would not verify those again.
    expect(beats.at(-1)).toMatchObject({ kind: 'backup.select', rejected: [{ id: gone.id }, { id: corrupt.id }] });
  });

  it('on a retry, skips the candidates an earlier attempt rejected', async () => {
    const older = await putBackup(store, 'retry', '2024-06-01T00:00:00Z');
    const newer = await putBackup(store, 'retry', '2024-06-02T00:00:00Z');
    const resumeFrom = {
      kind: 'backup.select',
      rejected: [{ id: newer.id, createdAt: newer.createdAt, reason: 'corrupt' }],
    };
    const { ctx } = recordingContext({ resumeFrom });
    const input = { source: 'retry', rule: 'latest', verify: true } as const;
    const output = (await backupSelectAction(backupDeps(store, now)).execute(input, ctx)).output as Record<
      string,
      unknown
    >;
    expect((output.chosen as { id: string }).id).toBe(older.id);
    expect(output.rejected).toEqual(resumeFrom.rejected);
  });

  it('random: records the seed and picks the same backup on a retry of the same step', async () => {
    for (const n of [1, 2, 3, 4, 5, 6]) await putBackup(store, 'rand', days(n));
    await putBackup(store, 'rand', days(30));
    const pick = async (incidentId: string) => {
      const { ctx } = recordingContext({ incidentId, stepId: 'pick' });
      const input = { source: 'rand', rule: 'random', window: '7d' } as const;
      return (await backupSelectAction(backupDeps(store, now)).execute(input, ctx)).output as Record<string, unknown>;
    };
    const first = await pick('inc-42');
    const again = await pick('inc-42');
    expect(first.seed).toBe(selectionSeed('inc-42', 'pick'));
    expect(again.chosen).toEqual(first.chosen);
    expect(first.candidates).toBe(6);
    expect(first.excluded).toBe(1);
  });

  it('fails with NOT_FOUND when nothing qualifies, or when no candidate verifies', async () => {
    await putBackup(store, 'late', '2024-06-09T00:00:00Z');
    const { ctx } = recordingContext();
    const action = backupSelectAction(backupDeps(store, now));
    const none = await action
      .execute({ source: 'late', rule: 'before', before: '2024-06-01T00:00:00Z' }, ctx)
      .catch((error: unknown) => error);
    expect(none).toBeInstanceOf(FirebreakError);
    expect((none as FirebreakError).code).toBe(ErrorCode.NotFound);
    expect((none as FirebreakError).message).toContain('was created before 2024-06-01T00:00:00.000Z');

    const data = Buffer.from('bad');
    await putBackup(store, 'bad', days(1), { data, stored: flipped(data, 0) });
    const failed = await action
      .execute({ source: 'bad', rule: 'latest', verify: true }, ctx)
      .catch((error: unknown) => error);
    expect((failed as FirebreakError).code).toBe(ErrorCode.NotFound);
    expect((failed as FirebreakError).message).toContain('none of the 1 candidate backups verified');
    expect(
      (await action.execute({ source: 'empty', rule: 'latest' }, ctx).catch((e: unknown) => e)) as Error,
    ).toMatchObject({
      message: 'source empty has no readable backups',
    });
  });
});
