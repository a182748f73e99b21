/**
 * Backup verification throughput: a 1 GiB backup object (and its manifest, kept under its own prefix) in
 * a fresh filesystem blob store, verified end to end by `backup.verify`, beside the floor measured in the
 * same run: one plain GET of the same bytes hashed with node:crypto SHA-256 in one process. Each
 * measurement runs in a fresh process (drill-throughput-child.ts), so its peak RSS (VmHWM) is its own;
 * each is taken twice, alternating, and the faster kept (the object sits in the page cache for both).
 * Then the same on S3 (SeaweedFS, when .tools/bin/weed exists), and a 4 GiB object on the filesystem for
 * peak RSS. Prints readable figures, then one JSON line.
 *
 *   npm run bench:drill-throughput
 *   DRILL_BENCH_SKIP_4G=1   skip the 4 GiB object (it is skipped anyway with under 6 GiB free)
 *   DRILL_BENCH_SKIP_S3=1   skip the S3 part
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { backupKeys, DEFAULT_LAYOUT, newBackupId, type BackupManifest } from '../src/backup/manifest.js';
import { manifestKey } from '../src/backup/manifest.js';
import { segmentHasher, type Segments } from '../src/backup/integrity/segment-hasher.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { startSeaweedfs } from '../harness/seaweedfs.js';
import type { BenchJob, BenchResult } from './drill-throughput-child.js';
import { storeOf, type BenchTarget } from './drill-throughput-store.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const SOURCE = 'bench';
const projectRoot = path.resolve(import.meta.dirname, '..');

/** Deterministic, incompressible-looking chunks of 1 MiB: a random pool, each chunk stamped with its index. */
function* chunks(size: number): Generator<Buffer> {
  const pool = randomBytes(16 * MiB);
  for (let offset = 0, index = 0; offset < size; offset += MiB, index++) {
    const length = Math.min(MiB, size - offset);
    const start = (index * 7919 * 64) % (pool.length - MiB);
    const chunk = Buffer.from(pool.subarray(start, start + length));
    if (length >= 8) chunk.writeBigUInt64BE(BigInt(index), 0);
    yield chunk;
  }
}

function manifestFor(id: string, key: string, size: number, sha256: string, segments: Segments): BackupManifest {
  const at = new Date().toISOString();
  return {
    version: 1,
    id,
    kind: 'postgres',
    source: SOURCE,
    key,
    sha256,
    size,
    createdAt: at,
    finishedAt: at,
    tools: {},
    segments,
  };
}

/**
 * Writes a `size`-byte backup object and its manifest through the store's `put`, as backups are written
 * (on S3 a streamed multipart upload in the store's parts); returns the manifest.
 */
async function writeBackup(store: BlobStore, size: number): Promise<BackupManifest> {
  const id = newBackupId(new Date());
  const keys = backupKeys(DEFAULT_LAYOUT, 'postgres', SOURCE, id);
  // As backups are written: the bytes pass a segment hasher on their way in, so the manifest has a hash list.
  const hasher = segmentHasher();
  const put = await store.put(keys.data, Readable.from(chunks(size)).pipe(hasher.stream));
  const manifest = manifestFor(id, keys.data, put.size, put.sha256, hasher.segments());
  await store.put(manifestKey(DEFAULT_LAYOUT, SOURCE, id), Buffer.from(JSON.stringify(manifest)));
  return manifest;
}

function measure(job: BenchJob): Promise<BenchResult> {
  const child = fork(path.join(import.meta.dirname, 'drill-throughput-child.ts'), [], {
    // The AWS SDK warns about Node 20 on every import; the figures are what this run is for.
    env: { ...process.env, NODE_NO_WARNINGS: '1', DRILL_BENCH_JOB: JSON.stringify(job) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as BenchResult));
    child.once('exit', (code) => reject(new Error(`the measuring process exited with code ${code ?? 'null'}`)));
  });
}

/** Figures of one object on one store. */
interface Pair {
  verifyMiBs: number;
  floorMiBs: number;
  ratio: number;
  verifyPeakRssMiB: number;
  /** The verifying process's RSS before it started (Node, tsx and the AWS SDK loaded). */
  verifyStartRssMiB: number;
  floorPeakRssMiB: number;
}

