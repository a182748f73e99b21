/**
 * `--runbooks` means the same in every command: it adds a directory to the config file's `runbooks.dirs`,
 * else to the default ./runbooks. `dev` and `server` are run in-process with `--port 0`, which both refuse
 * only after the runbooks are checked, so nothing starts whatever the outcome.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../src/cli/context.js';
import { runCli } from '../../../src/cli/main.js';
import { testActions } from '../runbook/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const VALID = path.join(ROOT, 'test/fixtures/runbooks/valid');
const BROKEN = path.join(ROOT, 'test/fixtures/runbooks/invalid/unknown-role.yaml');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-runbook-dirs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env: { FIREBREAK_LOG_LEVEL: 'silent' },
    cwd: dir,
    actions: testActions,
  };
  const code = await runCli(args, deps);
  return { code, out, err };
}

/** `dir/<name>` holding copies of the given runbook files. */
function runbookDir(name: string, files: string[]): string {
  const target = path.join(dir, name);
  mkdirSync(target, { recursive: true });
  for (const file of files) copyFileSync(file, path.join(target, path.basename(file)));
  return target;
}

const validFiles = [path.join(VALID, 'restore-backup.yaml'), path.join(VALID, 'sample-incident.yaml')];
const ids = (out: string) => (JSON.parse(out) as { id: string }[]).map((row) => row.id);

describe('--runbooks', () => {
  it('adds to ./runbooks in dev and in server alike: a problem there refuses both, and nothing starts', async () => {
    runbookDir('runbooks', [BROKEN]);
    runbookDir('extra', validFiles);
    for (const command of ['dev', 'server']) {
      const result = await cli([command, '--runbooks', 'extra', '--port', '0', '--data-dir', 'data']);
      expect([command, result.code, result.out]).toEqual([command, 1, '']);
      expect(result.err).toContain('runbooks/unknown-role.yaml:21:15  steps[1].assignee  unknown role `ghost`');
      expect(result.err).toMatch(/error: 1 problem in the runbooks \(listed above\)/);
      expect(existsSync(path.join(dir, 'data'))).toBe(false);
    }
  });

  it('adds to ./runbooks in runbook list and show, as in dev and server', async () => {
    runbookDir('runbooks', [path.join(VALID, 'restore-backup.yaml')]);
    runbookDir('extra', [path.join(VALID, 'sample-incident.yaml')]);
    const list = await cli(['runbook', 'list', '--json', '--runbooks', 'extra']);
    expect([list.code, ids(list.out), list.err]).toEqual([0, ['restore-backup', 'sample-incident'], '']);
    const show = await cli(['runbook', 'show', 'restore-backup', '--runbooks', 'extra']);
    expect(show.code).toBe(0);
  });

  it('adds to the directories the config file names, and then ./runbooks is not read', async () => {
    runbookDir('runbooks', [BROKEN]);
    runbookDir('configured', [path.join(VALID, 'restore-backup.yaml')]);
    runbookDir('extra', [path.join(VALID, 'sample-incident.yaml')]);
    writeFileSync(path.join(dir, 'firebreak.yaml'), 'runbooks: { dirs: [configured] }\n');
    const list = await cli(['runbook', 'list', '--json', '--runbooks', 'extra']);
    expect([list.code, ids(list.out), list.err]).toEqual([0, ['restore-backup', 'sample-incident'], '']);
    // dev no longer adds ./runbooks on its own: it gets past the runbooks to the port check.
    const dev = await cli(['dev', '--runbooks', 'extra', '--port', '0', '--data-dir', 'data']);
    // (It may warn first about the command.run scripts these runbooks name that are not installed.)
    expect([dev.code, dev.out, dev.err.split('\n').at(-2)]).toEqual([
      1,
      '',
      'error: --port must be a port number (1-65535), got 0',
    ]);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('runs from a directory without ./runbooks when it names its own', async () => {
    runbookDir('extra', validFiles);
    const server = await cli(['server', '--runbooks', 'extra', '--port', '0', '--data-dir', 'data']);
    expect(server).toEqual({ code: 1, out: '', err: 'error: --port must be a port number, got 0\n' });
    const list = await cli(['runbook', 'list', '--json', '--runbooks', 'extra']);
    expect([list.code, ids(list.out), list.err]).toEqual([0, ['restore-backup', 'sample-incident'], '']);
    // Alone, the missing default is a problem, as before.
    const alone = await cli(['runbook', 'list']);
    expect(alone).toEqual({ code: 1, out: '', err: 'error: runbooks: cannot read: no such file or directory\n' });
  });

  it('is described the same way in the help of every command that takes it', async () => {
    const helpLine = async (args: string[]) =>
      (await cli([...args, '--help'])).out.replace(/\n\s+/g, ' ').match(/--runbooks <dir> +(.*?\))/)?.[1];
    const lines = new Set<string | undefined>();
    for (const args of [['dev'], ['server'], ['runbook', 'list'], ['runbook', 'show'], ['comms', 'preview']]) {
      lines.add(await helpLine(args));
    }
    expect([...lines]).toEqual([
      "add a runbook directory, repeatable (to the config file's runbooks.dirs, else to ./runbooks)",
    ]);
  });
});
