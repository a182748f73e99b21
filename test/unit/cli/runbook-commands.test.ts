/** `firebreak runbook validate|list|show`, run in-process through runCli. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import type { CliDeps } from '../../../src/cli/context.js';
import { testActions } from '../runbook/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIXTURES = 'test/fixtures/runbooks';
// list and show run from test/, which has no ./runbooks for --runbooks to add to.
const TEST_DIR = path.join(ROOT, 'test');
const LOCAL = 'fixtures/runbooks';

async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = ROOT,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = { out: (text) => (out += text), err: (text) => (err += text), env, cwd, actions: testActions };
  const code = await runCli(args, deps);
  return { code, out, err };
}

describe('firebreak runbook validate', () => {
  it('exits 0 and says so when every file is valid', async () => {
    expect(await cli(['runbook', 'validate', `${FIXTURES}/valid`])).toEqual({
      code: 0,
      out: '2 files checked: all valid\n',
      err: '',
    });
  });

  it('prints every problem across files, sorted and aligned, then a summary; exits 1', async () => {
    const result = await cli([
      'runbook',
      'validate',
      `${FIXTURES}/invalid/unknown-role.yaml`,
      `${FIXTURES}/invalid/cycle`,
      `${FIXTURES}/valid/restore-backup.yaml`,
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toBe('');
    expect(result.out).toBe(
      [
        `${FIXTURES}/invalid/cycle/alpha.yaml:9:14    steps[0].runbook   runbook cycle: alpha -> beta -> alpha`,
        `${FIXTURES}/invalid/cycle/beta.yaml:9:14     steps[0].runbook   runbook cycle: beta -> alpha -> beta`,
        `${FIXTURES}/invalid/unknown-role.yaml:21:15  steps[1].assignee  unknown role \`ghost\` (declared roles: commander)`,
        '4 files checked: 3 problems in 3 files',
        '',
      ].join('\n'),
    );
  });

  it('prints { valid, files, issues } with --json', async () => {
    const result = await cli([
      'runbook',
      'validate',
      '--json',
      `${FIXTURES}/invalid/unknown-role.yaml`,
      `${FIXTURES}/valid`,
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { valid: boolean; files: unknown[]; issues: unknown[] };
    expect(report.valid).toBe(false);
    expect(report.files).toEqual([
      { file: `${FIXTURES}/invalid/unknown-role.yaml`, valid: false },
      { file: `${FIXTURES}/valid/restore-backup.yaml`, valid: true, id: 'restore-backup', version: 2 },
      { file: `${FIXTURES}/valid/sample-incident.yaml`, valid: true, id: 'sample-incident', version: 3 },
    ]);
    expect(report.issues).toEqual([
      {
        file: `${FIXTURES}/invalid/unknown-role.yaml`,
        line: 21,
        col: 15,
        path: 'steps[1].assignee',
        stepId: 'check',
        message: 'unknown role `ghost` (declared roles: commander)',
      },
    ]);
  });

  it('reports a path that does not exist as a problem', async () => {
    const result = await cli(['runbook', 'validate', 'no/such/dir']);
    expect(result).toEqual({
      code: 1,
      out: 'no/such/dir:1:1  (root)  cannot read: no such file or directory\n0 files checked: 1 problem in 1 file\n',
      err: '',
    });
  });

  it('needs at least one path', async () => {
    const result = await cli(['runbook', 'validate']);
    expect(result.code).toBe(1);
    expect(result.err).toContain("error: missing required argument 'paths'");
  });
});

describe('firebreak runbook list and show', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'firebreak-cli-'));
    writeFileSync(path.join(dir, 'firebreak.yaml'), `runbooks: { dirs: [${path.join(ROOT, FIXTURES, 'valid')}] }\n`);
    writeFileSync(path.join(dir, 'broken.yaml'), 'runbooks: { dirz: [] }\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the runbooks of --runbooks directories as a table', async () => {
    const result = await cli(['runbook', 'list', '--runbooks', `${LOCAL}/valid`], {}, TEST_DIR);
    expect(result).toEqual({
      code: 0,
      out: [
        'ID               VERSION  SEVERITY  TITLE             FILE',
        `restore-backup   2        sev3      Restore a backup  ${LOCAL}/valid/restore-backup.yaml`,
        `sample-incident  3        sev2      Sample incident   ${LOCAL}/valid/sample-incident.yaml`,
        '',
      ].join('\n'),
      err: '',
    });
  });

  it('lists as JSON and warns on stderr about files left out', async () => {
    const result = await cli(
      ['runbook', 'list', '--json', '--runbooks', `${LOCAL}/valid`, '--runbooks', `${LOCAL}/invalid/cycle`],
      {},
      TEST_DIR,
    );
    expect(result.code).toBe(0);
    expect((JSON.parse(result.out) as { id: string }[]).map((row) => row.id)).toEqual([
      'restore-backup',
      'sample-incident',
    ]);
    expect(result.err).toBe(
      `warning: 2 files with problems left out (${LOCAL}/invalid/cycle/alpha.yaml, ${LOCAL}/invalid/cycle/beta.yaml); run \`npx firebreak runbook validate\`\n`,
    );
  });

  it('reads the runbook directories from the config file', async () => {
    const result = await cli(['runbook', 'list', '--json'], {}, dir);
    expect((JSON.parse(result.out) as { id: string }[]).map((row) => row.id)).toEqual([
      'restore-backup',
      'sample-incident',
    ]);
  });

  it('fails with the config file problems and a one-line reason', async () => {
    const result = await cli(['runbook', 'list', '--config', 'broken.yaml'], {}, dir);
    expect(result).toEqual({
      code: 1,
      out: '',
      err: 'broken.yaml:1:13  runbooks.dirz  unknown key `dirz`\nerror: the configuration file has problems (listed above)\n',
    });
  });

  it('fails with one line when the runbook directory is missing', async () => {
    const result = await cli(['runbook', 'list'], {}, path.join(ROOT, 'test'));
    expect(result).toEqual({ code: 1, out: '', err: 'error: runbooks: cannot read: no such file or directory\n' });
  });

  it('shows a runbook for people', async () => {
    const result = await cli(['runbook', 'show', 'sample-incident', '--runbooks', `${LOCAL}/valid`], {}, TEST_DIR);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toBe('sample-incident  Sample incident');
    expect(lines).toContain('  version   3');
    expect(lines.find((line) => line.startsWith('  credentialId'))).toMatch(
      /^ {2}credentialId +string +required +Key id$/,
    );
    expect(lines.find((line) => line.startsWith('  exposedAt'))).toMatch(
      /^ {2}exposedAt +datetime +default "2024-05-01T10:00:00.000Z"$/,
    );
    expect(lines).toContain('  commander  (from the roster)  escalates to ciso after 30m');
    expect(lines).toContain('  personalData  options yes | no');
    expect(lines).toContain('  regulator  Notify the regulator');
    expect(lines).toContain('    reminders  1d, 2d to role:commander');
    expect(lines.find((line) => line.startsWith('  contain'))).toMatch(
      /^ {2}contain +parallel {2}2 branches +Contain$/,
    );
    expect(lines.find((line) => line.startsWith('    rotate'))).toMatch(/^ {4}rotate +action command\.run +Rotate$/);
    expect(lines.find((line) => line.startsWith('  revoke'))).toMatch(/timeout 2m, retry 5x, compensate restore-key$/);
    expect(lines).toContain('Compensations');
  });

  it('shows the compiled plan with --json', async () => {
    const result = await cli(
      ['runbook', 'show', 'restore-backup', '--json', '--runbooks', `${LOCAL}/valid`],
      {},
      TEST_DIR,
    );
    const shown = JSON.parse(result.out) as { file: string; plan: { runbookId: string; version: number } };
    expect(shown.file).toBe(path.join(ROOT, FIXTURES, 'valid/restore-backup.yaml'));
    expect(shown.plan).toMatchObject({ runbookId: 'restore-backup', version: 2 });
  });

  it('fails for an unknown id, and shows the problems of a broken one', async () => {
    expect(await cli(['runbook', 'show', 'ghost', '--runbooks', `${LOCAL}/valid`], {}, TEST_DIR)).toEqual({
      code: 1,
      out: '',
      err: 'error: no valid runbook with id `ghost` (valid runbooks: restore-backup, sample-incident)\n',
    });
    const broken = await cli(['runbook', 'show', 'alpha', '--runbooks', `${LOCAL}/invalid/cycle`], {}, TEST_DIR);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('alpha.yaml:9:14  steps[0].runbook  runbook cycle: alpha -> beta -> alpha\n');
    expect(broken.err).toContain('error: no valid runbook with id `alpha` (valid runbooks: none)\n');
  });

  it('prints help and exits 0', async () => {
    const result = await cli(['runbook', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('validate [options] <paths...>');
  });
});
