/**
 * A throwaway Docker Engine for the burn-down tabletop (README, "A container burned down"): the test
 * harness's own daemon (harness/docker.ts: its own data root and socket, `--bridge=none
 * --iptables=false`, a registry on 127.0.0.1), two images pushed there so they have digests, `shop:v1`
 * with a planted implant and `shop:v2` without, and a "compromised" container `shop-1` of v1 on an
 * internal network in a documentation-only range (no traffic goes anywhere).
 *
 *   npx tsx scripts/tabletop-docker.ts start   # starts it in the background (needs root)
 *   npx tsx scripts/tabletop-docker.ts stop    # stops it and removes everything it wrote
 *
 * `start` writes, in `.firebreak-burn-down/`: `firebreak.yaml` (the Docker provider on that socket, the
 * evidence store, and two people who may approve, with tokens for the tabletop only), `images.env` (IMAGE
 * and FIXED, both by digest, for the trigger) and the daemon's pid; the daemon's log is `tabletop.log`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerMissing, startDocker } from '../harness/docker.js';

const STATE = path.resolve('.firebreak-burn-down');
const PID = path.join(STATE, 'tabletop.pid');
const READY = path.join(STATE, 'images.env');
const LOG = path.join(STATE, 'tabletop.log');
/** Tokens for the tabletop's two approvers: made up, for this throwaway setup only. */
const TOKENS = { alice: 'tabletop-alice-token', bob: 'tabletop-bob-token' } as const;
const IMPLANT = '/opt/evil/implant.sh';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function running(): number | undefined {
  if (!existsSync(PID)) return undefined;
  const pid = Number(readFileSync(PID, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Starts `serve` in the background and waits until it says the images and the container are ready. */
async function start(): Promise<void> {
  const missing = dockerMissing();
  if (missing !== undefined) throw new Error(`cannot start the tabletop Docker Engine: ${missing}`);
  if (running() !== undefined) throw new Error(`already running (pid in ${PID}): stop it first`);
  rmSync(READY, { force: true });
  mkdirSync(STATE, { recursive: true, mode: 0o700 });
  const log = openSync(LOG, 'w');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  writeFileSync(PID, String(child.pid));
  const deadline = Date.now() + 180_000;
  while (!existsSync(READY)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the tabletop Docker Engine did not start: see ${path.relative(process.cwd(), LOG)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  say(readFileSync(path.join(STATE, 'summary.txt'), 'utf8').trimEnd());
}

/** The daemon, images and container; runs until SIGTERM or SIGINT, then removes everything. */
async function serve(): Promise<void> {
  const docker = await startDocker();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await docker.stop();
    rmSync(PID, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await docker.docker(['network', 'create', '--internal', '--subnet', '192.0.2.0/24', 'shop-net']);
  const compromised = await docker.image('shop', 'v1', { 'opt/app/README': 'shop v1\n', [IMPLANT.slice(1)]: 'mine()\n' });
  const fixed = await docker.image('shop', 'v2', { 'opt/app/README': 'shop v2\n' });
  const id = (
    await docker.docker(['run', '-d', '--name', 'shop-1', '--network', 'shop-net', compromised.ref, 'sleep', '86400'])
  ).trim();
  writeFileSync(
    path.join(STATE, 'firebreak.yaml'),
    [
      '# Written by scripts/tabletop-docker.ts for the burn-down tabletop; removed by its `stop`.',
      'runbooks: { dirs: [../runbooks, ../examples/runbooks] }',
      'templates: { dirs: [../templates] }',
      'actions: { command: { scriptsDir: ../scripts/actions } }',
      'users:',
      `  - { id: alice, email: alice@example.com, roles: [commander], token: 'sha256:${sha256(TOKENS.alice)}' }`,
      `  - { id: bob, email: bob@example.com, roles: [security], token: 'sha256:${sha256(TOKENS.bob)}' }`,
      'infra:',
      '  providers:',
      `    docker: { kind: docker, host: "${docker.host}" }`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(STATE, 'summary.txt'),
    [
      `Docker Engine  ${docker.host} (its own data root; no bridge, no iptables)`,
      `Registry       ${docker.registry}`,
      `Compromised    shop-1 (${id.slice(0, 12)}) runs ${compromised.ref}, with ${IMPLANT} planted`,
      `Fixed image    ${fixed.ref}`,
      `Config         .firebreak-burn-down/firebreak.yaml (approvers alice and bob: tokens ${TOKENS.alice}, ${TOKENS.bob})`,
      '',
    ].join('\n'),
  );
  // Last: its presence tells `start` that everything is ready.
  writeFileSync(READY, `IMAGE=${compromised.ref}\nFIXED=${fixed.ref}\n`);
  await new Promise<never>(() => undefined);
}

/** Stops `serve` and waits until it has removed what it wrote. */
async function stopServing(): Promise<void> {
  const pid = running();
  if (pid === undefined) {
    say('the tabletop Docker Engine is not running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (running() !== undefined) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not stop within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const file of ['firebreak.yaml', 'images.env', 'summary.txt']) rmSync(path.join(STATE, file), { force: true });
  say('the tabletop Docker Engine is stopped and its containers, images and volumes are gone');
}

const command = process.argv[2];
try {
  if (command === 'start') await start();
  else if (command === 'stop') await stopServing();
  else if (command === 'serve') await serve();
  else throw new Error('usage: tabletop-docker.ts start|stop');
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
