/**
 * Docker's own destroy, redeploy, health and indicator cases, run by docker-provider.test.ts on the
 * harness's engine: a "compromised" container (a planted file, a marked process, a named volume, a bind
 * mount, a credential in its environment) pinned, destroyed (the volume kept, then removed on request,
 * the bind source never touched) and redeployed from a fixed image by digest with the same configuration
 * except the overrides, the credential refused until it is supplied as a secret reference; health by a
 * healthcheck (healthy, unhealthy, none) and by an HTTP probe to busybox httpd on the host's loopback
 * (the only network a test may use); indicators found on the old container and absent on the replacement.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestDocker, TestImage } from '../../../harness/docker.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createDockerProvider } from '../../../src/infra/docker/provider.js';
import type { InfraProvider, InfraTarget } from '../../../src/infra/types.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { freePort } from '../../../src/temporal/dev-server.js';

/** What the cases need from the test file's setup. */
export interface LifecycleCaseContext {
  docker: TestDocker;
  provider: InfraProvider;
  scratch: string;
  /** The network with a static-address subnet (192.0.2.0/24) the conformance suite uses. */
  network: string;
  /** Another internal network. */
  other: string;
}

const IMPLANT = '/opt/app/implant.sh';
const IMPLANT_CONTENT = '#!/bin/sh\n# a planted backdoor\nsleep 4242\n';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function failure(promise: Promise<unknown>): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return error as FirebreakError;
}

