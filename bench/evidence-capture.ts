/**
 * Evidence capture throughput: a container whose filesystem holds 1 GiB written by busybox `dd` from
 * /dev/urandom (on the test harness's own Docker Engine), captured through the docker provider's `capture`
 * (the `filesystem` artefact: `docker export`) into the evidence store, custody ledger on PostgreSQL
 * included, beside the floor measured in the same run: the same export stream piped through node:crypto
 * SHA-256 into the same blob store's `put`, with no Firebreak code in between. Each measurement runs in a
 * fresh process (evidence-capture-child.ts), so its peak RSS (VmHWM) is its own; each is taken twice,
 * alternating, and the faster kept. First over a filesystem blob store, then over S3 (SeaweedFS, when
 * .tools/bin/weed exists). Targets (issue 14): capture at least 0.8x the floor's MiB/s, peak RSS under
 * 256 MiB. Prints readable figures, then one JSON line.
 *
 *   npm run bench:evidence-capture
 *   EVIDENCE_BENCH_SKIP_S3=1   skip the S3 part
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerMissing, startDocker } from '../harness/docker.js';
import { startPostgres } from '../harness/postgres.js';
import { startSeaweedfs } from '../harness/seaweedfs.js';
import type { CaptureJob, CaptureMeasurement } from './evidence-capture-child.js';
import type { BenchTarget } from './drill-throughput-store.js';

const MiB = 1024 ** 2;
const FILL_MIB = 1024;
const projectRoot = path.resolve(import.meta.dirname, '..');

const missing = dockerMissing();
if (missing !== undefined) throw new Error(`bench:evidence-capture needs the Docker harness: ${missing}`);

function measure(job: CaptureJob): Promise<CaptureMeasurement> {
  const child = fork(path.join(import.meta.dirname, 'evidence-capture-child.ts'), [], {
    // The AWS SDK warns about Node 20 on every import; the figures are what this run is for.
    env: { ...process.env, NODE_NO_WARNINGS: '1', EVIDENCE_BENCH_JOB: JSON.stringify(job) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as CaptureMeasurement));
    child.once('exit', (code) => reject(new Error(`the measuring process exited with code ${code ?? 'null'}`)));
  });
}

/** Figures of one store. */
interface Pair {
  captureMiBs: number;
  floorMiBs: number;
  ratio: number;
  capturePeakRssMiB: number;
  /** The highest RSS sampled every 50 ms while capture streamed. */
  captureSampledPeakRssMiB: number;
  /** The capturing process's RSS before it started (Node, tsx, dockerode, pg and the AWS SDK loaded). */
  captureStartRssMiB: number;
  floorPeakRssMiB: number;
  /** Bytes of the tar (the container's whole filesystem: the 1 GiB file and busybox). */
  bytes: number;
  /** Whether capture and floor stored the same bytes (the export of a stopped container is the same each time). */
  sameSha256: boolean;
}

const rate = (result: CaptureMeasurement) => result.bytes / MiB / (result.ms / 1000);
const mib = (bytes: number) => Math.round(bytes / MiB);

/** Floor and capture, alternating, `rounds` times each; keeps each one's best rate and worst peak RSS. */
async function pair(base: Omit<CaptureJob, 'mode'>, rounds = 2): Promise<Pair> {
  const floors: CaptureMeasurement[] = [];
  const captures: CaptureMeasurement[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await measure({ ...base, mode: 'floor' }));
    captures.push(await measure({ ...base, mode: 'capture' }));
  }
  const all = [...floors, ...captures];
  if (all.some((result) => result.bytes < FILL_MIB * MiB))
    throw new Error('a measurement stored less than the 1 GiB written');
  const captureMiBs = Math.max(...captures.map(rate));
  const floorMiBs = Math.max(...floors.map(rate));
  return {
    captureMiBs: Math.round(captureMiBs),
    floorMiBs: Math.round(floorMiBs),
    ratio: Math.round((captureMiBs / floorMiBs) * 100) / 100,
    capturePeakRssMiB: mib(Math.max(...captures.map((result) => result.peakRssBytes))),
    captureSampledPeakRssMiB: mib(Math.max(...captures.map((result) => result.sampledPeakRssBytes))),
    captureStartRssMiB: mib(Math.max(...captures.map((result) => result.baselineRssBytes))),
    floorPeakRssMiB: mib(Math.max(...floors.map((result) => result.peakRssBytes))),
    bytes: all[0]!.bytes,
    sameSha256: all.every((result) => result.sha256 === all[0]!.sha256),
  };
}

function report(label: string, figures: Pair): void {
  console.log(`${label} (${(figures.bytes / MiB).toFixed(1)} MiB tar)`);
  console.log(
    `  capture (docker provider -> evidence store)  ${String(figures.captureMiBs).padStart(5)} MiB/s   peak RSS ${figures.capturePeakRssMiB} MiB (sampled ${figures.captureSampledPeakRssMiB} MiB; ${figures.captureStartRssMiB} MiB before it started)`,
  );
  console.log(
    `  floor (export -> SHA-256 -> blob store put)  ${String(figures.floorMiBs).padStart(5)} MiB/s   peak RSS ${figures.floorPeakRssMiB} MiB`,
  );
  console.log(
    `  ratio ${figures.ratio} (target >= 0.8); capture peak RSS target < 256 MiB; same bytes stored: ${figures.sameSha256 ? 'yes' : 'no'}`,
  );
}

const scratch = mkdtempSync(path.join(tmpdir(), 'bench-evidence-'));
const figures: Record<string, Pair> = {};
const docker = await startDocker();
const postgres = await startPostgres();
try {
  const image = await docker.image('evidence-bench', 'v1');
  const name = `evidence-bench-${Date.now().toString(36)}`;
  console.log(`writing ${FILL_MIB} MiB from /dev/urandom into container ${name} ...`);
  // Runs to completion: the stopped container keeps its filesystem, and its export is the same each time.
  await docker.docker([
    ...['run', '--name', name, '--network', 'none', image.tag],
    ...['busybox', 'dd', 'if=/dev/urandom', 'of=/evidence.bin', 'bs=1048576', `count=${FILL_MIB}`],
  ]);
  const containerId = (await docker.docker(['inspect', '--format', '{{.Id}}', name])).trim();
  const base = { socket: docker.socket, containerId, ledgerUrl: postgres.url };

  const fsTarget: BenchTarget = { type: 'fs', dir: path.join(scratch, 'store') };
  const fs = await pair({ ...base, target: fsTarget });
  report('1 GiB container filesystem, filesystem store', fs);
  figures.fs_1g = fs;

  if (process.env.EVIDENCE_BENCH_SKIP_S3 !== '1' && existsSync(path.join(projectRoot, '.tools', 'bin', 'weed'))) {
    const seaweed = await startSeaweedfs();
    try {
      const s3 = await pair({ ...base, target: { type: 's3', ...seaweed } });
      report('1 GiB container filesystem, S3 (SeaweedFS on loopback)', s3);
      figures.s3_1g = s3;
    } finally {
      await seaweed.stop();
    }
  } else {
    console.log('S3: skipped (EVIDENCE_BENCH_SKIP_S3=1 or no .tools/bin/weed)');
  }
} finally {
  await postgres.stop();
  await docker.stop();
  rmSync(scratch, { recursive: true, force: true });
}
const measured = Object.values(figures);
const targets = {
  ratio_target_met: measured.every((figure) => figure.ratio >= 0.8),
  rss_target_met: measured.every((figure) => figure.capturePeakRssMiB < 256),
};
console.log(JSON.stringify({ ...figures, ...targets }));
