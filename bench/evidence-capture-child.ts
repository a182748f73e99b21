/**
 * One measurement of bench/evidence-capture, in a fresh process so that its peak RSS is its own: either
 * `capture` of the `filesystem` artefact through the docker provider into the evidence store (custody
 * ledger included), or the floor: the daemon's `export` stream of the same container, hashed with
 * node:crypto on its way into the same blob store's `put`, with no Firebreak code in between. The blob is
 * deleted after the clock stops, so a run does not fill the disk. Takes its job as JSON in
 * EVIDENCE_BENCH_JOB and answers with one IPC message.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { createSqlEvidenceStore } from '../src/evidence/open.js';
import { createDockerProvider } from '../src/infra/docker/provider.js';
import type { EvidenceSink } from '../src/infra/types.js';
import { createPgClient } from '../src/postmortems/store/pg-client.js';
import { createSecretResolver } from '../src/secrets/resolver.js';
import { storeOf, type BenchTarget } from './drill-throughput-store.js';

/** What to measure. */
export interface CaptureJob {
  mode: 'capture' | 'floor';
  target: BenchTarget;
  /** The daemon's unix socket. */
  socket: string;
  containerId: string;
  /** The custody ledger's PostgreSQL URL. */
  ledgerUrl: string;
}

/** What one measurement found. */
export interface CaptureMeasurement {
  bytes: number;
  ms: number;
  sha256: string;
  /** Peak resident set of this process (VmHWM), the highest RSS sampled every 50 ms during the transfer, and RSS before it. */
  peakRssBytes: number;
  sampledPeakRssBytes: number;
  baselineRssBytes: number;
}

function vmHwmBytes(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

interface Transfer {
  bytes: number;
  sha256: string;
  /** Removes what the transfer stored (after the clock stops). */
  remove(): Promise<void>;
}

/** Firebreak's path: inventory pins the container, capture streams its export into the evidence store. */
async function capture(job: CaptureJob): Promise<Transfer> {
  const blobs = await storeOf(job.target);
  const evidence = await createSqlEvidenceStore(blobs, createPgClient(job.ledgerUrl, { label: 'evidence ledger' }));
  const provider = createDockerProvider({
    name: 'bench',
    connection: { host: `unix://${job.socket}`, timeoutMs: 60_000 },
    secrets: createSecretResolver({ env: {}, baseDir: '/' }),
  });
  const [target] = (await provider.inventory({ id: job.containerId })).targets;
  if (target === undefined) throw new Error(`container ${job.containerId} is gone`);
  const store = evidence.sink({
    incidentId: `bench-${Date.now()}`,
    target: { id: target.id, name: target.name },
    capturedBy: { stepId: 'capture', worker: 'bench' },
  });
  // The provider names artefacts `<target name>/<file>` (the port's convention) and the evidence store takes
  // a bare `[a-z0-9-]` name (it puts the incident and target in the key itself): nothing on main maps one to
  // the other yet, so the bench does, by name only; the body passes through untouched.
  const sink: EvidenceSink = {
    write: (artefact, body, meta) => store.write(path.basename(artefact).replace(/\..*$/, ''), body, meta),
  };
  const result = await provider.capture({ target, artefacts: ['filesystem'], sink });
  const [stored] = result.artefacts;
  if (stored === undefined) throw new Error('capture stored nothing');
  return {
    bytes: stored.size,
    sha256: stored.sha256,
    async remove() {
      await blobs.delete(stored.location);
      await evidence.close();
    },
  };
}

/** The floor: the daemon's export stream, hashed while it passes, into the same blob store's put. */
async function floor(job: CaptureJob): Promise<Transfer> {
  const blobs = await storeOf(job.target);
  const docker = new Docker({ socketPath: job.socket });
  const stream = (await docker.getContainer(job.containerId).export()) as Readable;
  const hash = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const key = `floor/${job.containerId}-${Date.now()}.tar`;
  await blobs.put(key, stream.pipe(hashing), { contentType: 'application/x-tar' });
  return { bytes, sha256: hash.digest('hex'), remove: () => blobs.delete(key) };
}

const job = JSON.parse(process.env.EVIDENCE_BENCH_JOB ?? '{}') as CaptureJob;
const baselineRssBytes = process.memoryUsage().rss;
let sampledPeakRssBytes = baselineRssBytes;
const sampler = setInterval(() => {
  sampledPeakRssBytes = Math.max(sampledPeakRssBytes, process.memoryUsage().rss);
}, 50);
const started = performance.now();
const transfer = job.mode === 'capture' ? await capture(job) : await floor(job);
const ms = performance.now() - started;
clearInterval(sampler);
const peakRssBytes = vmHwmBytes();
await transfer.remove();
const result: CaptureMeasurement = {
  bytes: transfer.bytes,
  sha256: transfer.sha256,
  ms,
  peakRssBytes,
  sampledPeakRssBytes,
  baselineRssBytes,
};
process.send?.(result, () => process.exit(0));
