/**
 * One corruption, one error: a backup object with a bad segment fails verification (verifyBackup) and
 * staging (stageBackup) with the same BACKUP_CORRUPT message and details, since both check segments with
 * src/backup/integrity/segment-check.ts. The filesystem store is real.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBackup } from '../../../src/backup/integrity/verify.js';
import { stageBackup } from '../../../src/backup/restore/staging.js';
import type { BackupManifest } from '../../../src/backup/manifest.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { rejection } from '../../unit/actions/support.js';
import { backupDeps, flipped, putBackup } from '../../unit/backup/support.js';

const SEGMENT = 64 * 1024;

let scratch: string;
let store: BlobStore;
let manifest: BackupManifest;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-segment-check-'));
  store = await createFsStore({ dir: path.join(scratch, 'blobs') });
  const data = randomBytes(5 * SEGMENT + 100);
  manifest = await putBackup(store, 'app', '2024-06-01T03:00:00Z', {
    data,
    stored: flipped(data, 3 * SEGMENT + 7),
    segmentBytes: SEGMENT,
  });
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('a corrupt segment', () => {
  it('gets the same BACKUP_CORRUPT message and details from verification and from staging', async () => {
    const verifying = await rejection(verifyBackup(store, manifest));
    const deps = { ...backupDeps(store), restore: { directory: scratch, staging: path.join(scratch, 'staging') } };
    const staging = await rejection(stageBackup(deps, manifest));
    expect(verifying.code).toBe(ErrorCode.BackupCorrupt);
    expect(staging.code).toBe(ErrorCode.BackupCorrupt);
    expect(verifying.message).toMatch(
      new RegExp(`is corrupt: segment 3 of 6 \\(bytes ${3 * SEGMENT}-${4 * SEGMENT - 1}\\) of .* has sha256 [0-9a-f]{64}`),
    );
    expect(staging.message).toBe(verifying.message);
    expect(staging).toBeInstanceOf(FirebreakError);
    expect(staging.details).toEqual(verifying.details);
    expect(staging.details).toMatchObject({ segment: 3, segments: 6 });
  });
});
