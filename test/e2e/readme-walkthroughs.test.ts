/**
 * The README walkthroughs, run command by command as they are written there: an incident driven from the
 * CLI (the tabletop), a breach notice approved word for word, backups with a nightly restore drill of
 * a PostgreSQL database this test starts and seeds, a container burned down on the throwaway Docker
 * Engine of scripts/tabletop-docker.ts (when Docker and root are there), and the monthly lessons-learned review's schedule. A README change that breaks a command fails here,
 * naming the README line of that command.
 *
 * How the README is read (`readmeCommands`): the ```sh blocks of a section, one command per line (a `\`
 * continues it, a heredoc runs to its terminator), comment lines skipped (they show output). A command
 * must exit 0 unless its comment says `exits N`. A `<placeholder>` is what a reader fills in, from the
 * output of an earlier command or from their own systems (`PLACEHOLDERS`); an unknown one fails.
 *
 * How it is run: `npm run build` once, then each command in bash (`set -uo pipefail`) with the shell
 * variables of the earlier commands of the walkthrough carried forward, `npx firebreak` being the built
 * CLI. The working directory is a scratch view of the repository (a symlink to each top-level entry), so
 * what the walkthroughs create (`firebreak.yaml`, `.firebreak/`, `.firebreak-tabletop/`) stays out of the
 * clone and out of other tests that start Firebreak there. The test owns the ports: `npm start [-- args]`
 * runs as `npx firebreak dev [args]` in the background with `--port`, `--temporal-port` and `--ui-port` on
 * free ports, the ports the README names (8080/8081, 7233/7234, 8233/8234) are read as those, and
 * `FIREBREAK_URL` points at the API as the README's environment section documents. After `schedule
 * trigger`, the test waits, as a reader would, for the run it started to finish.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import PostalMime, { type Email } from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderedChannel } from '../../src/domain/state.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { eventually } from '../support/poll.js';
import { dockerMissing } from '../../harness/docker.js';
import { startPostgres, type TestPostgres } from '../../harness/postgres.js';
import { README, readmeCommands, serverCommand, type ReadmeCommand } from '../support/readme-commands.js';
import { firebreak, ROOT } from '../unit/docs/shell-commands.js';

const run = promisify(execFile);
/** Each walkthrough starts a Firebreak (Temporal dev server, worker, API) and runs a CLI process per command. */
const WALKTHROUGH_TIMEOUT = 480_000;
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

let pg: TestPostgres | undefined;
let mirror = '';
let ports = { api: 0, temporal: 0, ui: 0 };
let dev: { child: ChildProcess; output: () => string } | undefined;
const baseEnv: NodeJS.ProcessEnv = {};

/** What a reader fills in for each placeholder: the value, from the outputs of earlier commands, newest first. */
const PLACEHOLDERS: Record<string, (outputs: string[]) => string | undefined> = {
  '<its hash>': (outputs) => newest(outputs, /^ {2}hash: (\S+)$/m),
  '<its fingerprint>': (outputs) => newest(outputs, /\b(sha256:[0-9a-f]{64})\b/),
  '<its short fingerprint>': (outputs) => newest(outputs, /\b(sha256:[0-9a-f]{16}…)/),
  '<the orders database>': () => pg?.urlFor('orders'),
  '<a scratch server>': () => pg?.url,
};

function newest(outputs: string[], pattern: RegExp): string | undefined {
  for (const output of [...outputs].reverse()) {
    const found = pattern.exec(output)?.[1];
    if (found !== undefined) return found;
  }
  return undefined;
}

/** One walkthrough's shell: variables carried from command to command, outputs kept for placeholders. */
class Walkthrough {
  readonly outputs: string[] = [];
  private readonly state: string;

  constructor(name: string, initial = '') {
    this.state = path.join(mirror, `.walkthrough-${name}.sh`);
    writeFileSync(this.state, initial);
  }

  /** Runs every command of `blocks` in order. */
  async runAll(blocks: ReadmeCommand[][]): Promise<void> {
    for (const command of blocks.flat()) await this.run(command);
  }

