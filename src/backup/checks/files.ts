/**
 * Restore checks against a directory (a scratch restore, or a live one for restore.check): it exists,
 * and files have the SHA-256 the manifest recorded. Files are hashed as streams, four at a time.
 * Database checks do not apply and are SKIPPED.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackupManifest } from '../manifest.js';
import { skipped, timed, type CheckResult, type CheckSpec } from './schema.js';

type Outcome = { status: 'PASS' | 'FAIL' | 'SKIPPED'; reason: string };

/** Runs the checks against the directory `dir`, in order; never throws for a check. */
export async function runFileChecks(
  dir: string,
  manifest: BackupManifest,
  checks: readonly CheckSpec[],
  options: { label?: string } = {},
): Promise<CheckResult[]> {
  const label = options.label ?? 'the restored directory';
  const info = await stat(dir).catch(() => undefined);
  const results: CheckResult[] = [];
  for (const check of checks) {
    if (!info?.isDirectory() && check.kind !== 'starts') {
      results.push(skipped(check, `${label} ${dir} does not exist`));
      continue;
    }
    results.push(await timed(check, () => runOne(dir, label, info?.isDirectory() === true, manifest, check)));
  }
  return results;
}

async function runOne(
  dir: string,
  label: string,
  exists: boolean,
  manifest: BackupManifest,
  check: CheckSpec,
): Promise<Outcome> {
  switch (check.kind) {
    case 'starts':
      return exists
        ? { status: 'PASS', reason: `${label} exists` }
        : { status: 'FAIL', reason: `${label} ${dir} does not exist` };
    case 'file-hashes':
      return fileHashes(dir, manifest, check.paths);
    case 'tables-exist':
    case 'row-counts':
    case 'query':
      return { status: 'SKIPPED', reason: `${check.kind} does not apply to a files restore` };
  }
}

async function fileHashes(dir: string, manifest: BackupManifest, named: string[] | undefined): Promise<Outcome> {
  const expected = manifest.files?.sha256;
  if (expected === undefined) return { status: 'SKIPPED', reason: 'the manifest records no file hashes' };
  const paths = [...(named ?? Object.keys(expected))].sort();
  if (paths.length === 0) return { status: 'SKIPPED', reason: 'the manifest lists no files' };
  const problems: string[] = [];
  const pending = [...paths];
  const worker = async (): Promise<void> => {
    for (let file = pending.shift(); file !== undefined; file = pending.shift()) {
      const problem = await checkFile(dir, file, expected[file]);
      if (problem !== undefined) problems.push(problem);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, paths.length) }, worker));
  problems.sort();
  if (problems.length > 0) {
    const shown = problems.length <= 10 ? problems : [...problems.slice(0, 10), `and ${problems.length - 10} more`];
    return { status: 'FAIL', reason: `${problems.length} of ${paths.length} files differ: ${shown.join('; ')}` };
  }
  return { status: 'PASS', reason: `${paths.length} files match the manifest's SHA-256` };
}

/** Undefined when the file matches; otherwise what is wrong with it. */
async function checkFile(dir: string, file: string, want: string | undefined): Promise<string | undefined> {
  if (want === undefined) return `${file}: not in the manifest`;
  const full = path.resolve(dir, file);
  // Manifest paths are relative and stay inside the restore; anything else is refused, not followed.
  if (path.isAbsolute(file) || !full.startsWith(path.resolve(dir) + path.sep)) return `${file}: outside the restore`;
  try {
    const got = await sha256File(full);
    return got === want ? undefined : `${file}: sha256 ${got}, manifest ${want}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${file}: ${code === 'ENOENT' ? 'missing' : code === 'EISDIR' ? 'a directory' : String(error)}`;
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