const rate = (result: BenchResult) => result.bytes / MiB / (result.ms / 1000);
const mib = (bytes: number) => Math.round(bytes / MiB);

/** Floor and verify, alternating, `rounds` times each; keeps each one's best rate and worst peak RSS. */
async function pair(target: BenchTarget, manifest: BackupManifest, rounds = 2): Promise<Pair> {
  const base = { target, source: SOURCE, backupId: manifest.id, key: manifest.key, size: manifest.size };
  const floors: BenchResult[] = [];
  const verifies: BenchResult[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await measure({ ...base, mode: 'floor' }));
    verifies.push(await measure({ ...base, mode: 'verify' }));
  }
  for (const result of [...floors, ...verifies]) {
    if (result.sha256 !== manifest.sha256 || result.bytes !== manifest.size)
      throw new Error('a measurement read the wrong bytes');
  }
  const verifyMiBs = Math.max(...verifies.map(rate));
  const floorMiBs = Math.max(...floors.map(rate));
  return {
    verifyMiBs: Math.round(verifyMiBs),
    floorMiBs: Math.round(floorMiBs),
    ratio: Math.round((verifyMiBs / floorMiBs) * 100) / 100,
    verifyPeakRssMiB: mib(Math.max(...verifies.map((result) => result.peakRssBytes))),
    verifyStartRssMiB: mib(Math.max(...verifies.map((result) => result.baselineRssBytes))),
    floorPeakRssMiB: mib(Math.max(...floors.map((result) => result.peakRssBytes))),
  };
}

function report(label: string, figures: Pair): void {
  console.log(`${label}`);
  console.log(
    `  verify (backup.verify)   ${String(figures.verifyMiBs).padStart(5)} MiB/s   peak RSS ${figures.verifyPeakRssMiB} MiB (${figures.verifyStartRssMiB} MiB before it started)`,
  );
  console.log(
    `  floor (GET + SHA-256)    ${String(figures.floorMiBs).padStart(5)} MiB/s   peak RSS ${figures.floorPeakRssMiB} MiB`,
  );
  console.log(`  ratio ${figures.ratio} (target >= 0.8); verify peak RSS target < 256 MiB`);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'bench-drill-'));
const figures: Record<string, Pair> = {};
try {
  const fsTarget: BenchTarget = { type: 'fs', dir: path.join(scratch, 'store') };
  const store = await storeOf(fsTarget);
  const one = await writeBackup(store, GiB);
  const fs1 = await pair(fsTarget, one);
  report('1 GiB backup object, filesystem store', fs1);
  figures.fs_1g = fs1;
  await store.delete(one.key);

  if (process.env.DRILL_BENCH_SKIP_S3 !== '1' && existsSync(path.join(projectRoot, '.tools', 'bin', 'weed'))) {
    const seaweed = await startSeaweedfs();
    try {
      const s3Target: BenchTarget = { type: 's3', ...seaweed };
      const s3 = await pair(s3Target, await writeBackup(await storeOf(s3Target), GiB));
      report('1 GiB backup object, S3 (SeaweedFS on loopback)', s3);
      figures.s3_1g = s3;
    } finally {
      await seaweed.stop();
    }
  } else {
    console.log('S3: skipped (DRILL_BENCH_SKIP_S3=1 or no .tools/bin/weed)');
  }

  const free = statfsSync(scratch);
  const freeGiB = (free.bavail * free.bsize) / GiB;
  if (process.env.DRILL_BENCH_SKIP_4G === '1' || freeGiB < 6) {
    console.log(`4 GiB: skipped (${freeGiB < 6 ? `${freeGiB.toFixed(1)} GiB free` : 'DRILL_BENCH_SKIP_4G=1'})`);
  } else {
    const four = await writeBackup(store, 4 * GiB);
    const fs4 = await pair(fsTarget, four, 1);
    report('4 GiB backup object, filesystem store', fs4);
    figures.fs_4g = fs4;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const oneGiB = [figures.fs_1g, figures.s3_1g].filter((figure) => figure !== undefined);
const targets = {
  ratio_target_met: oneGiB.every((figure) => figure.ratio >= 0.8),
  rss_target_met: Object.values(figures).every((figure) => figure.verifyPeakRssMiB < 256),
};
console.log(JSON.stringify({ ...figures, ...targets }));
