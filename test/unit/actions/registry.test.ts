import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  builtinActionCatalog,
  builtinActions,
  createActionRegistry,
  type ActionCatalog,
} from '../../../src/actions/registry.js';
import { timelineNoteAction } from '../../../src/actions/timeline-note.js';
import { backupActions, backupActionSpecs } from '../../../src/actions/backup/index.js';
import { infraActions, infraActionSpecs } from '../../../src/actions/infra/index.js';
import { postmortemActions, postmortemActionSpecs } from '../../../src/actions/postmortem/index.js';
import { infraProvidersFromConfig } from '../../../src/infra/from-config.js';
import { backupDepsFromConfig } from '../../../src/backup/from-config.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { testContext } from './support.js';

const options = {
  http: {
    allow: ['https://keys.internal.example'],
    allowLinkLocal: false,
    maxResponseBytes: 1024,
    defaultTimeoutMs: 1000,
  },
  command: { scriptsDir: '/nonexistent', maxOutputBytes: 1024, defaultTimeoutMs: 1000 },
};

describe('action registry', () => {
  it('offers the built-in names and schemas without configuration', () => {
    const catalog: ActionCatalog = builtinActionCatalog;
    const backup = backupActionSpecs.map((spec) => spec.name);
    const postmortem = postmortemActionSpecs.map((spec) => spec.name);
    const infra = infraActionSpecs.map((spec) => spec.name);
    expect(postmortem).toEqual(['postmortem.digest']);
    expect(infra).toEqual([
      'infra.inventory',
      'infra.protect',
      'infra.isolate',
      'infra.unisolate',
      'infra.capture',
      'infra.destroy',
      'infra.redeploy',
      'infra.health',
      'infra.indicators',
    ]);
    expect(catalog.names()).toEqual(
      ['command.run', 'http.request', 'timeline.note', ...backup, ...postmortem, ...infra].sort(),
    );
    // The two-person rule and the provider operation travel with the catalog, for validation.
    expect(catalog.rules?.('infra.destroy')).toEqual({ infraOperation: 'destroy', approval: { distinct: 2 } });
    expect(catalog.rules?.('infra.isolate')).toEqual({ infraOperation: 'isolate' });
    expect(catalog.rules?.('timeline.note')).toEqual({});
    expect(backup).toEqual(expect.arrayContaining(['backup.postgres', 'backup.files', 'restore.postgres']));
    expect(catalog.has('http.request')).toBe(true);
    expect(catalog.has('http.get')).toBe(false);
    expect(catalog.inputSchema('http.get')).toBeUndefined();
    const schema = catalog.inputSchema('timeline.note');
    expect(schema?.safeParse({ text: 'ok' }).success).toBe(true);
    expect(schema?.safeParse({ text: '' }).success).toBe(false);
    expect(schema?.safeParse({ text: 'ok', extra: 1 }).success).toBe(false);
  });

  it('exports every built-in schema to JSON Schema for editors', () => {
    for (const name of builtinActionCatalog.names()) {
      const schema = builtinActionCatalog.inputSchema(name);
      const json = z.toJSONSchema(schema!, { io: 'input' }) as { oneOf?: unknown[] };
      // A union input (backup.select, one shape per rule) exports as oneOf strict objects.
      for (const variant of json.oneOf ?? [json]) {
        expect(variant, name).toMatchObject({ type: 'object', additionalProperties: false });
      }
    }
  });

  it('builds a registry of configured actions with the same schemas as the catalog', async () => {
    const secrets = createSecretResolver({ env: {}, baseDir: '/nonexistent' });
    const store = await createFsStore({ dir: mkdtempSync(path.join(tmpdir(), 'firebreak-registry-')) });
    const backups = backupActions(backupDepsFromConfig(undefined, { store, secrets, dataDir: '/nonexistent' }));
    const registry = createActionRegistry([
      ...builtinActions(options),
      ...backups,
      ...postmortemActions({ drills: store }),
      ...infraActions({ providers: infraProvidersFromConfig(undefined, { secrets }), workerIdentity: 'test' }),
    ]);
    expect(registry.names()).toEqual(builtinActionCatalog.names());
    for (const name of registry.names()) {
      expect(registry.inputSchema(name)).toBe(builtinActionCatalog.inputSchema(name));
      expect(registry.get(name)?.name).toBe(name);
    }
  });

  it('refuses a duplicate name and a malformed allow-list entry', () => {
    expect(() => createActionRegistry([timelineNoteAction, timelineNoteAction])).toThrow(
      'action timeline.note is registered twice',
    );
    expect(() => builtinActions({ ...options, http: { ...options.http, allow: ['keys.internal.example'] } })).toThrow(
      'actions.http.allow entry "keys.internal.example" is not like',
    );
  });

  it('timeline.note returns its text as output and as the note, markers unresolved', async () => {
    const { ctx } = testContext();
    const text = 'Rotated \u27e6secret:env:API_TOKEN\u27e7';
    expect(await timelineNoteAction.execute({ text }, ctx)).toEqual({ output: { text }, note: text });
  });
});
