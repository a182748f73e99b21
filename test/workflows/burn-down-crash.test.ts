/**
 * A worker killed (SIGKILL) while `infra.capture` streams a container's filesystem export into the evidence
 * store: at that moment the custody ledger holds no `filesystem` record (the partial export is not
 * evidence) and the `metadata` captured before it re-hashes intact. A second worker on the same task queue
 * retries the step from the heartbeat: metadata is not captured again, the filesystem is captured once, in
 * full, and every record re-hashes to its SHA-256. The workers run in their own processes, sharing with this
 * one the harness's Docker Engine, a filesystem blob store and the ledger on a real PostgreSQL (a killed
 * process would leave an embedded ledger locked).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerMissing, startDocker, type TestDocker } from '../../harness/docker.js';
import { postgresBinDir, startPostgres, type TestPostgres } from '../../harness/postgres.js';
import { createSqlEvidenceStore, type OpenEvidenceStore } from '../../src/evidence/open.js';
import { IncidentClient } from '../../src/incidents/client.js';
import { createPgClient } from '../../src/postmortems/store/pg-client.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { eventually } from '../support/poll.js';
import { compileYaml, projectRoot, startInput } from '../support/temporal.js';

const MiB = 1024 * 1024;
/** Large enough that its export takes seconds on a busy 2-core machine, small enough to write quickly. */
const BULK_MIB = 400;
const BULK = 'opt/app/bulk.bin';
const README = 'opt/app/README';
const NETWORK = 'fb-crash';

function postgresMissing(): string | undefined {
  try {
    postgresBinDir();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const missing = dockerMissing() ?? postgresMissing();

/** SHA-256 (hex) of a stream's bytes. */
async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(dir, relative) : [relative];
  });
}

