/** Loading runbooks as a set: ids across files, children, cycles, broken children, directories. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookDirs, loadRunbookFiles } from '../../../src/runbook/loader.js';
import { brief, compileTexts, FIXTURES, testActions } from './helpers.js';

const header = (id: string) =>
  `apiVersion: firebreak/v1\nid: ${id}\ntitle: ${id}\nversion: 1\nseverity: sev3\nsteps:\n`;

describe('runbook sets', () => {
  it('reports a cycle through three runbooks on every step in it', () => {
    const catalog = compileTexts({
      'a.yaml': `${header('a')}  - { id: to-b, title: B, runbook: b }\n`,
      'b.yaml': `${header('b')}  - { id: to-c, title: C, runbook: c }\n`,
      'c.yaml': `${header('c')}  - { id: to-a, title: A, runbook: a }\n  - { id: self, title: Self, runbook: c }\n`,
    });
    expect(catalog.issues.map((i) => `${i.file} ${i.path} ${i.message}`)).toEqual([
      'a.yaml steps[0].runbook runbook cycle: a -> b -> c -> a',
      'b.yaml steps[0].runbook runbook cycle: b -> c -> a -> b',
      'c.yaml steps[0].runbook runbook cycle: c -> a -> b -> c',
      'c.yaml steps[1].runbook runbook cycle: c -> c',
    ]);
    expect(catalog.runbooks.size).toBe(0);
  });

  it('refuses a parent whose child has problems of its own, and says so at the call', () => {
    const catalog = compileTexts({
      'parent.yaml': `${header('parent')}  - { id: call, title: Call, runbook: child }\n`,
      'child.yaml': `${header('child')}  - { id: w, title: W, wait: 1m, task: x }\n`,
    });
    expect(catalog.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.path} ${i.message}`)).toEqual([
      'child.yaml:7:24 steps[0].wait a step has exactly one kind, but this one has `task` and `wait`',
      'parent.yaml:7:39 steps[0].runbook runbook `child` has problems of its own; fix them before it can be called',
    ]);
    expect([...catalog.runbooks.keys()]).toEqual([]);
  });

  it('keeps the valid runbooks of a set where others are broken', () => {
    const catalog = compileTexts({
      'good.yaml': `${header('good')}  - { id: w, title: W, wait: 1m }\n`,
      'bad.yaml': `${header('bad')}  - { id: w, title: W, wait: never }\n`,
    });
    expect([...catalog.runbooks.keys()]).toEqual(['good']);
    expect(brief(catalog.issues)).toEqual(['7:30 steps[0].wait expected a duration such as 30s, 15m, 4h, 3d or 2w']);
    expect(catalog.declaredIds).toEqual(
      new Map([
        ['good.yaml', 'good'],
        ['bad.yaml', 'bad'],
      ]),
    );
  });

  it('checks literal values passed to a child against its param types', () => {
    const catalog = compileTexts({
      'parent.yaml': `${header('parent')}  - { id: call, title: Call, runbook: child, with: { count: many, when: "2024-01-01T00:00:00Z" } }\n`,
      'child.yaml': `${header('child').replace('steps:', 'params:\n  count: { type: integer }\n  when: { type: datetime }\nsteps:')}  - { id: w, title: W, wait: 1m }\n`,
    });
    expect(brief(catalog.issues)).toEqual([
      '7:61 steps[0].with.count param `count` of runbook `child`: expected a whole number, got "many"',
    ]);
  });

  it('reads every *.yaml and *.yml in a directory, and reports unreadable paths', async () => {
    const catalog = await loadRunbookDirs([path.join(FIXTURES, 'valid'), path.join(FIXTURES, 'nowhere')], {
      actions: testActions,
    });
    expect([...catalog.runbooks.keys()].sort()).toEqual(['restore-backup', 'sample-incident']);
    expect(catalog.issues).toEqual([
      {
        file: path.join(FIXTURES, 'nowhere'),
        line: 1,
        col: 1,
        path: '',
        message: 'cannot read: no such file or directory',
      },
    ]);
  });

  it('resolves children across files given one by one', async () => {
    const files = ['sample-incident.yaml', 'restore-backup.yaml'].map((name) => path.join(FIXTURES, 'valid', name));
    const catalog = await loadRunbookFiles(files, { actions: testActions });
    expect(catalog.issues).toEqual([]);
    expect(catalog.files).toEqual(files);
  });
});

describe('reading files', () => {
  it('reads a file named both directly and through its directory once', async () => {
    const dir = path.join(FIXTURES, 'valid');
    const catalog = await loadRunbookFiles([path.join(dir, 'restore-backup.yaml'), dir], { actions: testActions });
    expect(catalog.issues).toEqual([]);
    expect(catalog.files).toEqual([path.join(dir, 'restore-backup.yaml'), path.join(dir, 'sample-incident.yaml')]);
  });
});
