/** Where the package's own files (`templates/`, `.tools/`, `package.json`) are, from source or from dist. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest directory above this file with a package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Firebreak package root');
    dir = parent;
  }
  return dir;
}

/** A directory of the templates shipped with the package, e.g. `shippedTemplates('postmortem')`. */
export function shippedTemplates(name: string): string {
  return path.join(packageRoot(), 'templates', name);
}