describe.skipIf(missing !== undefined)(
  `a worker killed during capture${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const taskQueue = `burn-down-crash-${randomUUID()}`;
    const workers: ChildProcess[] = [];
    let docker: TestDocker;
    let postgres: TestPostgres;
    let scratch: string;
    let blobDir: string;
    let evidence: OpenEvidenceStore;
    let connection: Connection;
    let client: Client;
    let incidents: IncidentClient;
    let containerId: string;
    let bulkSha256: string;

    /** Starts a worker process with the docker provider and the shared evidence store; resolves once it polls. */
    async function startWorker(): Promise<ChildProcess> {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(projectRoot, 'test/support/worker-process.ts')],
        {
          cwd: projectRoot,
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: inject('temporalAddress'),
            TASK_QUEUE: taskQueue,
            WORKFLOW_BUNDLE: inject('workflowBundlePath'),
            DOCKER_PROVIDER_HOST: docker.host,
            EVIDENCE_BLOB_DIR: blobDir,
            EVIDENCE_LEDGER_URL: postgres.url,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      workers.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('worker ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
      });
      return child;
    }

    beforeAll(async () => {
      [docker, postgres] = await Promise.all([startDocker(), startPostgres()]);
      scratch = mkdtempSync(path.join(tmpdir(), 'fb-burn-crash-'));
      blobDir = path.join(scratch, 'evidence');
      await docker.docker(['network', 'create', '--internal', '--subnet', '192.0.2.0/24', NETWORK]);
      const image = await docker.image('crash', 'v1', { [README]: 'crash v1\n' });
      containerId = (
        await docker.docker(['run', '-d', '--name', 'crash-1', '--network', NETWORK, image.ref, 'sleep', '7777'])
      ).trim();
      // Random bytes, so the export cannot be faster than its size (nothing on the way compresses).
      await docker.docker([
        'exec',
        containerId,
        'busybox',
        'dd',
        'if=/dev/urandom',
        `of=/${BULK}`,
        `bs=${MiB}`,
        `count=${BULK_MIB}`,
      ]);
      bulkSha256 = (await docker.docker(['exec', containerId, 'sha256sum', `/${BULK}`])).split(' ')[0]!;
      // This process's view of the store the workers write: the same directory and ledger.
      evidence = await createSqlEvidenceStore(
        await createFsStore({ dir: blobDir }),
        createPgClient(postgres.url, { label: 'evidence ledger' }),
      );
      connection = await Connection.connect({ address: inject('temporalAddress') });
      client = new Client({ connection });
      incidents = new IncidentClient(client, taskQueue);
    }, 180_000);

    afterAll(async () => {
      for (const worker of workers) worker.kill('SIGKILL');
      await connection?.close();
      await evidence?.close();
      await postgres?.stop();
      await docker?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }, 120_000);

    /** The capture step's heartbeat as the server holds it: the artefacts its attempt reported stored. */
    async function heartbeatedArtefacts(incidentId: string): Promise<string[] | undefined> {
      const description = await client.workflow.getHandle(incidentId).describe();
      for (const pending of description.raw.pendingActivities ?? []) {
        const payload = pending.heartbeatDetails?.payloads?.[0];
        if (payload === undefined) continue;
        const details = defaultPayloadConverter.fromPayload<{
          current?: { partial?: { artefacts?: { artefact: string }[] } };
        }>(payload);
        const stored = details?.current?.partial?.artefacts;
        if (stored !== undefined) return stored.map((artefact) => artefact.artefact);
      }
      return undefined;
    }

    /** The staged (unfinished) writes in the filesystem store's tmp/, with their sizes. */
    const staged = () =>
      readdirSync(path.join(blobDir, 'tmp'))
        .filter((name) => name.endsWith('.data'))
        .map((name) => ({ name, size: statSync(path.join(blobDir, 'tmp', name)).size }));

    it('counts no partial artefact as evidence, and the retry resumes after what was stored', async () => {
      const plan = compileYaml(`
apiVersion: firebreak/v1
id: crash-capture
title: Capture, interrupted
version: 1
severity: sev4
roles:
  commander: {}
steps:
  - { id: pin, title: Pin, action: infra.inventory, with: { provider: docker, select: { id: "${containerId}" } } }
  - id: capture
    title: Capture
    action: infra.capture
    with: { provider: docker, targets: "\${{ steps.pin.output.targets }}", artefacts: [metadata, filesystem] }
    retry: { maxAttempts: 5, initialInterval: 1s }
    timeout: 5m
`);
      const first = await startWorker();
      const { incidentId } = await incidents.trigger(startInput(plan));

      // Kill once the server holds the heartbeat saying metadata is stored and the export is under way.
      await eventually(
        async () => {
          const stored = await heartbeatedArtefacts(incidentId).catch(() => undefined);
          return stored?.includes('metadata') === true && staged().some((file) => file.size >= 16 * MiB)
            ? true
            : undefined;
        },
        {
          timeoutMs: 60_000,
          intervalMs: 50,
          what: () => `the export never got under way: staged ${JSON.stringify(staged())}`,
        },
      );
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      const killedAt = staged();
      // The kill came mid-export, not after it: the staged file is short of the container's bulk file alone.
      expect(killedAt.length).toBe(1);
      expect(killedAt[0]!.size).toBeLessThan(BULK_MIB * MiB);

      // At the kill: no filesystem record, and the metadata recorded is whole.
      const atKill = await evidence.list(incidentId);
      expect(atKill.map((record) => record.artefact)).toEqual(['metadata']);
      const metadata = atKill[0]!;
      expect(metadata.capturedBy.worker).toBe(`${first.pid}@${hostname()}`);
      const metadataBytes = readFileSync(path.join(blobDir, 'objects', metadata.location));
      expect(metadataBytes.length).toBe(metadata.size);
      expect(createHash('sha256').update(metadataBytes).digest('hex')).toBe(metadata.sha256);
      expect(JSON.parse(metadataBytes.toString('utf8'))).toMatchObject({ container: { Id: containerId } });

      // Another worker on the same queue: the attempt times out on its heartbeat (30 s) and is retried there.
      const second = await startWorker();
      const result = await incidents.result(incidentId);
      expect(result.steps).toEqual({ pin: 'succeeded', capture: 'succeeded' });

      // One record per artefact: metadata is the killed attempt's own record, not captured again.
      const records = await evidence.list(incidentId);
      expect(records.map((record) => record.artefact)).toEqual(['metadata', 'filesystem']);
      expect(records[0]).toEqual(metadata);
      const filesystem = records[1]!;
      expect(filesystem.capturedBy.worker).toBe(`${second.pid}@${hostname()}`);
      const report = await evidence.verify(incidentId, 'test');
      expect(report.ok).toBe(true);
      expect(report.results.map((r) => [r.artefact.artefact, r.result])).toEqual([
        ['metadata', 'ok'],
        ['filesystem', 'ok'],
      ]);

      // The tar is the container's whole filesystem: the planted file and the bulk file, byte for byte.
      const tar = path.join(blobDir, 'objects', filesystem.location);
      expect(filesystem.size).toBeGreaterThan(BULK_MIB * MiB);
      const extract = (file: string) => spawn('tar', ['-xOf', tar, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      expect(await sha256Of(extract(BULK).stdout)).toBe(bulkSha256);
      const readme = extract(README);
      expect(Buffer.concat(await readme.stdout.toArray()).toString()).toBe('crash v1\n');

      // Only recorded blobs are in objects/: the killed attempt's export was never moved there. Its staged
      // file stays in tmp/, unrecorded, never listed or verified, and nothing removes it (docs/evidence.md).
      expect(filesUnder(path.join(blobDir, 'objects')).sort()).toEqual(records.map((record) => record.location).sort());
      expect(staged()).toEqual(killedAt);
    }, 180_000);
  },
);
