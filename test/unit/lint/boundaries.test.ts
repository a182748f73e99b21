// The architecture's boundaries are lint rules (eslint.config.js). A rule that silently stops working
// (a resolver missing, a glob that matches nothing) looks exactly like a clean tree, so this test lints
// probe files that break each rule, in a scratch project that uses the repository's own ESLint config,
// and checks that each one is reported, and that files within the rules are not.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../harness/config.js';

const BOUNDARY_RULES = new Set([
  'import-x/no-cycle',
  'import-x/no-unresolved',
  'import-x/no-restricted-paths',
  'no-restricted-imports',
]);

// Folders that hold I/O or non-deterministic code: workflows/ may not import any of them.
const UNSAFE_FOLDERS = ['templating', 'channels', 'storage', 'backup', 'server', 'cli', 'worker', 'config', 'runbook'];

const files: Record<string, string> = {
  // Targets the probes import (they must exist, or the resolver rule would be the only one to fire).
  ...Object.fromEntries(UNSAFE_FOLDERS.map((f) => [`src/${f}/index.ts`, `export const ${f}Thing = 1;\n`])),
  'src/domain/own.ts': 'export const own = 1;\n',
  'activities/index.ts': 'export interface Activities { ping(): Promise<void> }\nexport const createActivities = (): Activities => ({ ping: async () => {} });\n',

  // Within the rules.
  'workflows/ok.ts': [
    "import { sleep } from '@temporalio/workflow';",
    "import { ApplicationFailure } from '@temporalio/common';",
    "import { Environment } from '@marcbachmann/cel-js';",
    "import { RE2JS } from 're2js';",
    "import type { Activities } from '../activities/index.js';",
    "import { own } from '../src/domain/own.js';",
    "import { helper } from './helper.js';",
    'export const ok = [sleep, ApplicationFailure, Environment, RE2JS, own, helper];',
    'export type A = Activities;',
    '',
  ].join('\n'),
  'workflows/helper.ts': 'export const helper = 2;\n',
  'src/domain/ok.ts': [
    "import { ApplicationFailure } from '@temporalio/common';",
    "import { Environment } from '@marcbachmann/cel-js';",
    "import { own } from './own.js';",
    'export const ok = [ApplicationFailure, Environment, own];',
    '',
  ].join('\n'),
  'src/server/free.ts': [
    "import Handlebars from 'handlebars';",
    "import { templatingThing } from '../templating/index.js';",
    "import { own } from '../domain/own.js';",
    'export const free = [Handlebars, templatingThing, own];',
    '',
  ].join('\n'),

  // Probes: each breaks rules on purpose.
  'workflows/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = (): number => b() + 1;\n",
  'workflows/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = (): number => a() - 1;\n",
  'workflows/unresolved.ts': "import { missing } from './missing.js';\nexport const u = missing;\n",
  'workflows/folders.ts': [
    ...UNSAFE_FOLDERS.map((f) => `import { ${f}Thing } from '../src/${f}/index.js';`),
    `export const all = [${UNSAFE_FOLDERS.map((f) => `${f}Thing`).join(', ')}];`,
    '',
  ].join('\n'),
  'workflows/packages.ts': [
    "import Handlebars from 'handlebars';",
    "import pg from 'pg';",
    "import { z } from 'zod';",
    "import { readFileSync } from 'node:fs';",
    "import { Context } from '@temporalio/activity';",
    'export const all = [Handlebars, pg, z, readFileSync, Context];',
    '',
  ].join('\n'),
  'workflows/activity-value.ts':
    "import { createActivities } from '../activities/index.js';\nexport const made = createActivities;\n",
  'src/domain/reaches-out.ts': [
    "import { serverThing } from '../server/index.js';",
    "import { configThing } from '../config/index.js';",
    "import Handlebars from 'handlebars';",
    'export const all = [serverThing, configThing, Handlebars];',
    '',
  ].join('\n'),
};

let scratch: string;
let results: Map<string, { ruleId: string | null; message: string }[]>;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'firebreak-lint-'));
  for (const name of ['eslint.config.js', 'package.json']) cpSync(join(projectRoot, name), join(scratch, name));
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      extends: join(projectRoot, 'tsconfig.json'),
      compilerOptions: { types: [] },
      include: ['src', 'workflows', 'activities'],
    }),
  );
  symlinkSync(join(projectRoot, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
  const eslint = new ESLint({ cwd: scratch });
  const linted = await eslint.lintFiles(['src', 'workflows']);
  results = new Map(
    linted.map((r) => [
      r.filePath.slice(scratch.length + 1),
      r.messages
        .filter((m) => m.ruleId === null || BOUNDARY_RULES.has(m.ruleId))
        .map((m) => ({ ruleId: m.ruleId, message: m.message })),
    ]),
  );
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const rulesOf = (path: string): (string | null)[] => {
  const found = results.get(path);
  if (!found) throw new Error(`${path} was not linted`);
  return found.map((m) => m.ruleId);
};

describe('lint boundaries (eslint.config.js)', () => {
  it('accepts code within the rules: no boundary finding and no parse error', () => {
    for (const path of ['workflows/ok.ts', 'workflows/helper.ts', 'src/domain/ok.ts', 'src/server/free.ts']) {
      expect(results.get(path), path).toEqual([]);
    }
  });

  it('fails a value import cycle, on both files', () => {
    expect(rulesOf('workflows/cycle-a.ts')).toEqual(['import-x/no-cycle']);
    expect(rulesOf('workflows/cycle-b.ts')).toEqual(['import-x/no-cycle']);
  });

  it('fails an import that does not resolve', () => {
    expect(rulesOf('workflows/unresolved.ts')).toEqual(['import-x/no-unresolved']);
  });

  it('fails every non-workflow-safe folder imported from workflows/', () => {
    const found = results.get('workflows/folders.ts')!;
    expect(found.map((m) => m.ruleId)).toEqual(UNSAFE_FOLDERS.map(() => 'import-x/no-restricted-paths'));
  });

  it('fails every non-workflow-safe package imported from workflows/, Node built-ins included', () => {
    expect(rulesOf('workflows/packages.ts')).toEqual(Array(5).fill('no-restricted-imports'));
  });

  it('lets workflows/ see activities as types only', () => {
    const found = results.get('workflows/activity-value.ts')!;
    expect(found).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('types only') as string },
    ]);
  });

  it('keeps src/domain to its own files and the workflow-safe packages', () => {
    expect(rulesOf('src/domain/reaches-out.ts')).toEqual([
      'import-x/no-restricted-paths',
      'import-x/no-restricted-paths',
      'no-restricted-imports',
    ]);
  });
});