  /** Runs one command (a server in the background), failing with its README line when it does not do as written. */
  async run(command: ReadmeCommand): Promise<string> {
    const where = `${README}:${command.line}`;
    const text = this.fill(command, where).replace(/\b(8080|8081|7233|7234|8233|8234)\b/g, (port) => mapPort(port));
    const server = serverCommand(text);
    if (server !== undefined) {
      await stopDev();
      dev = await startDev(
        `${this.prelude()}${server} --port ${ports.api} --temporal-port ${ports.temporal} --ui-port ${ports.ui}`,
        where,
      );
      return dev.output();
    }
    const script = `${this.prelude()}${text}\n__rc=$?\n${this.saveState()}\nexit $__rc\n`;
    const result = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      // A command that hangs is killed with its process group (and fails as exiting null), so nothing it
      // started outlives the test.
      const child = spawn('bash', ['-c', script], {
        cwd: mirror,
        env: baseEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 180_000);
      child.once('close', () => clearTimeout(timer));
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('close', (code) => resolve({ code, out, err }));
    });
    this.outputs.push(result.out);
    if (result.code !== command.exit) {
      throw new Error(
        `${where}: \`${command.text}\` exited ${result.code}, the README says ${command.exit}\n` +
          `stdout:\n${result.out}\nstderr:\n${result.err}`,
      );
    }
    return result.out;
  }

  /** A shell variable the walkthrough set (`ID`). */
  variable(name: string): string {
    const found = new RegExp(`^declare -[-a-zA-Z]* ${name}="(.*)"$`, 'm').exec(readFileSync(this.state, 'utf8'));
    if (!found?.[1]) throw new Error(`the walkthrough set no ${name}`);
    return found[1];
  }

  private fill(command: ReadmeCommand, where: string): string {
    return command.text.replace(/<[a-z][^<>\n]*>/g, (placeholder) => {
      const fill = Object.hasOwn(PLACEHOLDERS, placeholder) ? PLACEHOLDERS[placeholder] : undefined;
      if (fill === undefined) throw new Error(`${where}: unknown placeholder ${placeholder} in \`${command.text}\``);
      const value = fill(this.outputs);
      if (value === undefined) throw new Error(`${where}: no earlier output gives ${placeholder}`);
      return `'${value}'`;
    });
  }

  // `npx firebreak` is the CLI `npm run build` made (the test checks once that npx finds the same).
  private prelude(): string {
    return [
      'set -uo pipefail',
      '__base=" $(compgen -v | tr "\\n" " ") "',
      `source ${this.state}`,
      `npx() { if [ "\${1-}" = firebreak ]; then shift; node ${CLI} "$@"; else command npx "$@"; fi; }`,
      '',
    ].join('\n');
  }

  private saveState(): string {
    return (
      'for __v in $(compgen -v); do case "$__base" in *" $__v "*) continue;; esac; ' +
      `case "$__v" in __*) continue;; esac; declare -p "$__v"; done > ${this.state}`
    );
  }
}

function mapPort(port: string): string {
  if (port === '8080' || port === '8081') return String(ports.api);
  if (port === '7233' || port === '7234') return String(ports.temporal);
  return String(ports.ui);
}

/** Starts a Firebreak in its own process group and resolves once its banner is printed. */
async function startDev(script: string, where: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('bash', ['-c', script], {
    cwd: mirror,
    env: baseEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => out.includes('Firebreak is running.') && (clearInterval(timer), resolve()), 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`${where}: Firebreak exited with ${code} before it was running:\n${out}`));
    });
  });
  return { child, output: () => out };
}

/** Stops the running Firebreak with Ctrl-C (SIGINT to its process group), then SIGKILL after 30s. */
async function stopDev(): Promise<void> {
  const child = dev?.child;
  dev = undefined;
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGINT');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** The CLI in-process against the running Firebreak, for assertions beyond what the README prints. */
async function cliJson<T>(args: string[], dataDir: string): Promise<T> {
  const env = { FIREBREAK_URL: `http://127.0.0.1:${ports.api}`, FIREBREAK_DATA_DIR: path.join(mirror, dataDir) };
  const result = await firebreak([...args, '--json'], mirror, env);
  if (result.code !== 0) throw new Error(`firebreak ${args.join(' ')}: ${result.err}`);
  return JSON.parse(result.out) as T;
}

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 300_000 });
  mirror = mkdtempSync(path.join(tmpdir(), 'firebreak-readme-'));
  for (const entry of readdirSync(ROOT)) {
    if (entry === '.git' || entry === 'firebreak.yaml' || entry.startsWith('.firebreak')) continue;
    symlinkSync(path.join(ROOT, entry), path.join(mirror, entry));
  }
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
  pg = await startPostgres();
  await pg.sql('postgres', 'CREATE DATABASE orders');
  await pg.sql(
    'orders',
    'CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);' +
      "INSERT INTO customers SELECT n, 'c' || n || '@example.com' FROM generate_series(1, 500) n;" +
      'CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers, total numeric);' +
      'INSERT INTO orders SELECT n, 1 + n % 500, n * 1.5 FROM generate_series(1, 2000) n;',
  );
  // The environment of the terminals: the machine's, without Firebreak's own variables (the walkthroughs
  // set those), and with the test server's pg_dump first on PATH as docs/backups.md asks.
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('FIREBREAK_')) baseEnv[name] = value;
  baseEnv.PATH = `${pg.binDir}:${process.env.PATH ?? ''}`;
}, 600_000);

