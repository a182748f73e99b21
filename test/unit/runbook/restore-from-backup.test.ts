/**
 * The starter `restore-from-backup` runbook checks production after the promotion: a required, read-only
 * `restore.check` of the promoted backup, whose row counts allow for the writes production takes meanwhile.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import { loadRunbookDirs } from '../../../src/runbook/loader.js';
import { loadTemplateDirs } from '../../../src/templating/catalog.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('restore-from-backup', () => {
  it('checks the promoted backup against production, required, as its last step', async () => {
    const templates = await loadTemplateDirs([path.join(ROOT, 'templates')]);
    const catalog = await loadRunbookDirs([path.join(ROOT, 'runbooks')], { actions: builtinActionCatalog, templates });
    const plan = catalog.runbooks.get('restore-from-backup')?.plan;
    expect(plan?.version).toBe(4);
    expect(plan?.steps.map((step) => step.id).slice(-2)).toEqual(['promote', 'check-promotion']);
    const check = plan?.steps.at(-1);
    expect(check).toMatchObject({ kind: 'action', action: 'restore.check', onFailure: 'abort' });
    expect(check?.kind === 'action' ? check.with : undefined).toMatchObject({
      require: true,
      checks: [
        { name: 'starts', kind: 'starts' },
        { name: 'tables', kind: 'tables-exist' },
        { name: 'row counts', kind: 'row-counts', tolerancePercent: 5 },
      ],
    });
  });
});