/** Registers the cases; `context` is called inside each test, after the test file's setup. */
export function runDockerLifecycleCases(context: () => LifecycleCaseContext): void {
  describe('docker destroy, redeploy, health, indicators', () => {
    let compromised: TestImage | undefined;
    let fixed: TestImage | undefined;
    const images = async () => {
      const { docker } = context();
      compromised ??= await docker.image('shop', 'compromised', { [IMPLANT.slice(1)]: IMPLANT_CONTENT, 'www/index.html': 'ok\n' });
      fixed ??= await docker.image('shop', 'fixed', { 'www/index.html': 'ok\n', 'www/sub/index.html': 'sub\n' });
      return { compromised, fixed };
    };
    const inspect = async <T>(format: string, id: string): Promise<T> =>
      JSON.parse(await context().docker.docker(['inspect', '--format', `{{json ${format}}}`, id])) as T;
    const pin = async (id: string): Promise<InfraTarget> => {
      const [target] = (await context().provider.inventory({ id })).targets;
      if (target === undefined) throw new Error(`${id} not pinned`);
      return target;
    };

    it('destroy keeps the named volume (it is still in the daemon), removeVolumes removes it, a bind source is never touched', async () => {
      const { docker, provider, scratch } = context();
      const { compromised: image } = await images();
      const source = path.join(scratch, 'bound.txt');
      writeFileSync(source, 'host file\n');
      const start = async (volume: string) =>
        (
          await docker.docker([
            ...['run', '-d', '--network', 'none', '-v', `${volume}:/data`, '-v', `${source}:/bound.txt:ro`],
            ...[image.tag, 'sleep', '600'],
          ])
        ).trim();
      const kept = await pin(await start('fb-kept-data'));
      const result = await provider.destroy({ target: kept, gracePeriodSeconds: 0 });
      expect(result).toMatchObject({ removed: true, keptVolumes: ['fb-kept-data'], removedVolumes: [] });
      expect(result.detail).toMatch(/stopped .*grace period 0 s.* and removed/);
      expect((await docker.docker(['volume', 'ls', '--quiet'])).split('\n')).toContain('fb-kept-data');
      expect(await provider.inventory({ id: kept.id })).toMatchObject({ total: 0 });

      const purged = await pin(await start('fb-purged-data'));
      const removed = await provider.destroy({ target: purged, removeVolumes: true, gracePeriodSeconds: 0 });
      expect(removed).toMatchObject({ removed: true, keptVolumes: [], removedVolumes: ['fb-purged-data'] });
      expect((await docker.docker(['volume', 'ls', '--quiet'])).split('\n')).not.toContain('fb-purged-data');
      expect(existsSync(source)).toBe(true);
      // Retried after the removal: nothing to do, no error.
      expect(await provider.destroy({ target: purged, removeVolumes: true })).toMatchObject({ removed: false, alreadyGone: true });
    }, 60_000);

    it('destroys a paused container, a stopped one and one started with --rm (which removes itself once stopped)', async () => {
      const { docker, provider } = context();
      const { fixed: image } = await images();
      const start = async (args: readonly string[]) =>
        pin((await docker.docker(['run', '-d', '--network', 'none', ...args, image.tag, 'sleep', '600'])).trim());
      const paused = await start([]);
      await docker.docker(['pause', paused.id]);
      const stopped = await start([]);
      await docker.docker(['stop', '-t', '0', stopped.id]);
      const removable = await start(['--rm']);
      for (const target of [paused, stopped, removable]) {
        expect(await provider.destroy({ target, gracePeriodSeconds: 0 })).toMatchObject({ removed: true, alreadyGone: false });
        expect(await provider.inventory({ id: target.id })).toMatchObject({ total: 0 });
      }
      expect((await provider.destroy({ target: stopped })).detail).toBe('the container was gone already');
      expect((await failure(provider.destroy({ target: stopped, gracePeriodSeconds: 1.5 }))).code).toBe(ErrorCode.InvalidInput);
    }, 60_000);

    it('refuses a target whose id is not a pinned container id (a name reaches another container), changing nothing', async () => {
      const { docker, provider } = context();
      const id = (await docker.docker(['run', '-d', '--network', 'none', '--name', 'fb-not-pinned', (await images()).fixed.tag, 'sleep', '600'])).trim();
      const target = await pin(id);
      for (const wrong of ['fb-not-pinned', id.slice(0, 12)]) {
        const error = await failure(provider.destroy({ target: { ...target, id: wrong } }));
        expect(error.code).toBe(ErrorCode.InvalidInput);
        expect(error.message).toContain('not a pinned container id');
      }
      expect(await inspect<string>('.State.Status', id)).toBe('running');
    });

    it('redeploys the fixed image by digest with the same configuration except the overrides; a credential must be supplied', async () => {
      const { docker, provider, network } = context();
      const { compromised: bad, fixed: good } = await images();
      const id = (
        await docker.docker([
          ...['run', '-d', '--name', 'shop-web', '--network', network, '--network-alias', 'shop', '--ip', '192.0.2.200'],
          ...['-e', 'LANG=C', '-e', 'API_TOKEN=hunter2-token', '-e', 'UPSTREAM=https://bot:s3cret@example.com/x'],
          ...['--label', 'tier=web', '--label', 'team=payments', '-v', 'fb-shop-data:/data', '--restart', 'unless-stopped'],
          ...['--workdir', '/opt', '--user', '1000:1000', bad.tag, 'sh', '-c', `sh ${IMPLANT} & exec sleep 600`],
        ])
      ).trim();
      const target = await pin(id);
      // The spec holds what a redeploy needs, credentials by name only.
      expect(target.spec).toMatchObject({
        cmd: ['sh', '-c', `sh ${IMPLANT} & exec sleep 600`],
        env: [
          { name: 'API_TOKEN', redacted: true, reason: 'credential-name' },
          { name: 'LANG', value: 'C' },
          { name: 'UPSTREAM', redacted: true, reason: 'url-userinfo' },
        ],
        labels: { team: 'payments', tier: 'web' },
        redacted: ['env:API_TOKEN', 'env:UPSTREAM'],
        user: '1000:1000',
        workingDir: '/opt',
        restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
        networks: [{ name: network, aliases: ['shop'], ipv4: '192.0.2.200' }],
        mounts: [{ type: 'volume', source: 'fb-shop-data', target: '/data', readOnly: false }],
      });
      const text = JSON.stringify(target);
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('s3cret');

      const artefact = { kind: 'image', ref: good.ref };
      // The original still runs: its name is taken.
      expect((await failure(provider.redeploy({ target, artefact, overrides: { dropEnv: ['API_TOKEN', 'UPSTREAM'] } }))).message).toMatch(
        /still exists: destroy it first, or give overrides.name/,
      );
      await provider.protect(target);
      await provider.isolate(target);
      await provider.destroy({ target, gracePeriodSeconds: 0 });

      const missing = await failure(provider.redeploy({ target, artefact }));
      expect(missing.code).toBe(ErrorCode.InvalidInput);
      expect(missing.message).toContain('environment variable API_TOKEN');
      expect(missing.message).toContain('environment variable UPSTREAM');
      const half = await failure(provider.redeploy({ target, artefact, overrides: { env: { API_TOKEN: 'rotated-token' } } }));
      expect(half.message).toContain('environment variable UPSTREAM');
      expect(half.message).not.toContain('API_TOKEN');
      expect(half.message).not.toContain('rotated-token');
      expect(await docker.docker(['ps', '-aq', '--filter', 'name=shop-web'])).toBe('');

      // The rotated credential comes from a secret param, resolved by the action in the worker.
      const overrides = {
        env: { API_TOKEN: 'rotated-token', FIXED: 'yes' },
        dropEnv: ['UPSTREAM'],
        labels: { tier: 'web-fixed', team: null },
      };
      const result = await provider.redeploy({ target, artefact, overrides });
      const replacement = result.target.id;
      expect(result.target).toMatchObject({ name: 'shop-web', state: 'running', image: { digest: good.digest, pinned: good.ref } });
      // Pinned with the rotated credential redacted again: it does not go into workflow history.
      expect(JSON.stringify(result)).not.toContain('rotated-token');
      expect(result.target.spec).toMatchObject({ redacted: ['env:API_TOKEN'] });
      // The exact image pulled by digest.
      const pulled = JSON.parse(await docker.docker(['image', 'inspect', '--format', '{{json .Id}}', good.ref])) as string;
      expect(await inspect<string>('.Image', replacement)).toBe(pulled);
      expect(await inspect<string[]>('.Config.Cmd', replacement)).toEqual(['sh', '-c', `sh ${IMPLANT} & exec sleep 600`]);
      const env = await inspect<string[]>('.Config.Env', replacement);
      expect(env).toEqual(expect.arrayContaining(['LANG=C', 'API_TOKEN=rotated-token', 'FIXED=yes']));
      expect(env.some((entry) => entry.startsWith('UPSTREAM='))).toBe(false);
      expect(await inspect<Record<string, string>>('.Config.Labels', replacement)).toEqual({
        tier: 'web-fixed',
        'firebreak.replaces': id,
      });
      expect(await inspect<string>('.Config.User', replacement)).toBe('1000:1000');
      expect(await inspect<{ Name: string }>('.HostConfig.RestartPolicy', replacement)).toMatchObject({ Name: 'unless-stopped' });
      // The original networks (not the quarantine state), with the alias and the static address.
      const networks = await inspect<Record<string, { Aliases: string[] | null; IPAddress: string }>>('.NetworkSettings.Networks', replacement);
      expect(Object.keys(networks)).toEqual([network]);
      expect(networks[network]).toMatchObject({ IPAddress: '192.0.2.200' });
      expect(networks[network]!.Aliases).toContain('shop');
      expect(await inspect<Array<{ Name: string; Destination: string }>>('.Mounts', replacement)).toEqual([
        expect.objectContaining({ Name: 'fb-shop-data', Destination: '/data' }),
      ]);

      // Retried: the replacement found by its label, not a second one.
      const again = await provider.redeploy({ target, artefact, overrides });
      expect(again.target.id).toBe(replacement);
      expect((await docker.docker(['ps', '-aq', '--filter', `label=firebreak.replaces=${id}`])).trim().split('\n')).toHaveLength(1);

      // Indicators: the implant is absent from the replacement (its process too, though the command runs it).
      const found = await provider.indicators({
        target: result.target,
        indicators: [
          { kind: 'file', path: IMPLANT },
          { kind: 'hash', path: IMPLANT, sha256: sha256(IMPLANT_CONTENT) },
          { kind: 'process', pattern: 'sleep 4242' },
        ],
      });
      expect(found.findings.map((f) => f.present)).toEqual([false, false, false]);
      expect(found.findings[0]!.detail).toBe(`${IMPLANT} does not exist`);
      await docker.docker(['rm', '-f', replacement]);
    }, 120_000);

    it('a retried redeploy joins the networks an interrupted attempt did not, and starts the replacement', async () => {
      const { docker, provider, network, other } = context();
      const { fixed: good } = await images();
      const id = (await docker.docker(['run', '-d', '--name', 'shop-api', '--network', network, good.tag, 'sleep', '600'])).trim();
      await docker.docker(['network', 'connect', '--alias', 'api', other, id]);
      const target = await pin(id);
      await provider.destroy({ target, gracePeriodSeconds: 0 });
      const artefact = { kind: 'image', ref: good.ref };
      const first = await provider.redeploy({ target, artefact });
      expect(first.target.networks.map((n) => n.name)).toEqual([network, other].sort());
      // The state an attempt leaves when it dies after creating the replacement, before joining the second network.
      await docker.docker(['stop', '-t', '0', first.target.id]);
      await docker.docker(['network', 'disconnect', other, first.target.id]);
      const retried = await provider.redeploy({ target, artefact });
      expect(retried.target).toMatchObject({ id: first.target.id, state: 'running' });
      expect(retried.target.networks.map((n) => n.name)).toEqual([network, other].sort());
      expect(retried.target.networks.find((n) => n.name === other)!.aliases).toContain('api');
      // Only the networks asked for.
      await docker.docker(['rm', '-f', first.target.id]);
      const narrowed = await provider.redeploy({ target, artefact, overrides: { networks: [other] } });
      expect(narrowed.target.networks.map((n) => n.name)).toEqual([other]);
      expect((await failure(provider.redeploy({ target, artefact, overrides: { networks: ['elsewhere'] } }))).message).toContain(
        'elsewhere not among the original',
      );
      await docker.docker(['rm', '-f', narrowed.target.id]);
      // A tag before the digest is checked against the registry: refused when it names other content.
      const { compromised: bad } = await images();
      const mismatch = await failure(provider.redeploy({ target, artefact: { kind: 'image', ref: `${good.tag}@${bad.digest}` } }));
      expect(mismatch.code).toBe(ErrorCode.InvalidInput);
      expect(mismatch.message).toContain(`the tag fixed names ${good.digest} in the registry, not ${bad.digest}`);
      expect(await docker.docker(['ps', '-aq', '--filter', `label=firebreak.replaces=${id}`])).toBe('');
      const tagged = await provider.redeploy({ target, artefact: { kind: 'image', ref: `${good.tag}@${good.digest}` } });
      expect(tagged.target.image).toMatchObject({ digest: good.digest, pinned: good.ref });
      await docker.docker(['rm', '-f', tagged.target.id]);
    }, 60_000);

    it('finds the planted file, its hash and the marked process on the compromised container, streaming the hash under a cap', async () => {
      const { docker, provider } = context();
      const { compromised: bad } = await images();
      // A long command line: the marker past 200 characters is still found (ps is not cut to a terminal's width).
      const padding = 'x'.repeat(200);
      const id = (
        await docker.docker(['run', '-d', '--network', 'none', bad.tag, 'sh', '-c', `sh ${IMPLANT} & sleep 600; wait`, padding, 'MARKER-7f3'])
      ).trim();
      const target = await pin(id);
      const result = await provider.indicators({
        target,
        indicators: [
          { kind: 'file', path: IMPLANT },
          { kind: 'hash', path: IMPLANT, sha256: sha256(IMPLANT_CONTENT).toUpperCase() },
          { kind: 'process', pattern: 'sleep 4242' },
          { kind: 'process', pattern: '.*' },
          { kind: 'hash', path: '/opt/app', sha256: '0'.repeat(64) },
          { kind: 'process', pattern: 'MARKER-7f3' },
        ],
      });
      expect(result.findings.map((f) => f.present)).toEqual([true, true, true, false, false, true]);
      expect(result.findings[0]!.detail).toBe(`${IMPLANT} exists`);
      expect(result.findings[1]!.detail).toBe(`${IMPLANT}: sha256 matches`);
      expect(result.findings[2]!.detail).toMatch(/^1 of \d+ processes match$/);
      expect(result.findings[4]!.detail).toBe('/opt/app is a directory, not a file');

      // Links: a hash follows them to the file; a file indicator counts a link even when it leads nowhere.
      await docker.docker(['exec', id, '/bin/busybox', 'ln', '-s', IMPLANT, '/tmp/innocent']);
      await docker.docker(['exec', id, '/bin/busybox', 'ln', '-s', 'gone.sh', '/opt/app/dangling']);
      const linked = await provider.indicators({
        target,
        indicators: [
          { kind: 'hash', path: '/tmp/innocent', sha256: sha256(IMPLANT_CONTENT) },
          { kind: 'file', path: '/opt/app/dangling' },
          { kind: 'hash', path: '/opt/app/dangling', sha256: sha256(IMPLANT_CONTENT) },
        ],
      });
      expect(linked.findings.map((f) => [f.present, f.detail])).toEqual([
        [true, `/tmp/innocent (a link to ${IMPLANT}): sha256 matches`],
        [true, '/opt/app/dangling (a link to /opt/app/gone.sh) exists'],
        [false, '/opt/app/dangling does not exist (or a link in it leads nowhere)'],
      ]);

      const capped = createDockerProvider({
        name: 'capped',
        connection: { host: docker.host, timeoutMs: 30_000 },
        secrets: createSecretResolver({ env: {}, baseDir: '/' }),
        hashLimitBytes: 16,
      });
      const error = await failure(capped.indicators({ target, indicators: [{ kind: 'hash', path: IMPLANT, sha256: '0'.repeat(64) }] }));
      expect(error.code).toBe(ErrorCode.InvalidInput);
      expect(error.message).toContain(`${IMPLANT} is ${IMPLANT_CONTENT.length} bytes, over the 16-byte limit`);

      // A stopped container: files are still there; processes are not.
      await docker.docker(['stop', '-t', '0', id]);
      const stopped = await provider.indicators({ target, indicators: [{ kind: 'file', path: IMPLANT }, { kind: 'process', pattern: 'sleep' }] });
      expect(stopped.findings.map((f) => f.present)).toEqual([true, false]);
      expect(stopped.findings[1]!.detail).toBe('container is exited: no processes');
    }, 60_000);

    it("waits for the container's healthcheck: healthy, unhealthy, none (running counts) and not running", async () => {
      const { docker, provider } = context();
      const { fixed: image } = await images();
      const run = async (args: readonly string[], command: readonly string[]) =>
        pin((await docker.docker(['run', '-d', '--network', 'none', ...args, image.tag, ...command])).trim());
      const check = ['--health-cmd', 'test -f /tmp/ready', '--health-interval', '1s', '--health-retries', '1', '--health-start-period', '0s'];
      const healthy = await run(check, ['sh', '-c', 'touch /tmp/ready; exec sleep 600']);
      expect(await provider.health({ target: healthy, timeoutMs: 30_000 })).toMatchObject({ healthy: true, detail: expect.stringMatching(/^healthcheck: healthy/) as string });
      const sick = await run(check, ['sleep', '600']);
      const unhealthy = await provider.health({ target: sick, timeoutMs: 30_000 });
      expect(unhealthy).toMatchObject({ healthy: false });
      expect(unhealthy.detail).toMatch(/^healthcheck: unhealthy \(failing \d+ times in a row, last check exited 1\)/);
      const plain = await run([], ['sleep', '600']);
      const none = await provider.health({ target: plain });
      expect(none).toMatchObject({ healthy: true });
      expect(none.detail).toContain('no healthcheck');
      await docker.docker(['stop', '-t', '0', plain.id]);
      expect(await provider.health({ target: plain })).toMatchObject({ healthy: false, detail: expect.stringMatching(/^not running: exited/) as string });
      expect((await failure(provider.health({ target: plain, timeoutMs: -1 }))).code).toBe(ErrorCode.InvalidInput);
    }, 90_000);

    it('probes over HTTP on loopback only, never following a redirect, and refuses any other host before contacting it', async () => {
      const { docker, provider } = context();
      const { fixed: image } = await images();
      const port = await freePort();
      const id = (
        await docker.docker(['run', '-d', '--network', 'host', image.tag, 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/www'])
      ).trim();
      const target = await pin(id);
      const base = `http://127.0.0.1:${port}`;
      const ok = await provider.health({ target, probe: { url: `${base}/index.html` }, timeoutMs: 15_000 });
      expect(ok).toEqual({ targetId: id, healthy: true, detail: `GET ${base}/index.html: HTTP 200` });
      const missing = await provider.health({ target, probe: { url: `${base}/missing` }, timeoutMs: 1_000 });
      expect(missing).toMatchObject({ healthy: false });
      expect(missing.detail).toMatch(/HTTP 404, expected 2xx \(no verdict after 1 s\)$/);
      expect(await provider.health({ target, probe: { url: `${base}/missing`, expectStatus: 404 } })).toMatchObject({ healthy: true });
      // busybox httpd redirects a folder without its slash: the answer, not followed.
      const moved = await provider.health({ target, probe: { url: `http://localhost:${port}/sub` }, timeoutMs: 1_000 });
      expect(moved.healthy).toBe(false);
      expect(moved.detail).toMatch(/HTTP 30\d, a redirect \(not followed\) to/);
      for (const url of ['http://192.0.2.1/', 'http://metadata.google.internal/', 'file:///etc/passwd', `http://u:p@127.0.0.1:${port}/`, 'not a url']) {
        const error = await failure(provider.health({ target, probe: { url } }));
        expect(error.code).toBe(ErrorCode.InvalidInput);
      }
      const allowed = createDockerProvider({
        name: 'allowing',
        connection: { host: docker.host, timeoutMs: 30_000 },
        secrets: createSecretResolver({ env: {}, baseDir: '/' }),
        healthAllowHosts: ['127.0.0.2'],
      });
      // Allowed by the config, so it is tried (a loopback address where nothing listens: unhealthy, not refused).
      const closed = `http://127.0.0.2:${await freePort()}/`;
      expect((await failure(provider.health({ target, probe: { url: closed } }))).code).toBe(ErrorCode.InvalidInput);
      const tried = await allowed.health({ target, probe: { url: closed }, timeoutMs: 0 });
      expect(tried.healthy).toBe(false);
      expect(tried.detail).toBe(`GET ${closed}: no answer (ECONNREFUSED) (no verdict after 0 s)`);
      await docker.docker(['rm', '-f', id]);
    }, 60_000);
  });
}
