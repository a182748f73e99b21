/**
 * Docker's own capture cases, run by docker-provider.test.ts on the harness's engine: a "compromised"
 * container (a planted file, a marked process, output on both streams, a file created after start, a
 * credential in its environment) captured whole, each artefact read back from the sink and checked for what
 * it must hold; logs capped and saying so; what a container cannot give refused before anything is written;
 * the quarantine image removed even when the sink fails, and a sink that stops reading early refused; a
 * container removed mid-capture NOT_FOUND with what was stored;
 * a 200 MiB filesystem exported in bounded memory; and a daemon connection cut mid-export reported as
 * TRANSIENT with only the completed artefacts, the partial one left out.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TestDocker, TestImage } from '../../../harness/docker.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createDockerProvider } from '../../../src/infra/docker/provider.js';
import type { CaptureResult, EvidenceSink, InfraProvider, InfraTarget } from '../../../src/infra/types.js';
import type { SecretResolver } from '../../../src/secrets/resolver.js';
import { eventually } from '../../support/poll.js';
import { fileEvidenceSink, type FileEvidenceSink } from '../../support/file-evidence-sink.js';

const run = promisify(execFile);

/** What the cases need from the test file's setup. */
export interface CaptureCaseContext {
  docker: TestDocker;
  provider: InfraProvider;
  secrets: SecretResolver;
  scratch: string;
  image(name: string): Promise<TestImage>;
}

