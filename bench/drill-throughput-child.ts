/**
 * One measurement of bench/drill-throughput, in a fresh process so that its peak RSS is its own: either
 * `backup.verify` end to end (the action reads the manifest and verifies the object through the store),
 * or the floor (one plain GET of the same bytes, hashed with node:crypto, no Firebreak code in the path).
 * Takes its job as JSON in DRILL_BENCH_JOB and answers with one IPC message.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createActionContext } from '../src/actions/context.js';
import { backupVerifyAction } from '../src/actions/backup/verify.js';
import { DEFAULT_LAYOUT } from '../src/backup/manifest.js';
import { createSecretResolver } from '../src/secrets/resolver.js';
import { storeOf, type BenchTarget } from './drill-throughput-store.js';

/** What to measure. */
export interface BenchJob {
  mode: 'verify' | 'floor';
  target: BenchTarget;
  source: string;
  backupId: string;
  key: string;
  size: number;
}

/** What one measurement found. */
export interface BenchResult {
  bytes: number;
  ms: number;
  sha256: string;
  /** Peak resident set of this process (VmHWM), and its RSS before the measurement started. */
  peakRssBytes: number;
  baselineRssBytes: number;
}

function vmHwmBytes(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

async function verify(job: BenchJob): Promise<{ bytes: number; sha256: string }> {
  const store = await storeOf(job.target);
  const secrets = createSecretResolver({ env: {}, baseDir: '/' });
  const deps = {
    store,
    layout: DEFAULT_LAYOUT,
    postgres: {},
    directories: {},
    restore: { directory: '/tmp', staging: '/tmp' },
    secrets,
  };
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const { ctx } = createActionContext({
    incidentId: 'bench',
    stepId: 'verify',
    signal: new AbortController().signal,
    logger: quiet,
  });
  const result = await backupVerifyAction(deps).execute({ source: job.source, backup: job.backupId }, ctx);
  const output = result.output as { bytesRead: number; sha256: string };
  return { bytes: output.bytesRead, sha256: output.sha256 };
}

/** The floor: the bytes straight from the file or one ranged S3 GET, into node:crypto. */
async function floor(job: BenchJob): Promise<{ bytes: number; sha256: string }> {
  let body: Readable;
  if (job.target.type === 'fs') {
    body = createReadStream(path.join(job.target.dir, 'objects', job.key), { highWaterMark: 1024 * 1024 });
  } else {
    const { endpoint, region, bucket, accessKeyId, secretAccessKey } = job.target;
    const client = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    const response = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: job.key, Range: `bytes=0-${job.size - 1}` }),
    );
    body = response.Body as Readable;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

const job = JSON.parse(process.env.DRILL_BENCH_JOB ?? '{}') as BenchJob;
const baselineRssBytes = process.memoryUsage().rss;
const started = performance.now();
const measured = job.mode === 'verify' ? await verify(job) : await floor(job);
const ms = performance.now() - started;
const result: BenchResult = { ...measured, ms, peakRssBytes: vmHwmBytes(), baselineRssBytes };
process.send?.(result, () => process.exit(0));
