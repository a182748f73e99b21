/**
 * A throwaway Docker Engine for the infrastructure tests and benches, and a registry beside it so images
 * have digests. Debian's `dockerd` (installed by scripts/bootstrap.sh) is started as root with its own data
 * root, exec root, pid file and unix socket in a temporary directory, with `--bridge=none --iptables=false`:
 * it creates no network interface and touches no firewall rule of the host. Containers get no network but
 * loopback unless a test creates an internal one. Debian's `docker-registry` listens on a free loopback port
 * (a registry on 127.0.0.0/8 needs no TLS: the daemon treats it as insecure by default). No image registry
 * is reachable from these machines, so test images are made here: a root filesystem of Debian's
 * busybox-static (plus the files a test plants) brought in with `docker import` and pushed to that registry.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../src/temporal/dev-server.js';

const run = promisify(execFile);

/** Where Debian's packages put what the harness runs. */
export const DOCKER_TOOLS = {
  dockerd: '/usr/sbin/dockerd',
  /** Debian's client, which speaks the API version of Debian's daemon. */
  docker: '/usr/bin/docker',
  registry: '/usr/bin/docker-registry',
  busybox: '/bin/busybox',
} as const;

/** The busybox applets linked into every test image. */
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'sleep', 'ps', 'sha256sum', 'wget', 'httpd', 'touch', 'rm', 'mkdir', 'true'];

/** An image pushed to the test registry. */
export interface TestImage {
  /** `127.0.0.1:<port>/<name>:<tag>` */
  tag: string;
  /** `sha256:<hex>`, the manifest digest the registry gave. */
  digest: string;
  /** `127.0.0.1:<port>/<name>@sha256:<hex>`: the image by digest, as a redeploy names it. */
  ref: string;
}

/** A running throwaway engine and registry. */
export interface TestDocker {
  /** The daemon's unix socket. */
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST. */
  host: string;
  /** `127.0.0.1:<port>` of the registry. */
  registry: string;
  /** Runs the Docker client against this daemon; resolves with its stdout, rejects with its stderr. */
  docker(args: readonly string[], input?: Buffer): Promise<string>;
  /**
   * Builds a busybox image with `files` planted (path in the image -> content), tags it
   * `<registry>/<name>:<tag>`, pushes it and returns it with its digest.
   */
  image(name: string, tag: string, files?: Readonly<Record<string, string>>): Promise<TestImage>;
  /** Stops the daemon and the registry and removes everything they wrote. */
  stop(): Promise<void>;
}

/** What is missing for a Docker test on this machine, or undefined when it can run. */
export function dockerMissing(): string | undefined {
  const missing = Object.values(DOCKER_TOOLS).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    return `missing ${missing.join(', ')}: run bash scripts/bootstrap.sh as root (installs docker.io, docker-registry, busybox-static)`;
  }
  if (userInfo().uid !== 0) return 'the Docker tests start their own dockerd, which needs root';
  return undefined;
}

/** Starts a daemon and a registry in a new temporary directory. */
export async function startDocker(): Promise<TestDocker> {
  const problem = dockerMissing();
  if (problem !== undefined) throw new Error(`cannot start Docker: ${problem}`);
  // Short: the socket path (and containerd's, under the exec root) must fit in 108 bytes.
  const dir = mkdtempSync(path.join(tmpdir(), 'fbdk-'));
  const socket = path.join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const processes: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.map((child) => stopProcess(child)));
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    processes.push(
      spawnLogged(
        DOCKER_TOOLS.dockerd,
        [
          ...['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec')],
          ...['--pidfile', path.join(dir, 'docker.pid'), '--host', host],
          ...['--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false'],
          ...['--userland-proxy=false', '--log-level=warn'],
        ],
        path.join(dir, 'dockerd.log'),
      ),
    );
    const docker = (args: readonly string[], input?: Buffer) => client(host, args, input);
    await waitFor(() => docker(['version', '--format', '{{.Server.Version}}']), `dockerd (log: ${dir}/dockerd.log)`);

    const port = await freePort();
    const registry = `127.0.0.1:${port}`;
    const config = path.join(dir, 'registry.yml');
    writeFileSync(
      config,
      `version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: ${path.join(dir, 'registry')} } }\nhttp: { addr: "${registry}" }\n`,
    );
    processes.push(spawnLogged(DOCKER_TOOLS.registry, ['serve', config], path.join(dir, 'registry.log')));
    await waitFor(async () => {
      const response = await fetch(`http://${registry}/v2/`);
      if (!response.ok) throw new Error(`registry answered ${response.status}`);
    }, `docker-registry (log: ${dir}/registry.log)`);

    return {
      socket,
      host,
      registry,
      docker,
      image: (name, tag, files = {}) => buildImage(docker, dir, registry, name, tag, files),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function client(host: string, args: readonly string[], input?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      DOCKER_TOOLS.docker,
      [...args],
      { env: { PATH: process.env.PATH ?? '', DOCKER_HOST: host, HOME: tmpdir() }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`docker ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function buildImage(
  docker: TestDocker['docker'],
  dir: string,
  registry: string,
  name: string,
  tag: string,
  files: Readonly<Record<string, string>>,
): Promise<TestImage> {
  const rootfs = mkdtempSync(path.join(dir, 'rootfs-'));
  for (const folder of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev']) mkdirSync(path.join(rootfs, folder));
  writeFileSync(path.join(rootfs, 'bin', 'busybox'), readFileSync(DOCKER_TOOLS.busybox), { mode: 0o755 });
  for (const applet of APPLETS) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(rootfs, path.normalize(`/${file}`));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const { stdout: tar } = await run('tar', ['-C', rootfs, '-c', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  rmSync(rootfs, { recursive: true, force: true });
  const tagged = `${registry}/${name}:${tag}`;
  await docker(['import', '--change', 'CMD ["/bin/sh"]', '-', tagged], tar);
  await docker(['push', '--quiet', tagged]);
  const digests = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', tagged])) as string[];
  const ref = digests.find((entry) => entry.startsWith(`${registry}/${name}@`));
  if (ref === undefined) throw new Error(`no digest for ${tagged} after the push: ${JSON.stringify(digests)}`);
  return { tag: tagged, ref, digest: ref.slice(ref.indexOf('@') + 1) };
}

function spawnLogged(file: string, args: readonly string[], log: string): ChildProcess {
  writeFileSync(log, '');
  const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk: Buffer) => writeFileSync(log, chunk, { flag: 'a' });
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Unmounts what a daemon that did not shut down cleanly left mounted under `dir` (overlays, shm, netns). */
function unmountUnder(dir: string): void {
  let mounts: string[];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((point) => point.startsWith(`${dir}/`));
  } catch {
    return;
  }
  // Deepest first.
  for (const point of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Best effort: rmSync below reports what is still busy.
    }
  }
}

async function waitFor(check: () => Promise<unknown>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not start in ${timeoutMs / 1000} s: ${last instanceof Error ? last.message : String(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
