/**
 * Backup verification against the filesystem store and a real S3 server (SeaweedFS): a good object
 * verifies, a flipped byte fails with both digests named, and an attempt stopped part-way is resumed by a
 * retry that reads only the rest of the object (the bytes the store served are counted).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVerifyAction } from '../../../src/actions/backup/verify.js';
import { HashCheckpoints } from '../../../src/backup/integrity/hash-checkpoints.js';
import { verifyBackup, type VerifyProgress } from '../../../src/backup/integrity/verify.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { createS3Store } from '../../../src/storage/s3-store.js';
import { seaweedStoreOptions, startSeaweedfs, type TestSeaweedfs } from '../../../harness/seaweedfs.js';
import { backupDeps, flipped, putBackup, recordingContext } from '../../unit/backup/support.js';

/** A store that counts the bytes its `get` streams deliver. */
function counting(store: BlobStore): { store: BlobStore; served: () => number; reset: () => void } {
  let served = 0;
  const wrapped: BlobStore = {
    ...store,
    list: (prefix) => store.list(prefix),
    async get(key, opts) {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          served += chunk.length;
          done(null, chunk);
        },
      });
      // pipeline: destroying the counter (an aborted verification) also closes the store's stream.
      return pipeline(await store.get(key, opts), counter, () => undefined);
    },
  };
  return { store: wrapped, served: () => served, reset: () => (served = 0) };
}

async function failure(promise: Promise<unknown>): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return error as FirebreakError;
}

