/**
 * The docker provider against the harness's own Docker Engine: the conformance suite, then what is
 * Docker's own: protect sets the restart policy to `no` and says what Docker cannot protect, credentials
 * are named and never valued, a container on the host's network is refused before anything changes, ids
 * need 12 hex digits, and providers are built by name from the config; capture's Docker cases are in
 * docker-capture-cases.ts, destroy's, redeploy's, health's and indicators' in docker-lifecycle-cases.ts. Containers sit on internal
 * networks in documentation-only ranges (TEST-NET) to which no traffic is ever sent.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerMissing, startDocker, type TestDocker, type TestImage } from '../../../harness/docker.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createDockerProvider } from '../../../src/infra/docker/provider.js';
import { infraProvidersFromConfig } from '../../../src/infra/from-config.js';
import { INFRA_OPERATIONS, type InfraProvider } from '../../../src/infra/types.js';
import { InfraConfigSchema } from '../../../src/config/infra-schema.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { runDockerCaptureCases } from './docker-capture-cases.js';
import { runDockerLifecycleCases } from './docker-lifecycle-cases.js';
import { runProviderConformance, type Attachment, type ProviderFixture } from './provider-conformance.js';

const missing = dockerMissing();
const secrets = createSecretResolver({ env: {}, baseDir: tmpdir() });
const NETWORKS = ['fbconf-a', 'fbconf-b'] as const;
// TEST-NET-1 and TEST-NET-2 (RFC 5737): documentation ranges, never routed anywhere.
const SUBNETS = ['192.0.2.0/24', '198.51.100.0/24'] as const;
// In every test image, for the indicator checks.
const MARK_FILE = '/opt/app/marker';
const MARK_CONTENT = 'firebreak conformance\n';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return (error as FirebreakError).code;
}

describe.skipIf(missing !== undefined)(`the docker provider${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let docker: TestDocker;
  let provider: InfraProvider;
  let scratch: string;
  const images = new Map<string, TestImage>();
  let nextHost = 10;

  beforeAll(async () => {
    docker = await startDocker();
    scratch = mkdtempSync(path.join(tmpdir(), 'fb-docker-provider-'));
    provider = createDockerProvider({ name: 'local', connection: { host: docker.host, timeoutMs: 30_000 }, secrets });
    for (const [i, network] of NETWORKS.entries()) {
      await docker.docker(['network', 'create', '--internal', '--subnet', SUBNETS[i]!, network]);
    }
  }, 120_000);
  afterAll(async () => {
    await docker?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  const image = async (name: string): Promise<TestImage> => {
    const known = images.get(name);
    if (known) return known;
    const built = await docker.image(name, 'v1', { 'opt/app/README': `${name}\n`, [MARK_FILE.slice(1)]: MARK_CONTENT });
    images.set(name, built);
    return built;
  };

  const attachments = async (id: string): Promise<Attachment[]> => {
    const networks = JSON.parse(
      await docker.docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id]),
    ) as Record<string, { Aliases: string[] | null; IPAddress: string }>;
    return Object.entries(networks)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([network, endpoint]) => ({ network, aliases: endpoint.Aliases ?? [], ipv4: endpoint.IPAddress }));
  };

  const fixture: ProviderFixture = {
    provider: () => provider,
    unreachable: () =>
      createDockerProvider({
        name: 'away',
        connection: { host: `unix://${path.join(scratch, 'nobody.sock')}`, timeoutMs: 5_000 },
        secrets,
      }),
    networks: NETWORKS,
    async startTarget(name, imageName, labels) {
      const built = await image(imageName);
      const ip = `192.0.2.${nextHost++}`;
      const labelArgs = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
      const id = (
        await docker.docker([
          ...['run', '-d', '--name', name, ...labelArgs],
          ...['--network', NETWORKS[0], '--network-alias', `${name}-a`, '--ip', ip],
          ...[built.tag, 'sleep', '600'],
        ])
      ).trim();
      await docker.docker(['network', 'connect', '--alias', `${name}-b`, NETWORKS[1], id]);
      return { id, name, imageTag: built.tag, imageDigest: built.digest, imagePinned: built.ref };
    },
    attachments,
    async remove(id) {
      await docker.docker(['rm', '-f', id]);
    },
    unknownId: 'f'.repeat(64),
    captureArtefacts: ['metadata', 'processes', 'logs', 'diff', 'filesystem', 'image'],
    marks: { file: MARK_FILE, sha256: createHash('sha256').update(MARK_CONTENT).digest('hex'), process: 'sleep 600' },
  };

  runProviderConformance('docker', () => fixture);
  runDockerCaptureCases(() => ({ docker, provider, secrets, scratch, image }));
  runDockerLifecycleCases(() => ({ docker, provider, scratch, network: NETWORKS[0], other: NETWORKS[1] }));

  describe('docker specifics', () => {
    const run = async (args: readonly string[]): Promise<string> =>
      (await docker.docker(['run', '-d', ...args, (await image('specifics')).tag, 'sleep', '600'])).trim();
    const inspect = async <T>(format: string, id: string): Promise<T> =>
      JSON.parse(await docker.docker(['inspect', '--format', `{{json ${format}}}`, id])) as T;

    it('protect sets the restart policy to no, records the one before, and warns of --rm', async () => {
      const id = await run(['--network', 'none', '--restart', 'unless-stopped']);
      const [target] = (await provider.inventory({ id })).targets;
      const result = await provider.protect(target!);
      expect(result.changes).toEqual([
        {
          what: 'restart-policy',
          before: { name: 'unless-stopped', maximumRetryCount: 0 },
          after: { name: 'no', maximumRetryCount: 0 },
        },
      ]);
      expect(result.warnings).toEqual([]);
      expect(await inspect<{ Name: string }>('.HostConfig.RestartPolicy', id)).toMatchObject({ Name: 'no' });

      const removable = await run(['--network', 'none', '--rm', '--label', 'com.docker.compose.project=shop']);
      const [other] = (await provider.inventory({ id: removable })).targets;
      const warned = await provider.protect(other!);
      expect(warned.changes).toEqual([]);
      expect(warned.warnings.join('\n')).toMatch(/--rm.*capture evidence before it stops/);
      expect(warned.warnings.join('\n')).toMatch(/compose project shop/);
    });

    it('names the credentials a container can reach, never their values (nor a URL with credentials in a label)', async () => {
      const socket = path.join(scratch, 'docker.sock');
      writeFileSync(socket, '');
      const id = await run([
        ...['--network', 'none', '-e', 'API_TOKEN=hunter2-token', '-e', 'AWS_ACCESS_KEY_ID=AKIAEXAMPLE', '-e', 'LANG=C'],
        ...['-e', 'MIRROR=https://bot:s3cret@mirror.example/', '--label', 'source=https://bot:s3cret@git.example/shop'],
        ...['-v', `${socket}:/var/run/docker.sock:ro`, '--tmpfs', '/run/secrets'],
      ]);
      const [target] = (await provider.inventory({ id })).targets;
      // Sorted, so the same container pins the same way (the daemon lists mounts in no stable order).
      expect(target!.credentials).toEqual([
        { kind: 'docker-socket', name: '/var/run/docker.sock', note: 'mounts the Docker socket: root on the host' },
        { kind: 'env', name: 'API_TOKEN' },
        { kind: 'env', name: 'AWS_ACCESS_KEY_ID' },
        { kind: 'env', name: 'MIRROR', note: 'its value is a URL with credentials in it (user:password@)' },
        { kind: 'secret-mount', name: '/run/secrets' },
      ]);
      // A label holding a URL with credentials is kept by key only, in the labels and in the spec.
      expect(target!.labels.source).toBe('[redacted by firebreak]');
      expect(target!.spec).toMatchObject({ redacted: ['env:API_TOKEN', 'env:AWS_ACCESS_KEY_ID', 'env:MIRROR', 'label:source'] });
      expect(target!.mounts).toEqual([
        { type: 'tmpfs', destination: '/run/secrets', readOnly: false },
        { type: 'bind', source: socket, destination: '/var/run/docker.sock', readOnly: true },
      ]);
      const text = JSON.stringify(target);
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('AKIAEXAMPLE');
      expect(text).not.toContain('s3cret');
    });

    it("refuses to isolate a container on the host's network, changing nothing", async () => {
      const id = await run(['--network', 'host']);
      const [target] = (await provider.inventory({ id })).targets;
      const error = await provider.isolate(target!).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FirebreakError);
      expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
      expect((error as FirebreakError).message).toMatch(/network mode host.*cannot disconnect/);
      expect(Object.keys(await inspect<Record<string, unknown>>('.NetworkSettings.Networks', id))).toEqual(['host']);
    });

    it('unisolate restores every network it can and names the one removed since (NOT_FOUND, not retried)', async () => {
      await docker.docker(['network', 'create', '--internal', '--subnet', '203.0.113.0/24', 'fbconf-gone']);
      const id = await run(['--network', NETWORKS[0]]);
      await docker.docker(['network', 'connect', 'fbconf-gone', id]);
      const [target] = (await provider.inventory({ id })).targets;
      const record = await provider.isolate(target!);
      expect(record.changes.map((c) => c.resource)).toEqual([NETWORKS[0], 'fbconf-gone']);
      await docker.docker(['network', 'rm', 'fbconf-gone']);
      const error = await provider.unisolate(target!, record).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FirebreakError);
      expect((error as FirebreakError).code).toBe(ErrorCode.NotFound);
      expect((error as FirebreakError).message).toContain('network fbconf-gone');
      expect((error as FirebreakError).details).toMatchObject({ result: { restored: [{ resource: NETWORKS[0] }] } });
      expect(Object.keys(await inspect<Record<string, unknown>>('.NetworkSettings.Networks', id))).toEqual([NETWORKS[0]]);
    });

    it('counts a container with no network but loopback as isolated already', async () => {
      const id = await run(['--network', 'none']);
      const [target] = (await provider.inventory({ id })).targets;
      expect(target!.networks).toEqual([]);
      expect(await provider.isolate(target!)).toMatchObject({ changes: [], alreadyIsolated: true });
    });

    it('needs at least 12 hex digits of an id, and refuses a prefix that matches two containers', async () => {
      const id = await run(['--network', 'none']);
      expect(await codeOf(provider.inventory({ id: id.slice(0, 11) }))).toBe(ErrorCode.InvalidInput);
      expect(await codeOf(provider.inventory({ id: id.toUpperCase() }))).toBe(ErrorCode.InvalidInput);
      expect((await provider.inventory({ id: id.slice(0, 12) })).targets.map((t) => t.id)).toEqual([id]);
    });

    it('refuses a name Docker could not have given (it would reach the daemon as a regular expression)', async () => {
      for (const name of ['web(', '.*', 'a b', '-lead']) {
        expect(await codeOf(provider.inventory({ name }))).toBe(ErrorCode.InvalidInput);
      }
      // A name that is a prefix or substring of another container's does not match it.
      await run(['--network', 'none', '--name', 'payments-api']);
      expect((await provider.inventory({ name: 'payments' })).targets).toEqual([]);
      expect((await provider.inventory({ name: '/payments-api' })).targets.map((t) => t.name)).toEqual(['payments-api']);
    });

    it('builds providers by name from the config, and answers NOT_FOUND for a name it does not have', async () => {
      const infra = InfraConfigSchema.parse({ providers: { local: { kind: 'docker', host: docker.host } } });
      const providers = infraProvidersFromConfig(infra, { secrets });
      expect(providers.names()).toEqual(['local']);
      const built = providers.get('local');
      expect(built).toMatchObject({ name: 'local', kind: 'docker' });
      expect([...built.capabilities].sort()).toEqual([...INFRA_OPERATIONS].sort());
      const id = await run(['--network', 'none', '--name', 'from-config']);
      expect((await built.inventory({ name: 'from-config' })).targets.map((t) => t.id)).toEqual([id]);
      for (const name of ['remote', 'constructor', '__proto__']) {
        expect(() => providers.get(name)).toThrow(expect.objectContaining({ code: ErrorCode.NotFound }) as Error);
      }
      expect(infraProvidersFromConfig(undefined, { secrets }).names()).toEqual([]);
    });
  });
});
