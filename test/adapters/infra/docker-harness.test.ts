/**
 * The Docker harness the infrastructure tests stand on (harness/docker.ts): a daemon of its own with no
 * bridge and no firewall rules, a registry on loopback that gives images digests, busybox images with
 * planted files, containers with no network but loopback, and nothing left behind when it stops.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerMissing, startDocker, type TestDocker } from '../../../harness/docker.js';

const missing = dockerMissing();

describe.skipIf(missing !== undefined)(`the Docker test harness${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let docker: TestDocker;
  beforeAll(async () => {
    docker = await startDocker();
  }, 120_000);
  afterAll(async () => {
    await docker?.stop();
  });

  it('pushes a busybox image with a planted file and pins it by the digest the registry gave', async () => {
    const image = await docker.image('compromised', 'v1', { 'opt/app/backdoor.sh': 'echo pwned\n' });
    expect(image.tag).toBe(`${docker.registry}/compromised:v1`);
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.ref).toBe(`${docker.registry}/compromised@${image.digest}`);
    // The registry serves that manifest under that digest.
    const manifest = await fetch(`http://${docker.registry}/v2/compromised/manifests/${image.digest}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(image.digest);

    const out = await docker.docker(['run', '--rm', '--network', 'none', image.ref, 'cat', '/opt/app/backdoor.sh']);
    expect(out).toBe('echo pwned\n');
  }, 120_000);

  it('runs containers with no network but loopback, and creates no bridge', async () => {
    const image = await docker.image('service', 'v1');
    const id = (
      await docker.docker(['run', '-d', '--network', 'none', '--label', 'firebreak.test=1', image.ref, 'sleep', '600'])
    ).trim();
    const networks = JSON.parse(
      await docker.docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id]),
    ) as Record<string, { IPAddress: string }>;
    expect(Object.keys(networks)).toEqual(['none']);
    expect(networks.none?.IPAddress).toBe('');
    const names = (await docker.docker(['network', 'ls', '--format', '{{.Name}}'])).trim().split('\n').sort();
    expect(names).toEqual(['host', 'none']);
    const labelled = (await docker.docker(['ps', '-q', '--no-trunc', '--filter', 'label=firebreak.test=1'])).trim();
    expect(labelled).toBe(id);
    await docker.docker(['rm', '-f', id]);
  }, 120_000);

  it('leaves nothing behind when it stops: no daemon, no mounts, no directory', async () => {
    const second = await startDocker();
    const dir = path.dirname(second.socket);
    await second.docker(['run', '--rm', '--network', 'none', (await second.image('probe', 'v1')).ref, 'true']);
    await second.stop();
    expect(existsSync(dir)).toBe(false);
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    expect(mounts).not.toContain(dir);
  }, 180_000);
});
