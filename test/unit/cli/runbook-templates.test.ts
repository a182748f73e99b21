/** `firebreak runbook validate|list|show` with message templates, for runbooks with `notify` steps. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../src/cli/context.js';
import { runCli } from '../../../src/cli/main.js';
import { TEMPLATES, testActions } from '../runbook/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIXTURE_TEMPLATES = path.relative(ROOT, TEMPLATES);

async function cli(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env: {},
    cwd,
    actions: testActions,
  };
  const code = await runCli(args, deps);
  return { code, out, err };
}

const NOTIFY_RUNBOOK = `apiVersion: firebreak/v1
id: status-updates
title: Status updates
version: 1
severity: sev3
params:
  status: { type: string, default: Investigating }
roles:
  commander: {}
steps:
  - id: update
    title: Update the status page
    notify: { message: ops-update, channels: [statuspage], from: role:commander, repeat: 1h }
`;

let dir: string;
let runbookFile: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-templates-'));
  mkdirSync(path.join(dir, 'runbooks'));
  runbookFile = path.join(dir, 'runbooks', 'status-updates.yaml');
  writeFileSync(runbookFile, NOTIFY_RUNBOOK);
  mkdirSync(path.join(dir, 'broken', 'ops-update'), { recursive: true });
  writeFileSync(path.join(dir, 'broken', 'ops-update', 'statuspage.md.hbs'), '{{#if params.status}}\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('firebreak runbook validate --templates', () => {
  it('validates notify steps against the given template directory', async () => {
    const result = await cli(['runbook', 'validate', '--templates', FIXTURE_TEMPLATES, runbookFile]);
    expect(result).toEqual({ code: 0, out: '1 file checked: all valid\n', err: '' });
  });

  it('uses ./templates by default, and says so when there is none', async () => {
    const result = await cli(['runbook', 'validate', runbookFile], dir);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'steps[0].notify.message  notify needs message templates and none were loaded: set `templates.dirs` in the config file, or pass `--templates <dir>` to `runbook validate`',
    );
  });

  it('lists template problems with the runbook problems and fails', async () => {
    const broken = path.join(dir, 'broken');
    const result = await cli(['runbook', 'validate', '--json', '--templates', broken, runbookFile]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { valid: boolean; issues: { file: string; message: string }[] };
    expect(report.valid).toBe(false);
    expect(report.issues.map((issue) => [path.relative(dir, issue.file), issue.message])).toEqual([
      ['broken/ops-update/statuspage.md.hbs', expect.stringContaining('parse error')],
      ['runbooks/status-updates.yaml', 'unknown message `ops-update` (templates: none)'],
    ]);
  });

  it('reports a --templates directory that does not exist', async () => {
    const result = await cli(['runbook', 'validate', '--templates', 'no/such/templates', runbookFile]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('no/such/templates:1:1');
    expect(result.out).toContain('cannot read templates: no such directory');
  });
});

describe('firebreak runbook list and show with templates from the config', () => {
  it('loads the template directories of the config file', async () => {
    writeFileSync(path.join(dir, 'firebreak.yaml'), `templates: { dirs: [${TEMPLATES}] }\n`);
    const list = await cli(['runbook', 'list', '--json'], dir);
    expect(list.err).toBe('');
    expect((JSON.parse(list.out) as { id: string }[]).map((row) => row.id)).toEqual(['status-updates']);
    const show = await cli(['runbook', 'show', 'status-updates'], dir);
    expect(show.out).toMatch(/update +notify ops-update via statuspage {2}from role:commander {2}no approval/);
  });
});