function runVerifyContract(label: string, getStore: () => BlobStore): void {
  describe(`backup verification on ${label}`, () => {
    const MiB = 1024 * 1024;

    it('verifies a good object through backup.verify, with a note and the bytes read', async () => {
      const store = getStore();
      const data = randomBytes(3 * MiB + 17);
      const manifest = await putBackup(store, 'good', '2024-06-01T00:00:00Z', { data });
      const { ctx } = recordingContext({ stepId: 'verify' });
      const result = await backupVerifyAction(backupDeps(store)).execute({ source: 'good', backup: manifest.id }, ctx);
      expect(result.output).toMatchObject({
        verified: true,
        sha256: manifest.sha256,
        size: data.length,
        bytesRead: data.length,
      });
      expect(result.note).toContain(`Verified backup ${manifest.id} of good`);
    });

    it('fails a flipped byte with BACKUP_CORRUPT naming both digests and sizes', async () => {
      const store = getStore();
      const data = randomBytes(2 * MiB);
      const manifest = await putBackup(store, 'flip', '2024-06-01T00:00:00Z', { data, stored: flipped(data, MiB + 3) });
      const { ctx } = recordingContext({ stepId: 'verify' });
      const error = await failure(
        backupVerifyAction(backupDeps(store)).execute({ source: 'flip', backup: manifest.id }, ctx),
      );
      expect(error.code).toBe(ErrorCode.BackupCorrupt);
      const actual = (error.details as { actual: { sha256: string } }).actual.sha256;
      expect(actual).toMatch(/^[0-9a-f]{64}$/);
      expect(actual).not.toBe(manifest.sha256);
      expect(error.message).toContain(`sha256 ${actual} over ${data.length} bytes`);
      expect(error.message).toContain(`the manifest says sha256 ${manifest.sha256} over ${data.length} bytes`);
    });

    it('fails a truncated object on its size without reading it', async () => {
      const store = getStore();
      const data = randomBytes(MiB);
      const manifest = await putBackup(store, 'short', '2024-06-01T00:00:00Z', {
        data,
        stored: data.subarray(0, MiB - 1),
      });
      const error = await failure(verifyBackup(store, manifest));
      expect(error.code).toBe(ErrorCode.BackupCorrupt);
      expect(error.message).toContain(`is ${MiB - 1} bytes, the manifest says ${MiB} bytes`);
    });

    it('resumes a stopped attempt from its last checkpoint, reading only the rest', async () => {
      const { store, served, reset } = counting(getStore());
      const data = randomBytes(6 * MiB + 1234);
      const manifest = await putBackup(store, 'resume', '2024-06-01T00:00:00Z', { data });
      const checkpoints = new HashCheckpoints();
      const controller = new AbortController();
      let last: VerifyProgress | undefined;
      const first = verifyBackup(store, manifest, {
        checkpoints,
        checkpointBytes: MiB,
        signal: controller.signal,
        progress: (progress) => {
          last = progress;
          if (progress.offset >= 3 * MiB) controller.abort(new FirebreakError(ErrorCode.Transient, 'worker stopped'));
        },
      });
      expect((await failure(first)).message).toBe('worker stopped');
      const offset = last?.offset ?? 0;
      expect(offset).toBeGreaterThanOrEqual(3 * MiB);
      expect(offset).toBeLessThan(data.length);

      reset();
      const second = await verifyBackup(store, manifest, { checkpoints, resumeFrom: last, checkpointBytes: MiB });
      expect(second).toMatchObject({ sha256: manifest.sha256, resumedFrom: offset, bytesRead: data.length - offset });
      expect(served()).toBe(data.length - offset);
      expect(checkpoints.size).toBe(0);
    });

    it('starts over, and still verifies, when the checkpoint is not in this process', async () => {
      const { store, served, reset } = counting(getStore());
      const data = randomBytes(2 * MiB);
      const manifest = await putBackup(store, 'elsewhere', '2024-06-01T00:00:00Z', { data });
      const progress: VerifyProgress = {
        kind: 'backup.verify',
        key: manifest.key,
        size: manifest.size,
        sha256: manifest.sha256,
        offset: MiB,
        checkpoint: '0123456789abcdef0123456789abcdef',
      };
      reset();
      const result = await verifyBackup(store, manifest, { checkpoints: new HashCheckpoints(), resumeFrom: progress });
      expect(result.resumedFrom).toBe(0);
      expect(result.resumeSkipped).toContain('no hash state for offset 1048576 in this worker process');
      expect(served()).toBe(data.length);
    });

    it('a resumed attempt still catches corruption in the part it reads', async () => {
      const store = getStore();
      const data = randomBytes(4 * MiB);
      const manifest = await putBackup(store, 'late-flip', '2024-06-01T00:00:00Z', { data });
      const checkpoints = new HashCheckpoints();
      const controller = new AbortController();
      let last: VerifyProgress | undefined;
      const first = verifyBackup(store, manifest, {
        checkpoints,
        checkpointBytes: MiB,
        signal: controller.signal,
        progress: (progress) => {
          last = progress;
          controller.abort(new FirebreakError(ErrorCode.Transient, 'stopped'));
        },
      });
      await failure(first);
      await store.put(manifest.key, flipped(data, 4 * MiB - 1));
      const error = await failure(verifyBackup(store, manifest, { checkpoints, resumeFrom: last }));
      expect(error.code).toBe(ErrorCode.BackupCorrupt);
    });

    it('verifies a manifest with a hash list segment by segment, heartbeating each', async () => {
      const store = getStore();
      const data = randomBytes(3 * MiB + 17);
      const manifest = await putBackup(store, 'segments', '2024-06-01T00:00:00Z', { data, segmentBytes: MiB });
      expect(manifest.segments?.sha256).toHaveLength(4);
      const { ctx, beats } = recordingContext({ stepId: 'verify' });
      const result = await backupVerifyAction(backupDeps(store)).execute(
        { source: 'segments', backup: manifest.id },
        ctx,
      );
      expect(result.output).toMatchObject({ verified: true, sha256: manifest.sha256, bytesRead: data.length });
      expect(result.note).toContain('Checked as 4 segments of 1048576 bytes');
      expect(beats.map((beat) => (beat as { segmentsVerified?: number }).segmentsVerified)).toEqual([1, 2, 3, 4]);
      expect(beats.at(-1)).toMatchObject({ segmentBytes: MiB, segmentsVerified: 4, offset: data.length });
    });

    it('fails a flipped byte in a segment with BACKUP_CORRUPT naming that segment', async () => {
      const store = getStore();
      const data = randomBytes(4 * MiB + 5);
      const manifest = await putBackup(store, 'seg-flip', '2024-06-01T00:00:00Z', {
        data,
        stored: flipped(data, 2 * MiB + 3),
        segmentBytes: MiB,
      });
      const verified: number[] = [];
      const error = await failure(
        verifyBackup(store, manifest, {
          progress: (progress) => {
            if ('segmentsVerified' in progress) verified.push(progress.segmentsVerified);
          },
        }),
      );
      expect(error.code).toBe(ErrorCode.BackupCorrupt);
      expect(error.message).toContain(`segment 2 of 5 (bytes ${2 * MiB}-${3 * MiB - 1})`);
      expect(error.message).toContain(`the manifest says sha256 ${manifest.segments?.sha256[2]}`);
      expect(error.details).toMatchObject({ segment: 2, range: { start: 2 * MiB, end: 3 * MiB } });
      expect(verified).toEqual([1, 2]);
    });

    it('resumes from the segments verified in another process, reading only the rest', async () => {
      const { store, served, reset } = counting(getStore());
      const data = randomBytes(5 * MiB + 99);
      const manifest = await putBackup(store, 'seg-resume', '2024-06-01T00:00:00Z', { data, segmentBytes: MiB });
      const controller = new AbortController();
      let last: VerifyProgress | undefined;
      const first = verifyBackup(store, manifest, {
        checkpoints: new HashCheckpoints(),
        signal: controller.signal,
        progress: (progress) => {
          if (controller.signal.aborted) return;
          last = progress;
          if ('segmentsVerified' in progress && progress.segmentsVerified === 2) {
            controller.abort(new FirebreakError(ErrorCode.Transient, 'worker died'));
          }
        },
      });
      expect((await failure(first)).message).toBe('worker died');
      expect(last).toMatchObject({ segmentsVerified: 2, offset: 2 * MiB });

      // A fresh registry: the hash snapshots of the first attempt are gone, as in a new worker process.
      reset();
      const checkpoints = new HashCheckpoints();
      const second = await verifyBackup(store, manifest, { checkpoints, resumeFrom: last });
      expect(second).toMatchObject({
        sha256: manifest.sha256,
        resumedFrom: 2 * MiB,
        bytesRead: data.length - 2 * MiB,
        segments: { size: MiB, count: 6 },
      });
      expect(second.resumeSkipped).toBeUndefined();
      expect(served()).toBe(data.length - 2 * MiB);
      expect(checkpoints.size).toBe(0);
    });

    it('a segment resume still catches corruption after the resumed offset', async () => {
      const store = getStore();
      const data = randomBytes(3 * MiB);
      const manifest = await putBackup(store, 'seg-late', '2024-06-01T00:00:00Z', {
        data,
        stored: flipped(data, 3 * MiB - 1),
        segmentBytes: MiB,
      });
      const resumeFrom: VerifyProgress = {
        kind: 'backup.verify',
        key: manifest.key,
        size: manifest.size,
        sha256: manifest.sha256,
        segmentBytes: MiB,
        segmentsVerified: 2,
        offset: 2 * MiB,
      };
      const error = await failure(verifyBackup(store, manifest, { resumeFrom }));
      expect(error.code).toBe(ErrorCode.BackupCorrupt);
      expect(error.message).toContain('segment 2 of 3');
    });
  });
}

let scratch: string;
let fsStore: BlobStore;
let seaweed: TestSeaweedfs | undefined;
let s3Store: BlobStore;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-verify-'));
  fsStore = await createFsStore({ dir: scratch });
  seaweed = await startSeaweedfs();
  s3Store = createS3Store(seaweedStoreOptions(seaweed));
}, 120_000);

afterAll(async () => {
  await seaweed?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 30_000);

runVerifyContract('the filesystem store', () => fsStore);
runVerifyContract('S3 (SeaweedFS)', () => s3Store);
