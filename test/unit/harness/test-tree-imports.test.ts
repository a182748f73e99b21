/**
 * The test tree is a leaf: the product (src/, workflows/, activities/), the benches, the scripts and the
 * shared harness/ never import from test/, and the product never imports harness/ either.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../harness/config.js';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(projectRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mts|js|mjs)$/.test(file))
    .map((file) => path.join(dir, file));
}

/** Every relative import of the files under `dirs` that lands under one of `banned`, as `file -> target`. */
function importsInto(dirs: readonly string[], banned: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = readFileSync(path.join(projectRoot, file), 'utf8');
    for (const [, specifier = ''] of text.matchAll(SPECIFIER)) {
      if (!specifier.startsWith('.')) continue;
      const target = path.relative(projectRoot, path.resolve(projectRoot, path.dirname(file), specifier));
      if (banned.some((folder) => target === folder || target.startsWith(`${folder}/`))) {
        found.push(`${file} -> ${target}`);
      }
    }
  }
  return found;
}

describe('imports of the test tree', () => {
  it('finds none from the product, the benches, the scripts or the harness', () => {
    expect(importsInto(['src', 'workflows', 'activities', 'bench', 'scripts', 'harness'], ['test'])).toEqual([]);
  });

  it('finds no harness import in the product', () => {
    expect(importsInto(['src', 'workflows', 'activities'], ['harness'])).toEqual([]);
  });

  it('would see one: the test tree itself imports the harness', () => {
    expect(importsInto(['test/support'], ['harness'])).toContain('test/support/temporal.ts -> harness/config.js');
  });
});
