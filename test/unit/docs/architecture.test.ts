/** docs/architecture.md stays true: its tree names every source folder, and every path it names exists. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../harness/config.js';

const doc = readFileSync(path.join(projectRoot, 'docs/architecture.md'), 'utf8');
const tree = /```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';

const dirs = (relative: string): string[] =>
  readdirSync(path.join(projectRoot, relative), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${relative}/${entry.name}/`);

describe('docs/architecture.md', () => {
  it('names every folder of src/ and every top-level code folder in its tree', () => {
    const named = new Set(tree.split('\n').map((line) => line.trim().split(/\s+/)[0]));
    const expected = [
      ...dirs('src'),
      ...['runbooks/', 'templates/', 'workflows/', 'activities/', 'harness/', 'test/', 'bench/', 'scripts/'],
    ];
    expect(expected.filter((dir) => !named.has(dir.replace(/^\.\//, '')))).toEqual([]);
  });

  it('names only files and folders that exist', () => {
    // Paths are written from the repository root; `import-x/no-cycle` and the like are rule names.
    const top = new Set(readdirSync(projectRoot));
    const paths = [...doc.matchAll(/`([a-z][\w.-]*(?:\/[\w.-]+)+\/?)`/g)]
      .map((match) => match[1]!)
      .filter((p) => top.has(p.split('/')[0]!));
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !existsSync(path.join(projectRoot, p)))).toEqual([]);
  });
});