async function tarEntry(tar: string, entry: string): Promise<string> {
  const { stdout } = await run('tar', ['-xOf', tar, entry], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function tarList(tar: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tf', tar], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

/** Waits until `check` holds. */
async function waitUntil(check: () => Promise<boolean>, options: { timeoutMs: number; intervalMs?: number }): Promise<void> {
  await eventually(async () => ((await check()) ? true : undefined), { ...options, what: 'the container never got ready' });
}

function file(result: CaptureResult, artefact: string): string {
  const found = result.artefacts.find((a) => a.artefact === artefact);
  if (found === undefined) throw new Error(`no ${artefact} in ${JSON.stringify(result)}`);
  return found.location;
}

/** Registers the cases; `context` is called inside each test, after the test file's setup. */
export function runDockerCaptureCases(context: () => CaptureCaseContext): void {
  describe('docker capture', () => {
    let sinks = 0;
    const sink = (): FileEvidenceSink => fileEvidenceSink(path.join(context().scratch, `evidence-${++sinks}`));
    const pin = async (id: string): Promise<InfraTarget> => (await context().provider.inventory({ id })).targets[0]!;
    const exec = (id: string, args: readonly string[]) => context().docker.docker(['exec', id, ...args]);

    it('captures a compromised container whole: planted file, marked process, diff, logs, redacted metadata, quarantine image', async () => {
      const { docker, provider } = context();
      const image = await docker.image('compromised', 'v1', { 'opt/planted/implant.sh': 'echo pwned-by-fb-test\n' });
      const name = `fb-compromised-${Date.now().toString(36)}`;
      const script = 'echo fb-out-line; echo fb-err-line >&2; echo after > /tmp/created-after-start; sleep 600; echo fb-marker-proc';
      const id = (
        await docker.docker([
          ...['run', '-d', '--name', name, '--network', 'none', '-e', 'API_TOKEN=hunter2-token', '-e', 'LANG=C'],
          ...[image.tag, 'sh', '-c', script],
        ])
      ).trim();
      await waitUntil(async () => (await exec(id, ['cat', '/tmp/created-after-start'])).includes('after'), { timeoutMs: 20_000 });
      const evidence = sink();
      const result = await provider.capture({
        target: await pin(id),
        artefacts: ['image', 'filesystem', 'diff', 'logs', 'processes', 'metadata'],
        sink: evidence,
      });
      expect(result.artefacts.map((a) => a.artefact)).toEqual(['metadata', 'processes', 'logs', 'diff', 'filesystem', 'image']);
      expect(evidence.stored.map((s) => [s.artefact, s.contentType])).toEqual([
        [`${name}/metadata.json`, 'application/json'],
        [`${name}/processes.json`, 'application/json'],
        [`${name}/logs.txt`, 'text/plain; charset=utf-8'],
        [`${name}/diff.json`, 'application/json'],
        [`${name}/filesystem.tar`, 'application/x-tar'],
        [`${name}/image.tar`, 'application/x-tar'],
      ]);
      for (const captured of result.artefacts) {
        expect(createHash('sha256').update(readFileSync(captured.location)).digest('hex')).toBe(captured.sha256);
      }

      const filesystem = file(result, 'filesystem');
      expect(await tarEntry(filesystem, 'opt/planted/implant.sh')).toBe('echo pwned-by-fb-test\n');
      expect(await tarEntry(filesystem, 'tmp/created-after-start')).toBe('after\n');

      const processes = JSON.parse(readFileSync(file(result, 'processes'), 'utf8')) as {
        Titles: string[];
        Processes: string[][];
        tookMs: number;
      };
      expect(processes.Titles).toContain('PID');
      expect(processes.Processes.some((row) => row.join(' ').includes('fb-marker-proc'))).toBe(true);
      expect(processes.tookMs).toBeGreaterThanOrEqual(0);

      const diff = JSON.parse(readFileSync(file(result, 'diff'), 'utf8')) as { changes: Array<{ Path: string; Kind: number }> };
      // Kind 1: added.
      expect(diff.changes).toContainEqual({ Path: '/tmp/created-after-start', Kind: 1 });

      const logs = readFileSync(file(result, 'logs'), 'utf8');
      expect(logs).toMatch(/^stdout \d{4}-\d\d-\d\dT[\d:.]+Z fb-out-line$/m);
      expect(logs).toMatch(/^stderr \d{4}-\d\d-\d\dT[\d:.]+Z fb-err-line$/m);
      expect(logs).not.toContain('truncated');

      const metadataText = readFileSync(file(result, 'metadata'), 'utf8');
      expect(metadataText).not.toContain('hunter2');
      const metadata = JSON.parse(metadataText) as {
        container: { Id: string; Config: { Env: string[] } };
        image: { Id: string } | null;
      };
      expect(metadata.container.Id).toBe(id);
      expect(metadata.container.Config.Env).toEqual(expect.arrayContaining(['API_TOKEN=[redacted by firebreak]', 'LANG=C']));
      expect(metadata.image?.Id).toMatch(/^sha256:/);

      const imageTar = file(result, 'image');
      const manifest = JSON.parse(await tarEntry(imageTar, 'manifest.json')) as Array<{ Config: string; RepoTags: string[] }>;
      expect(manifest).toHaveLength(1);
      expect(manifest[0]!.RepoTags).toHaveLength(1);
      expect(manifest[0]!.RepoTags[0]).toMatch(new RegExp(`^firebreak-quarantine/${name}:\\d{8}T\\d{6}\\.\\d{3}Z$`));
      const config = JSON.parse(await tarEntry(imageTar, manifest[0]!.Config)) as { config: { Labels: Record<string, string> } };
      expect(config.config.Labels).toMatchObject({ 'firebreak.quarantine': id });
      // The layers of the commit hold the planted file too.
      expect((await tarList(imageTar)).length).toBeGreaterThan(2);
      // The quarantine image is removed once saved; the container runs on, not paused.
      expect((await docker.docker(['images', '--quiet', '--filter', 'reference=firebreak-quarantine/*'])).trim()).toBe('');
      expect((await docker.docker(['inspect', '--format', '{{.State.Status}}', id])).trim()).toBe('running');
    }, 120_000);

    it('caps the logs at the configured size and says so in the artefact', async () => {
      const { docker, secrets, scratch } = context();
      const capped = createDockerProvider({
        name: 'capped',
        connection: { host: docker.host, timeoutMs: 30_000 },
        secrets,
        logLimitBytes: 300,
      });
      const image = await context().image('specifics');
      const id = (
        await docker.docker(['run', '-d', '--network', 'none', image.tag, 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo line-$i-of-noise; done; sleep 600'])
      ).trim();
      await waitUntil(async () => (await docker.docker(['logs', id])).includes('line-20-'), { timeoutMs: 20_000 });
      const result = await capped.capture({ target: await pin(id), artefacts: ['logs'], sink: sink() });
      const logs = readFileSync(file(result, 'logs'), 'utf8');
      expect(logs).toContain('line-1-of-noise');
      expect(logs).not.toContain('line-20-of-noise');
      expect(logs).toMatch(/# firebreak: truncated: the log is longer than the 300-byte limit/);
      expect(existsSync(scratch)).toBe(true);
    }, 60_000);

    it('refuses what the container cannot give, naming it, before anything is written', async () => {
      const { docker, provider } = context();
      const image = await context().image('specifics');
      const id = (await docker.docker(['run', '-d', '--network', 'none', image.tag, 'sleep', '600'])).trim();
      const target = await pin(id);
      const evidence = sink();
      const snapshot = await provider.capture({ target, artefacts: ['metadata', 'snapshot'], sink: evidence }).catch((e: unknown) => e);
      expect(snapshot).toBeInstanceOf(FirebreakError);
      expect((snapshot as FirebreakError).code).toBe(ErrorCode.Unsupported);
      expect((snapshot as FirebreakError).message).toContain('snapshot');
      await docker.docker(['stop', '--time', '1', id]);
      const stopped = await provider.capture({ target, artefacts: ['metadata', 'processes'], sink: evidence }).catch((e: unknown) => e);
      expect(stopped).toBeInstanceOf(FirebreakError);
      expect((stopped as FirebreakError).code).toBe(ErrorCode.InvalidInput);
      expect((stopped as FirebreakError).message).toMatch(/exited.*processes/);
      expect(evidence.stored).toEqual([]);
      // A stopped container still gives the rest.
      const rest = await provider.capture({ target, artefacts: ['metadata', 'logs', 'diff', 'filesystem', 'image'], sink: evidence });
      expect(rest.artefacts.map((a) => a.artefact)).toEqual(['metadata', 'logs', 'diff', 'filesystem', 'image']);
    }, 60_000);

    it('removes the quarantine image even when the sink fails, and refuses a sink that stopped reading early', async () => {
      const { docker, provider } = context();
      const image = await context().image('specifics');
      const name = `Fb_Upper.Case-${Date.now().toString(36)}`;
      const id = (await docker.docker(['run', '-d', '--network', 'none', '--name', name, image.tag, 'sleep', '600'])).trim();
      const target = await pin(id);
      const quarantined = async () => (await docker.docker(['images', '--quiet', '--filter', 'reference=firebreak-quarantine/*'])).trim();

      const good = sink();
      const failing: EvidenceSink = {
        async write(artefact, body, meta) {
          if (!artefact.endsWith('/image.tar')) return good.write(artefact, body, meta);
          for await (const chunk of body) void chunk;
          // While the image is being saved, it is there, under the container's name as a repository.
          const tags = await docker.docker(['images', '--format', '{{.Repository}}', '--filter', 'reference=firebreak-quarantine/*']);
          expect(tags.trim()).toBe(`firebreak-quarantine/${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`);
          throw new Error('disk full');
        },
      };
      const error = await provider.capture({ target, artefacts: ['metadata', 'image'], sink: failing }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FirebreakError);
      expect((error as FirebreakError).code).toBe(ErrorCode.Transient);
      expect((error as FirebreakError).message).toBe('capture image: the evidence sink failed (disk full)');
      expect(((error as FirebreakError).details as { result: CaptureResult }).result.artefacts.map((a) => a.artefact)).toEqual([
        'metadata',
      ]);
      expect(await quarantined()).toBe('');

      const hasty: EvidenceSink = {
        async write(_artefact, body) {
          for await (const chunk of body) return { location: 'nowhere', size: chunk.byteLength, sha256: 'x' };
          return { location: 'nowhere', size: 0, sha256: 'x' };
        },
      };
      const early = await provider.capture({ target, artefacts: ['filesystem'], sink: hasty }).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(FirebreakError);
      expect((early as FirebreakError).message).toMatch(/capture filesystem: the evidence sink stored \d+ bytes of an unfinished stream; not counted/);
      expect(((early as FirebreakError).details as { result: CaptureResult }).result.artefacts).toEqual([]);
    }, 60_000);

    it('answers NOT_FOUND with what it stored when the container is removed mid-capture', async () => {
      const { docker, provider } = context();
      const image = await context().image('specifics');
      const id = (await docker.docker(['run', '-d', '--network', 'none', image.tag, 'sleep', '600'])).trim();
      const target = await pin(id);
      const good = sink();
      const removing: EvidenceSink = {
        async write(artefact, body, meta) {
          const stored = await good.write(artefact, body, meta);
          if (artefact.endsWith('/metadata.json')) await docker.docker(['rm', '-f', id]);
          return stored;
        },
      };
      const error = await provider.capture({ target, artefacts: ['metadata', 'diff', 'filesystem'], sink: removing }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FirebreakError);
      expect((error as FirebreakError).code).toBe(ErrorCode.NotFound);
      expect(((error as FirebreakError).details as { result: CaptureResult }).result.artefacts.map((a) => a.artefact)).toEqual([
        'metadata',
      ]);
      expect(good.stored.map((s) => s.artefact)).toEqual([`${target.name}/metadata.json`]);
    }, 60_000);

    describe('a 200 MiB filesystem', () => {
      let bigId = '';
      const big = async (): Promise<string> => {
        if (bigId) return bigId;
        const { docker } = context();
        const image = await context().image('specifics');
        const script = 'busybox dd if=/dev/urandom of=/big.bin bs=1048576 count=200 2>/dev/null && touch /tmp/big-done; sleep 600';
        const id = (await docker.docker(['run', '-d', '--network', 'none', image.tag, 'sh', '-c', script])).trim();
        await waitUntil(async () => (await exec(id, ['ls', '/tmp'])).includes('big-done'), { timeoutMs: 120_000, intervalMs: 500 });
        bigId = id;
        return id;
      };

      it('is exported through in bounded memory (RSS growth under 64 MiB)', async () => {
        const target = await pin(await big());
        global.gc?.();
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const timer = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage().rss);
        }, 20);
        let result: CaptureResult;
        const heard: number[] = [];
        try {
          result = await context().provider.capture({
            target,
            artefacts: ['filesystem'],
            sink: sink(),
            streaming: ({ artefact, bytes }) => {
              expect(artefact).toBe('filesystem');
              heard.push(bytes);
            },
          });
        } finally {
          clearInterval(timer);
        }
        peak = Math.max(peak, process.memoryUsage().rss);
        expect(result.artefacts[0]!.size).toBeGreaterThan(200 * 1024 * 1024);
        // Heard every 8 MiB or so while streaming, so a long export can heartbeat.
        expect(heard.length).toBeGreaterThanOrEqual(24);
        expect(heard).toEqual([...heard].sort((a, b) => a - b));
        expect(heard.at(-1)!).toBeLessThanOrEqual(result.artefacts[0]!.size);
        expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
      }, 240_000);

      it('cut off mid-export is TRANSIENT, reports only the artefacts completed, and leaves no partial one', async () => {
        const { docker, secrets, scratch } = context();
        const target = await pin(await big());
        const proxy = await cuttingProxy(docker.socket, path.join(scratch, 'cut.sock'), 4 * 1024 * 1024);
        try {
          const cut = createDockerProvider({ name: 'cut', connection: { host: `unix://${proxy.path}`, timeoutMs: 30_000 }, secrets });
          const evidence = sink();
          const error = await cut.capture({ target, artefacts: ['metadata', 'filesystem'], sink: evidence }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(FirebreakError);
          expect((error as FirebreakError).code).toBe(ErrorCode.Transient);
          expect((error as FirebreakError).message).toMatch(/capture filesystem/);
          const partial = ((error as FirebreakError).details as { result: CaptureResult }).result;
          expect(partial.artefacts.map((a) => a.artefact)).toEqual(['metadata']);
          expect(evidence.stored.map((s) => s.artefact)).toEqual([`${target.name}/metadata.json`]);
          expect(existsSync(path.join(evidence.root, target.name, 'filesystem.tar'))).toBe(false);
        } finally {
          await proxy.close();
        }
      }, 240_000);
    });
  });
}

/**
 * A unix socket forwarding to the daemon's that cuts a connection once it has answered more than `limit`
 * bytes: the daemon going away in the middle of a long stream.
 */
async function cuttingProxy(upstream: string, socketPath: string, limit: number): Promise<{ path: string; close(): Promise<void> }> {
  const server: Server = createServer((client) => {
    const daemon = createConnection(upstream);
    let answered = 0;
    client.pipe(daemon);
    daemon.on('data', (chunk: Buffer) => {
      answered += chunk.length;
      client.write(chunk);
      if (answered > limit) {
        client.destroy();
        daemon.destroy();
      }
    });
    daemon.on('end', () => client.end());
    daemon.on('error', () => client.destroy());
    client.on('error', () => daemon.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { path: socketPath, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
