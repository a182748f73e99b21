/** Test helpers for backup selection, verification and drills: backups written straight to a store, contexts. */
import { createHash, randomBytes } from 'node:crypto';
import { createActionContext } from '../../../src/actions/context.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { manifestKey } from '../../../src/backup/manifest.js';
import type { BackupDeps } from '../../../src/backup/deps.js';
import type { DrillRecord } from '../../../src/backup/drills/drill.js';
import { backupKeys, DEFAULT_LAYOUT, type BackupManifest } from '../../../src/backup/manifest.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { memoryLogger } from '../actions/support.js';

/** The id a backup started at `at` gets, with a suffix derived from the time (tests want stable ids). */
export function idAt(at: string): string {
  const stamp = new Date(at).toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${createHash('sha256').update(at).digest('hex').slice(0, 8)}`;
}

/** A manifest for `data`, created at `at`. */
export function manifestOf(source: string, at: string, data: Buffer): BackupManifest {
  const id = idAt(at);
  return {
    version: 1,
    id,
    kind: 'postgres',
    source,
    key: backupKeys(DEFAULT_LAYOUT, 'postgres', source, id).data,
    sha256: createHash('sha256').update(data).digest('hex'),
    size: data.length,
    createdAt: new Date(at).toISOString(),
    finishedAt: new Date(Date.parse(at) + 60_000).toISOString(),
    tools: { pg_dump: '16.4' },
  };
}

/** The hash list of `data` in `size`-byte segments, computed directly (independently of segment-hasher.ts). */
export function segmentsOf(data: Buffer, size: number): { size: number; sha256: string[] } {
  const sha256: string[] = [];
  for (let start = 0; start < data.length; start += size) {
    sha256.push(
      createHash('sha256')
        .update(data.subarray(start, start + size))
        .digest('hex'),
    );
  }
  return { size, sha256 };
}

/** Writes a backup object and its manifest (with a hash list when `segmentBytes` is given); `stored` replaces the object's bytes (a corrupted copy). */
export async function putBackup(
  store: BlobStore,
  source: string,
  at: string,
  options: { data?: Buffer; stored?: Buffer; segmentBytes?: number } = {},
): Promise<BackupManifest> {
  const data = options.data ?? randomBytes(4096);
  const manifest = manifestOf(source, at, data);
  if (options.segmentBytes !== undefined) manifest.segments = segmentsOf(data, options.segmentBytes);
  await store.put(manifest.key, options.stored ?? data);
  await store.put(manifestKey(DEFAULT_LAYOUT, source, manifest.id), Buffer.from(JSON.stringify(manifest)));
  return manifest;
}

/** A copy of `data` with one bit flipped at `offset`. */
export function flipped(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = (copy[offset] ?? 0) ^ 0x01;
  return copy;
}

/** Backup deps over one store, with a fixed clock. */
export function backupDeps(store: BlobStore, now = new Date('2024-06-10T12:00:00Z')): BackupDeps {
  return {
    store,
    layout: DEFAULT_LAYOUT,
    postgres: {},
    directories: {},
    restore: { directory: '/nonexistent', staging: '/nonexistent' },
    secrets: createSecretResolver({ env: {}, baseDir: '/nonexistent' }),
    now: () => now,
  };
}

/** A context for one action call that records its heartbeats; `resumeFrom` as a retry would get it. */
export function recordingContext(
  options: { incidentId?: string; stepId?: string; signal?: AbortSignal; resumeFrom?: unknown } = {},
): { ctx: ActionContext; beats: unknown[] } {
  const beats: unknown[] = [];
  const { ctx } = createActionContext({
    incidentId: options.incidentId ?? 'inc-1',
    stepId: options.stepId ?? 'select',
    signal: options.signal ?? new AbortController().signal,
    logger: memoryLogger().logger,
    heartbeat: (details) => {
      if (details !== undefined) beats.push(details);
    },
    resumeFrom: options.resumeFrom,
  });
  return { ctx, beats };
}

/** A stored drill record of `runbook` started on day `day` of June 2024. */
export function drillRecord(
  runbook: string,
  day: number,
  status: DrillRecord['status'],
  rtoMs: number | null,
): DrillRecord {
  const startedAt = new Date(Date.UTC(2024, 5, day, 2)).toISOString();
  return {
    version: 1,
    runbook,
    incidentId: `drill-${day}`,
    backup: {
      id: `202406${String(day).padStart(2, '0')}T000000000Z-00000000`,
      createdAt: startedAt,
      size: 10,
      sha256: 'a'.repeat(64),
    },
    phases: { restore: rtoMs },
    rtoMs,
    rpoMs: day * 60_000,
    bytes: 10,
    throughputBytesPerS: 0,
    checks: [],
    targets: {},
    status,
    reasons: status === 'passed' ? [] : ['check rows failed: off'],
    startedAt,
    at: startedAt,
  };
}
