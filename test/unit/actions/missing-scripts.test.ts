/**
 * The starter runbooks' `command.run` scripts ship as harmless examples in scripts/actions, and what
 * `firebreak dev` and `firebreak worker` say at start when a scripts directory lacks some of them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatMissingScripts, missingScripts } from '../../../src/actions/command/missing-scripts.js';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import { loadRunbookDirs } from '../../../src/runbook/loader.js';
import { loadTemplateDirs } from '../../../src/templating/catalog.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SCRIPTS = path.join(ROOT, 'scripts/actions');
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-scripts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function starterPlans() {
  const templates = await loadTemplateDirs([path.join(ROOT, 'templates')]);
  const dirs = [path.join(ROOT, 'runbooks'), path.join(ROOT, 'examples/runbooks')];
  const catalog = await loadRunbookDirs(dirs, { actions: builtinActionCatalog, templates });
  expect(catalog.issues).toEqual([]);
  return [...catalog.runbooks.values()].map((loaded) => loaded.plan);
}

describe('the scripts the starter runbooks run', () => {
  it('all ship in scripts/actions, executable', async () => {
    expect(missingScripts(await starterPlans(), SCRIPTS)).toEqual([]);
  });

  it('are examples that say so and change nothing', () => {
    for (const name of readdirSync(SCRIPTS)) {
      const file = path.join(SCRIPTS, name);
      expect(execFileSync('sed', ['-n', '2p', file], { encoding: 'utf8' })).toMatch(/^# EXAMPLE ONLY\./);
      const out = execFileSync(file, ['i-0abc'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
      expect(out).toMatch(/example/);
    }
  });

  it('missing from a scripts directory are listed per runbook, with the directory', async () => {
    copyFileSync(path.join(SCRIPTS, 'snapshot-logs'), path.join(scratch, 'snapshot-logs'));
    copyFileSync(path.join(SCRIPTS, 'revoke-sessions'), path.join(scratch, 'revoke-sessions'));
    chmodSync(path.join(scratch, 'revoke-sessions'), 0o644); // present but not executable: missing too
    const missing = missingScripts(await starterPlans(), scratch);
    const exfiltration = missing.find((entry) => entry.runbook === 'personal-data-exfiltration');
    expect(exfiltration?.scripts).toContain('revoke-sessions');
    expect(exfiltration?.scripts).not.toContain('snapshot-logs');
    // The burn-down runbooks act through the infra providers: no script of theirs is missing.
    expect(missing.map((entry) => entry.runbook)).not.toContain('ransomware-host');
    expect(missing.map((entry) => entry.runbook)).not.toContain('compromised-container-image');
    expect(missing.find((entry) => entry.runbook === 'credential-leak')?.scripts).toEqual([
      'revoke-sessions',
      'rotate-dependants',
    ]);
    expect(missing.some((entry) => entry.runbook === 'tabletop-credential-leak')).toBe(false);
    const text = formatMissingScripts(missing, scratch);
    expect(text).toContain(`not executable files in ${scratch} (actions.command.scriptsDir)`);
    expect(text).toContain('  credential-leak: revoke-sessions, rotate-dependants\n');
    expect(formatMissingScripts([], scratch)).toBe('');
  });
});
