/**
 * The runbooks as they are on disk now, for a long-running API: the files are checked cheaply (mtimes and
 * sizes) on a timer, and reloaded with the commands' own loader only when they changed. A runbook an edit
 * broke keeps its last good version; one whose file is gone disappears.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logger.js';
import type { LoadedRunbook, RunbookCatalog } from './catalog.js';
import { formatIssue } from '../diagnostics/located-issue.js';

/** What a live catalog is built from. */
export interface LiveCatalogOptions {
  /** The catalog loaded at start; served until the first check. Its problems were reported at start. */
  initial: RunbookCatalog;
  /** Loads the whole set again: the same loader (runbooks and templates) the command used at start. */
  load: () => Promise<RunbookCatalog>;
  /** What a change (mtime, size, entries) means a reload: runbook files and directories, template directories. */
  watch: WatchedPaths;
  logger: Logger;
  /** How often `start` checks the files, in milliseconds (default 1000). */
  intervalMs?: number;
}

/** Runbooks by id, served synchronously from the last load; `deps.runbooks` of the API. */
export interface LiveCatalog {
  get(id: string): LoadedRunbook | undefined;
  list(): LoadedRunbook[];
  /** Checks the files now and reloads when they changed; true when it reloaded. Never rejects. */
  refresh(): Promise<boolean>;
  /** Checks every `intervalMs` in the background; the timer does not keep the process alive. */
  start(): void;
  /** Stops checking and waits for a check in progress. */
  close(): Promise<void>;
}

/**
 * The files a catalog is loaded from: runbook files and directories (only a directory's direct entries, as
 * the loader reads them) and template directories (whole trees).
 */
export interface WatchedPaths {
  runbooks: readonly string[];
  templates?: readonly string[];
}

// Deep enough for templates/<message>/<channel>.<part>.hbs and partials.
const TEMPLATE_DEPTH = 4;

/** A live catalog over `options.load`; call `start` to follow the files. */
export function createLiveCatalog(options: LiveCatalogOptions): LiveCatalog {
  let runbooks = new Map(options.initial.runbooks);
  // Unknown until the first check, which therefore reloads once: the files may have changed between the
  // command's load at start and the API serving (in `firebreak dev`, while Temporal starts).
  let fingerprint: string | undefined;
  let reported = problemLines(options.initial);
  let lastError: string | undefined;
  let inFlight: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const check = async (): Promise<boolean> => {
    try {
      const now = await fingerprintPaths(options.watch);
      if (now === fingerprint) return false;
      // Taken before the load: a change during the load shows at the next check and loads again.
      const next = await options.load();
      const merged = await mergeLastGood(runbooks, next);
      reported = reportProblems(options.logger, next, merged.kept, reported);
      reportChanges(options.logger, runbooks, merged.runbooks);
      runbooks = merged.runbooks;
      fingerprint = now;
      lastError = undefined;
      return true;
    } catch (error) {
      // Keep serving what we have; the next check tries again, and says so only when the reason changes.
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastError) options.logger.warn({ err: message }, 'cannot reload the runbooks');
      lastError = message;
      return false;
    }
  };

  const refresh = (): Promise<boolean> => {
    inFlight ??= check().finally(() => (inFlight = undefined));
    return inFlight;
  };

  return {
    get: (id) => runbooks.get(id),
    list: () => [...runbooks.values()],
    refresh,
    start() {
      timer ??= setInterval(() => void refresh(), options.intervalMs ?? 1000);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

/** One line per watched file and directory (name, mtime, size), in a stable order; missing ones say so. */
export async function fingerprintPaths(watch: WatchedPaths): Promise<string> {
  const lines: string[] = [];
  for (const given of watch.runbooks) await describePath(given, lines, 1);
  for (const given of watch.templates ?? []) await describePath(given, lines, TEMPLATE_DEPTH);
  return lines.join('\n');
}

async function describePath(file: string, lines: string[], depth: number): Promise<void> {
  try {
    const info = await stat(file);
    lines.push(`${file}\t${info.isDirectory() ? 'dir' : 'file'}\t${info.mtimeMs}\t${info.size}`);
    if (!info.isDirectory() || depth === 0) return;
    // Hidden entries are editors' swap and backup files, which neither loader reads.
    const names = (await readdir(file)).filter((name) => !name.startsWith('.')).sort();
    for (const name of names) await describePath(path.join(file, name), lines, depth - 1);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    lines.push(`${file}\t${typeof code === 'string' ? code : 'unreadable'}`);
  }
}

/**
 * The newly loaded runbooks, plus the last good version of each runbook that did not load now but whose
 * file is still there: it still declares the id (and is broken), cannot be parsed far enough to say, or
 * could not be read. A runbook whose file is gone, or now declares another id, is dropped.
 */
async function mergeLastGood(
  previous: ReadonlyMap<string, LoadedRunbook>,
  next: RunbookCatalog,
): Promise<{ runbooks: Map<string, LoadedRunbook>; kept: LoadedRunbook[] }> {
  const runbooks = new Map(next.runbooks);
  const declared = new Set(next.declaredIds.values());
  const read = new Set(next.files);
  const kept: LoadedRunbook[] = [];
  for (const [id, loaded] of previous) {
    if (runbooks.has(id)) continue;
    const keep =
      declared.has(id) || (read.has(loaded.file) ? !next.declaredIds.has(loaded.file) : await exists(loaded.file));
    if (!keep) continue;
    runbooks.set(id, loaded);
    kept.push(loaded);
  }
  return { runbooks, kept };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function problemLines(catalog: RunbookCatalog): string[] {
  return catalog.issues.map(formatIssue);
}

/** Logs the problems of a load when they differ from the ones last reported; returns the ones now reported. */
function reportProblems(
  logger: Logger,
  next: RunbookCatalog,
  kept: readonly LoadedRunbook[],
  reported: string[],
): string[] {
  const problems = problemLines(next);
  if (problems.length === 0 || sameLines(problems, reported)) return problems;
  const lastGood = kept.map(({ plan }) => ({ id: plan.runbookId, version: plan.version, file: plan.source.file }));
  logger.warn(
    { problems, kept: lastGood },
    lastGood.length > 0
      ? 'runbook files have problems; serving the last good version of the runbooks they broke'
      : 'runbook files have problems',
  );
  return problems;
}

/** Logs which runbooks a reload added, changed and removed, with their versions; nothing when none. */
function reportChanges(
  logger: Logger,
  before: ReadonlyMap<string, LoadedRunbook>,
  after: ReadonlyMap<string, LoadedRunbook>,
): void {
  const added: { id: string; version: number }[] = [];
  const changed: { id: string; from: number; to: number }[] = [];
  const removed: { id: string; version: number }[] = [];
  for (const [id, { plan }] of after) {
    const old = before.get(id)?.plan;
    if (old === undefined) added.push({ id, version: plan.version });
    // The whole plan, so that template, child and file moves count as well as the runbook's own bytes.
    else if (old !== plan && JSON.stringify(old) !== JSON.stringify(plan))
      changed.push({ id, from: old.version, to: plan.version });
  }
  for (const [id, { plan }] of before) if (!after.has(id)) removed.push({ id, version: plan.version });
  if (added.length + changed.length + removed.length === 0) return;
  logger.info({ added, changed, removed }, 'runbooks reloaded');
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, index) => line === b[index]);
}
