/** Reading runbook files and directories from disk, then compiling them as one set. */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../domain/plan.js';
import { compileRunbookSources, type CompileOptions, type RunbookCatalog, type RunbookSource } from './catalog.js';
import type { Issue, Result } from '../diagnostics/located-issue.js';

const RUNBOOK_FILE = /\.ya?ml$/i;

/** Reads runbook files; a directory stands for every `*.yaml` / `*.yml` directly inside it. */
export async function readRunbookSources(
  paths: readonly string[],
): Promise<{ sources: RunbookSource[]; issues: Issue[] }> {
  const sources: RunbookSource[] = [];
  const issues: Issue[] = [];
  // A file named both directly and through its directory is read once (it would clash with itself).
  const seen = new Set<string>();
  for (const given of paths) {
    try {
      const files = (await stat(given)).isDirectory() ? await runbookFilesIn(given) : [given];
      for (const file of files.filter((candidate) => !seen.has(path.resolve(candidate)))) {
        seen.add(path.resolve(file));
        sources.push({ file, bytes: await readFile(file) });
      }
    } catch (error) {
      issues.push({ file: given, line: 1, col: 1, path: '', message: `cannot read: ${reason(error)}` });
    }
  }
  return { sources, issues };
}

/** Loads, checks and compiles every runbook in the given files and directories, resolving children across them. */
export async function loadRunbookFiles(paths: readonly string[], options: CompileOptions): Promise<RunbookCatalog> {
  const { sources, issues } = await readRunbookSources(paths);
  const catalog = compileRunbookSources(sources, options);
  return { ...catalog, issues: [...issues, ...catalog.issues] };
}

/** Loads every runbook in the given directories (the runbook catalog a worker or the CLI uses). */
export function loadRunbookDirs(dirs: readonly string[], options: CompileOptions): Promise<RunbookCatalog> {
  return loadRunbookFiles(dirs, options);
}

/** Loads one runbook file; its child runbooks must be among `options.known`. */
export async function loadRunbookFile(file: string, options: CompileOptions): Promise<Result<Plan>> {
  const catalog = await loadRunbookFiles([file], options);
  const [loaded] = [...catalog.runbooks.values()];
  return loaded && catalog.issues.length === 0
    ? { ok: true, value: loaded.plan }
    : { ok: false, issues: catalog.issues };
}

async function runbookFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir, { withFileTypes: true });
  return names
    .filter((entry) => entry.isFile() && RUNBOOK_FILE.test(entry.name))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