afterAll(async () => {
  await stopDev();
  await pg?.stop();
  if (mirror !== '') rmSync(mirror, { recursive: true, force: true });
}, 120_000);

describe('the README walkthroughs, as written', () => {
  it('npx firebreak from the clone is the CLI the build made', async () => {
    const { stdout } = await run('npx', ['firebreak', '--version'], { cwd: ROOT });
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toContain(version);
  });

  it(
    'an incident, driven from the CLI: the tabletop completes with its deadline met',
    async () => {
      // Step 1 offers `npm start -- --runbooks examples/runbooks` or, beside it, a second Firebreak: the
      // second block, with its exports for terminal 2, is the one run here (the first starts the breach notice).
      const [, beside, drive] = readmeCommands('An incident, driven from the CLI');
      if (!beside || !drive) throw new Error('the walkthrough lost a block');
      const shell = new Walkthrough('tabletop');
      await shell.runAll([beside, drive]);
      const shown = shell.outputs.at(-1) ?? '';
      expect(shown).toMatch(/completed/);
      const { incident } = await cliJson<{
        incident: { status: string; deadlines: Record<string, { status: string }> };
      }>(['incident', 'show', shell.variable('ID')], '.firebreak-tabletop');
      expect(incident.status).toBe('completed');
      expect(Object.values(incident.deadlines).map((deadline) => deadline.status)).toEqual(['met']);
      await stopDev();
    },
    WALKTHROUGH_TIMEOUT,
  );

  it(
    'a breach notice, approved word for word: both notices sent as approved, with the README caveats, and on the status page',
    async () => {
      const [start] = readmeCommands('An incident, driven from the CLI');
      const blocks = readmeCommands('A breach notice, approved word for word');
      if (!start?.[0]) throw new Error('the walkthrough lost its npm start');
      // "With npm start running": the npm start of the walkthrough above, which loads ./runbooks too.
      const shell = new Walkthrough('breach', `export FIREBREAK_URL=http://127.0.0.1:${ports.api}\n`);
      await shell.run(start[0]);
      await shell.runAll(blocks);

      const id = shell.variable('ID');
      const outbox = path.join(mirror, '.firebreak/outbox');
      const mails = await Promise.all(
        readdirSync(outbox)
          .filter((file) => file.endsWith('.eml'))
          .map(async (file) => PostalMime.parse(readFileSync(path.join(outbox, file)))),
      );
      const to = (address: string) => mails.filter((mail) => mail.to?.some((each) => each.address === address));
      const [regulator] = to('breach-notification@dpa.example');
      const [customers] = to('affected-customers@lists.acme.example');
      expect(regulator?.text).toContain(id);
      expect(customers).toBeDefined();
      const readme = readFileSync(path.join(ROOT, README), 'utf8');
      const caveats = /render with their caveat, never as established facts:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(caveats).toBeTruthy();
      for (const line of (caveats ?? '').split('\n').filter(Boolean)) expect(regulator?.text).toContain(line);
      expect([regulator?.messageId, customers?.messageId]).toEqual([expect.any(String), expect.any(String)]);

      // What went out is the text that was approved, and the customer notice is on the status page. (postal-mime
      // gives a text part that ends in a line break one more: compare up to trailing line breaks.)
      const channels = async (step: string) =>
        (await cliJson<{ message: { channels: RenderedChannel[] } }>(['comms', 'show', id, step], '.firebreak')).message
          .channels;
      const sent = (mail: Email | undefined) => [mail?.subject, mail?.text?.trimEnd()];
      const approved = (channel: RenderedChannel | undefined) => [
        channel?.parts.subject,
        channel?.parts.text?.trimEnd(),
      ];
      const [regulatorEmail] = await channels('notify-supervisory-authority');
      expect(sent(regulator)).toEqual(approved(regulatorEmail));
      const customerChannels = await channels('inform-data-subjects');
      expect(sent(customers)).toEqual(approved(customerChannels.find((channel) => channel.channel === 'email')));
      const page = customerChannels.find((channel) => channel.channel === 'statuspage');
      const feed = await (await fetch(`http://127.0.0.1:${ports.api}/status/feed.json`)).text();
      const heading = /^#+ (.+)$/m.exec(page?.parts.md ?? '')?.[1];
      expect(heading).toBeTruthy();
      expect(feed).toContain(JSON.stringify(heading).slice(1, -1));
    },
    WALKTHROUGH_TIMEOUT,
  );

  it(
    'backups and nightly restore drills: a passing drill of the PostgreSQL the test seeded, its scratch database dropped',
    async () => {
      const databases = await pg!.databases();
      const shell = new Walkthrough('backups', `export FIREBREAK_URL=http://127.0.0.1:${ports.api}\n`);
      const runbookOf = new Map<string, string>();
      for (const command of readmeCommands('Backups and nightly restore drills').flat()) {
        const created = /^npx firebreak schedule create (\S+) .*--id (\S+)/.exec(command.text);
        if (created?.[1] && created[2]) runbookOf.set(created[2], created[1]);
        await shell.run(command);
        const triggered = /^npx firebreak schedule trigger (\S+)/.exec(command.text)?.[1];
        if (triggered !== undefined)
          await waitForRun(runbookOf.get(triggered) ?? triggered, `${README}:${command.line}`);
      }
      const history = await cliJson<{ records: { status: string; backup?: { id: string }; reasons: string[] }[] }>(
        ['drill', 'history', 'postgres-restore-drill'],
        '.firebreak',
      );
      expect(history.records.map((record) => [record.status, record.reasons])).toEqual([['passed', []]]);
      expect(history.records[0]?.backup?.id).toMatch(/^\d{8}T\d{9}Z-/);
      expect(shell.outputs.at(-1)).toMatch(/passed/);
      expect(await pg!.databases()).toEqual(databases);
    },
    WALKTHROUGH_TIMEOUT,
  );

  it(
    'after the incident: the tabletop post-mortem, a lesson, an action item verified by the restore drill, published and found',
    async () => {
      // After the backups walkthrough: firebreak.yaml is there, and a backup of the orders database to drill.
      const [start, commands] = readmeCommands('After the incident: its post-mortem');
      const [, , drive] = readmeCommands('An incident, driven from the CLI');
      if (!start?.[0] || !commands || !drive) throw new Error('the walkthrough lost a block');
      const shell = new Walkthrough(
        'postmortem',
        `export FIREBREAK_URL=http://127.0.0.1:${ports.api} ORDERS_BACKUP_URL='${pg!.urlFor('orders')}' SCRATCH_PG_URL='${pg!.url}'\n`,
      );
      await shell.run(start[0]);
      // As the README says for a tabletop driven beside npm start: drive it again on this Firebreak.
      await shell.runAll([drive]);
      await shell.runAll([commands]);

      const item = shell.variable('ITEM');
      const { item: verified } = await cliJson<{
        item: { status: string; runs: { incidentId: string; result: string }[] };
      }>(['action-item', 'show', item], '.firebreak');
      expect(verified.status).toBe('verified');
      expect(verified.runs.map((run) => run.result)).toEqual(['pending', 'passed']);
      const drill = await cliJson<{ incident: { runbook: { id: string }; status: string } }>(
        ['incident', 'show', verified.runs[0]?.incidentId ?? ''],
        '.firebreak',
      );
      expect(drill.incident).toMatchObject({ runbook: { id: 'postgres-restore-drill' }, status: 'completed' });

      const pm = shell.variable('PM');
      const { postmortem } = await cliJson<{
        postmortem: { status: string; incidentId: string; sections: { lessons: { text: string } } };
      }>(['postmortem', 'show', pm], '.firebreak');
      expect(postmortem).toMatchObject({ status: 'published', incidentId: shell.variable('ID') });
      expect(postmortem.sections.lessons.text).toContain('backup bucket');

      // The published summary, e-mailed by the post-mortem's workflow to the runbook's audience.
      const outbox = path.join(mirror, '.firebreak/outbox');
      const summary = await eventually(
        async () => {
          const mails = await Promise.all(
            readdirSync(outbox)
              .filter((file) => file.endsWith('.eml'))
              .map(async (file) => PostalMime.parse(readFileSync(path.join(outbox, file)))),
          );
          return mails.find(
            (mail) =>
              mail.subject?.startsWith('Post-mortem published') &&
              mail.to?.some((to) => to.address === 'all-staff@example.com'),
          );
        },
        { timeoutMs: 60_000, what: 'the published summary in the outbox' },
      );
      expect(summary.text).toContain('The leaked key could also write to the backup bucket');
      expect(summary.text).toContain('Prove the orders backups restore');
      expect(shell.outputs.at(-1)).toMatch(/«backup» «bucket»/);
    },
    WALKTHROUGH_TIMEOUT,
  );

  it(
    'lessons learned, reviewed monthly: the lessons-review schedule is created as written and shows its cron',
    async () => {
      const shell = new Walkthrough('lessons', `export FIREBREAK_URL=http://127.0.0.1:${ports.api}\n`);
      // Run on its own, this walkthrough needs a Firebreak; after the others it uses the one they started.
      if (dev === undefined) await shell.run({ line: 0, text: 'npx firebreak dev', exit: 0 });
      await shell.runAll(readmeCommands('Lessons learned, reviewed monthly'));
      const shown = shell.outputs.at(-1) ?? '';
      expect(shown).toContain('lessons-review');
      expect(shown).toContain('0 9 1 * *');
      expect(shown).toContain('Europe/Berlin');
    },
    WALKTHROUGH_TIMEOUT,
  );

  it.skipIf(dockerMissing() !== undefined)(
    `a container burned down: destroyed once its evidence verified, redeployed by digest${dockerMissing() ? ` (skipped: ${dockerMissing()})` : ''}`,
    async () => {
      const [start, drive, stop] = readmeCommands('A container burned down');
      if (!start || !drive || !stop) throw new Error('the walkthrough lost a block');
      await stopDev();
      const shell = new Walkthrough('burn-down');
      try {
        await shell.runAll([start, drive]);
        const { incident } = await cliJson<{
          incident: { status: string; steps: { id: string; status: string }[] };
        }>(['incident', 'show', shell.variable('ID')], '.firebreak-burn-down/data');
        expect(incident.status).toBe('completed');
        const statuses = Object.fromEntries(incident.steps.map((step) => [step.id, step.status]));
        expect(statuses).toMatchObject({ capture: 'succeeded', destroy: 'succeeded', redeploy: 'succeeded', indicators: 'succeeded' });
        const manifest = JSON.parse(readFileSync(path.join(mirror, '.firebreak-burn-down/manifest.json'), 'utf8')) as {
          artefacts: { artefact: string; sha256: string }[];
        };
        expect(manifest.artefacts.map((a) => a.artefact).sort()).toEqual(['diff', 'filesystem', 'logs', 'metadata', 'processes']);
      } finally {
        await stopDev();
        await shell.runAll([stop]);
      }
    },
    WALKTHROUGH_TIMEOUT,
  );

  it(
    'checking runbooks before an incident: every shipped runbook validates, lists and shows',
    async () => {
      const shell = new Walkthrough('checking');
      await shell.runAll(readmeCommands('Checking runbooks before an incident'));
      const [, list, show] = shell.outputs;
      expect(list).toMatch(/^credential-leak\b/m);
      expect(show).toContain('credential-leak');
    },
    WALKTHROUGH_TIMEOUT,
  );
});

/** Waits until the run a schedule trigger started has finished: one run of the runbook, none running. */
async function waitForRun(runbook: string, where: string): Promise<void> {
  let seen: unknown;
  await eventually(
    async () => {
      const { incidents } = await cliJson<{ incidents: { status: string }[] }>(
        // Backups and drills are jobs, which the incident list leaves out unless asked.
        ['incident', 'list', '--all', '--runbook', runbook],
        '.firebreak',
      );
      seen = incidents;
      return incidents.length > 0 && incidents.every((incident) => incident.status !== 'running') ? true : undefined;
    },
    {
      timeoutMs: 180_000,
      intervalMs: 500,
      what: () => `${where}: the run of ${runbook} did not finish: ${JSON.stringify(seen)}`,
    },
  );
}
