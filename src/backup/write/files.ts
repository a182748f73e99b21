/**
 * Directory backups: a tar.gz of the directory streams into the blob store while the same tar stream is
 * parsed on the side to hash every file as archived, so the manifest's per-file SHA-256 describes exactly
 * the bytes in the archive (not a second read that could see a later version), in one pass and without
 * holding the archive in memory. Any tar warning (an unreadable file, say) fails the backup: a backup
 * that silently skipped something is not one.
 */
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create, Parser, type ReadEntry } from 'tar';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { Digest } from '../../storage/blob-store.js';
import type { BackupDeps } from '../deps.js';
import { backupKeys, newBackupId, type BackupManifest } from '../manifest.js';
import { writeManifest, type BackupOutcome } from './manifest-store.js';
import { segmentHasher } from '../integrity/segment-hasher.js';
import { byteMeter, elapsedMs, type StreamOptions } from '../progress.js';
import { own } from '../../domain/own.js';

const TAR_VERSION = (createRequire(import.meta.url)('tar/package.json') as { version: string }).version;

/** Entry types whose content is a regular file's bytes. */
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

function now(deps: BackupDeps): Date {
  return deps.now?.() ?? new Date();
}

/** The configured directory `source`, checked to be a directory. */
async function sourceDirectory(deps: BackupDeps, source: string): Promise<string> {
  const configured = own(deps.directories, source);
  if (configured === undefined) {
    const known = Object.keys(deps.directories).join(', ') || 'none';
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `no directory source ${source} in backups.directories (have: ${known})`,
    );
  }
  const info = await stat(configured.path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new FirebreakError(ErrorCode.NotFound, `directory source ${source}: ${configured.path} is not a directory`);
  }
  return configured.path;
}

/** An archive path as the manifest keys it: relative, `/`-separated, without the leading `./`. */
export function archivePath(entryPath: string): string {
  return entryPath.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
}

/** Hashes file entries as the parser reads them; a hard link gets the hash of the file it links to. */
function hashEntries(hashes: Map<string, string>) {
  return (entry: ReadEntry) => {
    const name = archivePath(entry.path);
    if (entry.type === 'Link') {
      const target = hashes.get(archivePath(entry.linkpath ?? ''));
      if (target !== undefined) hashes.set(name, target);
      entry.resume();
      return;
    }
    if (!FILE_TYPES.has(entry.type)) {
      entry.resume();
      return;
    }
    const digest = new Digest();
    entry.on('data', (chunk: Buffer) => digest.update(chunk));
    entry.on('end', () => hashes.set(name, digest.hex()));
  };
}

/** The tar stream of `dir`, passed through unchanged while a side parser hashes each file in it. */
async function* archiveWithHashes(dir: string, hashes: Map<string, string>): AsyncGenerator<Buffer> {
  const pack = create({ cwd: dir, strict: true, gzip: false }, ['.']);
  const parser = new Parser({ strict: true, onReadEntry: hashEntries(hashes) });
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
  });
  for await (const chunk of pack) {
    parser.write(chunk);
    yield chunk;
  }
  parser.end();
  await parsed;
}

/** Backs up the configured directory `source` as a tar.gz, with every file's SHA-256 in the manifest. */
export async function backupFiles(
  deps: BackupDeps,
  source: string,
  options: StreamOptions = {},
): Promise<BackupOutcome> {
  const started = performance.now();
  const dir = await sourceDirectory(deps, source);
  const createdAt = now(deps);
  const id = newBackupId(createdAt);
  const dataKey = backupKeys(deps.layout, 'files', source, id).data;
  const hashes = new Map<string, string>();
  const meter = byteMeter(options);
  const archive = Readable.from(archiveWithHashes(dir, hashes));
  const gzip = createGzip();
  const hasher = segmentHasher(deps.segmentBytes);
  const compressing = pipeline(
    archive,
    gzip,
    meter.stream,
    hasher.stream,
    ...(options.signal ? [{ signal: options.signal }] : []),
  );
  let stored;
  try {
    [stored] = await Promise.all([
      deps.store.put(dataKey, hasher.stream, { contentType: 'application/gzip' }),
      compressing.catch((error: unknown) => {
        throw archiveError(source, error);
      }),
    ]);
  } catch (error) {
    await deps.store.delete(dataKey).catch(() => undefined);
    throw error instanceof FirebreakError ? error : archiveError(source, error);
  }
  const dataMs = elapsedMs(started);
  const sorted = [...hashes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const manifest: BackupManifest = {
    version: 1,
    id,
    kind: 'files',
    source,
    key: dataKey,
    sha256: stored.sha256,
    size: stored.size,
    createdAt: createdAt.toISOString(),
    finishedAt: now(deps).toISOString(),
    tools: { 'node-tar': TAR_VERSION, node: process.version },
    files: { count: sorted.length, sha256: Object.fromEntries(sorted) },
    segments: hasher.segments(),
  };
  const manifestKey = await writeManifest(deps, manifest).catch(async (error: unknown) => {
    await deps.store.delete(dataKey).catch(() => undefined);
    throw error;
  });
  return { manifest, manifestKey, timings: { dataMs, totalMs: elapsedMs(started) } };
}

/** A failure to read the directory: tar's codes and messages name the file, never any content. */
function archiveError(source: string, error: unknown): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const permanent = code === 'EACCES' || code === 'EPERM' || code === 'TAR_ENTRY_UNSUPPORTED';
  return new FirebreakError(
    permanent ? ErrorCode.NotAllowed : ErrorCode.Transient,
    `archiving directory source ${source} failed: ${message}`,
  );
}
