/**
 * docs/firebreak.example.yaml copied to ./firebreak.yaml in a checkout, as its header says, passes the
 * checks `firebreak dev` makes before it starts anything: the config loads, its paths land in the
 * checkout, every runbook validates against it (secret names included) and every script they name is there.
 */
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingScripts } from '../../../src/actions/command/missing-scripts.js';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import { loadConfig } from '../../../src/config/index.js';
import { loadRunbooksWithTemplates } from '../../../src/cli/templates.js';
import { createSecretCatalog } from '../../../src/secrets/declared.js';
import { firebreak, ROOT } from './shell-commands.js';

// A checkout: the shipped runbooks, templates and scripts, and the example copied as the header says.
const checkout = mkdtempSync(path.join(tmpdir(), 'firebreak-example-'));
for (const dir of ['runbooks', 'templates', 'scripts', 'examples'])
  symlinkSync(path.join(ROOT, dir), path.join(checkout, dir));
copyFileSync(path.join(ROOT, 'docs/firebreak.example.yaml'), path.join(checkout, 'firebreak.yaml'));
afterAll(() => rmSync(checkout, { recursive: true, force: true }));

describe('docs/firebreak.example.yaml copied to ./firebreak.yaml', () => {
  it('passes the checks firebreak dev makes at start', async () => {
    const loaded = loadConfig({}, { cwd: checkout, runbookDirs: ['runbooks'] });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const config = loaded.value;
    expect(config.source).toBe(path.join(checkout, 'firebreak.yaml'));
    expect(config.runbooks.dirs).toEqual([path.join(checkout, 'runbooks')]);
    expect(config.actions.command.scriptsDir).toBe(path.join(checkout, 'scripts/actions'));
    const catalog = await loadRunbooksWithTemplates(
      config.runbooks.dirs,
      config.templates.dirs,
      builtinActionCatalog,
      path.join(checkout, 'templates'),
      createSecretCatalog(config.secrets),
    );
    expect(catalog.issues).toEqual([]);
    expect(catalog.runbooks.has('ransomware-host')).toBe(true);
    const plans = [...catalog.runbooks.values()].map((runbook) => runbook.plan);
    expect(missingScripts(plans, config.actions.command.scriptsDir)).toEqual([]);
  });

  it('is what the CLI reads there', async () => {
    const listed = await firebreak(['runbook', 'list'], checkout);
    expect(listed.err).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^credential-leak +\d+/m);
  });
});
