/** Process-level helpers for the long-running commands (`dev`, `worker`) and the package's own facts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../package-root.js';

/** Resolves when the process receives SIGINT or SIGTERM (Ctrl-C, a service manager stopping it). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** The package root (where `.tools/` lives), found from this file in source or in dist. */
export const projectRoot = packageRoot;

/** The version in the package's package.json (what `firebreak --version` prints). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
