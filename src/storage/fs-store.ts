/**
 * The filesystem BlobStore: blob bytes under `<root>/objects/<key>`, attributes in a sidecar JSON under
 * `<root>/meta/<key>.json`, and writes staged in `<root>/tmp/` then fsync'd and renamed into place, so a
 * reader sees either the old blob or the new one, never a torn write.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, realpath, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import {
  chunksOf,
  Digest,
  emptyBody,
  notFound,
  rangePastEnd,
  validateKey,
  validatePrefix,
  validatePutOptions,
  validateRange,
  type BlobEntry,
  type BlobHead,
  type BlobStore,
  type PutOptions,
  type PutResult,
} from './blob-store.js';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';

/** Where the filesystem store keeps its files. */
export interface FsStoreOptions {
  /** The root directory; created when absent. */
  dir: string;
}

interface Sidecar {
  size: number;
  sha256: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** Creates a filesystem BlobStore rooted at `options.dir`. */
export async function createFsStore(options: FsStoreOptions): Promise<BlobStore> {
  // Blobs are backups, evidence and published pages: directories 0700, files 0600 (writeStaged).
  await ensurePrivateDir(options.dir);
  const root = await realpath(options.dir);
  const objects = path.join(root, 'objects');
  const meta = path.join(root, 'meta');
  const tmp = path.join(root, 'tmp');
  await Promise.all([objects, meta, tmp].map((dir) => ensurePrivateDir(dir)));

  /** Maps a key into `base`, refusing anything that would land outside it (symlinked dirs included). */
  async function inside(base: string, key: string, suffix = ''): Promise<string> {
    const file = path.resolve(base, key + suffix);
    if (!file.startsWith(base + path.sep)) throw escape(key);
    const parent = await realpath(path.dirname(file)).catch(() => undefined);
    if (parent !== undefined && parent !== base && !parent.startsWith(base + path.sep)) throw escape(key);
    return file;
  }

  return {
    async put(key, body, opts) {
      validateKey(key);
      const metadata = validatePutOptions(opts);
      if (opts?.retention !== undefined) {
        throw new FirebreakError(ErrorCode.Unsupported, 'the filesystem store has no Object Lock: retention needs S3');
      }
      const dataFile = await inside(objects, key);
      const metaFile = await inside(meta, key, '.json');
      const stagedData = path.join(tmp, `${randomUUID()}.data`);
      const stagedMeta = path.join(tmp, `${randomUUID()}.json`);
      try {
        const digest = await writeStaged(stagedData, body);
        const sidecar: Sidecar = { size: digest.size, sha256: digest.hex(), metadata, ...contentType(opts) };
        await writeStaged(stagedMeta, Buffer.from(JSON.stringify(sidecar)));
        await Promise.all([
          mkdir(path.dirname(dataFile), { recursive: true, mode: PRIVATE_DIR_MODE }),
          mkdir(path.dirname(metaFile), { recursive: true, mode: PRIVATE_DIR_MODE }),
        ]);
        // Data first: a crash between the two renames leaves a sidecar whose size no longer matches,
        // which `head` detects and reports as an unknown digest rather than a wrong one.
        await rename(stagedData, dataFile);
        await rename(stagedMeta, metaFile);
        await Promise.all([syncDir(path.dirname(dataFile)), syncDir(path.dirname(metaFile))]);
        return { key, size: sidecar.size, sha256: sidecar.sha256 } satisfies PutResult;
      } catch (error) {
        await Promise.all([rm(stagedData, { force: true }), rm(stagedMeta, { force: true })]);
        // On put, a directory where the file goes (or a file where a directory goes) is a clash of keys.
        const code = (error as NodeJS.ErrnoException | undefined)?.code;
        throw fsError(code === 'EISDIR' ? Object.assign(new Error('clash'), { code: 'ENOTDIR' }) : error, key);
      }
    },

    async get(key, opts) {
      validateKey(key);
      const range = validateRange(opts);
      const file = await inside(objects, key);
      let handle: FileHandle;
      let size: number;
      try {
        handle = await open(file, 'r');
        const info = await handle.stat();
        size = info.size;
        if (!info.isFile()) {
          await handle.close();
          throw notFound(key);
        }
      } catch (error) {
        throw fsError(error, key);
      }
      if (range.start >= size || range.end === range.start) {
        await handle.close();
        if (range.start > size) throw rangePastEnd(key, range.start, size);
        return emptyBody();
      }
      // createReadStream's `end` is inclusive; the port's is exclusive.
      const end = range.end === undefined ? {} : { end: range.end - 1 };
      return handle.createReadStream({ highWaterMark: 1024 * 1024, start: range.start, ...end });
    },

    async head(key) {
      validateKey(key);
      const file = await inside(objects, key);
      const info = await stat(file).catch((error: unknown) => {
        if (isMissing(error)) return undefined;
        throw fsError(error, key);
      });
      if (!info?.isFile()) return undefined;
      const sidecar = await readSidecar(await inside(meta, key, '.json'));
      const current = sidecar?.size === info.size;
      const head: BlobHead = { size: info.size, metadata: sidecar?.metadata ?? {}, modifiedAt: info.mtime };
      if (current && sidecar) head.sha256 = sidecar.sha256;
      if (sidecar?.contentType !== undefined) head.contentType = sidecar.contentType;
      return head;
    },

    async *list(prefix) {
      validatePrefix(prefix);
      // Only the directory that holds the prefix's last segment can contain matches.
      const slash = prefix.lastIndexOf('/');
      const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
      const entries: BlobEntry[] = [];
      await walk(dirKey === '' ? objects : await inside(objects, dirKey), dirKey, prefix, entries);
      entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      yield* entries;
    },

    async delete(key) {
      validateKey(key);
      const dataFile = await inside(objects, key);
      const metaFile = await inside(meta, key, '.json');
      try {
        if ((await stat(dataFile).catch(() => undefined))?.isDirectory()) return;
        await rm(dataFile, { force: true });
        await rm(metaFile, { force: true });
      } catch (error) {
        throw fsError(error, key);
      }
      await pruneEmptyDirs(path.dirname(dataFile), objects);
      await pruneEmptyDirs(path.dirname(metaFile), meta);
    },
  };
}

function contentType(opts: PutOptions | undefined): { contentType?: string } {
  return opts?.contentType === undefined ? {} : { contentType: opts.contentType };
}

async function writeStaged(file: string, body: Buffer | Readable): Promise<Digest> {
  const digest = new Digest();
  const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  try {
    for await (const chunk of chunksOf(body)) await handle.write(digest.update(chunk));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return digest;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readSidecar(file: string): Promise<Sidecar | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Sidecar;
  } catch {
    // A missing or unreadable sidecar means the attributes are unknown, not that the blob is gone.
    return undefined;
  }
}

async function walk(dir: string, dirKey: string, prefix: string, out: BlobEntry[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw fsError(error, dirKey);
  }
  for (const name of names) {
    const key = dirKey === '' ? name : `${dirKey}/${name}`;
    // Descend only where keys below could still start with the prefix.
    if (!key.startsWith(prefix) && !prefix.startsWith(`${key}/`)) continue;
    const info = await stat(path.join(dir, name)).catch(() => undefined);
    if (info?.isDirectory()) await walk(path.join(dir, name), key, prefix, out);
    else if (info?.isFile() && key.startsWith(prefix)) out.push({ key, size: info.size, modifiedAt: info.mtime });
  }
}

async function pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
  for (let current = dir; current !== stopAt && current.startsWith(stopAt); current = path.dirname(current)) {
    // rmdir fails on a non-empty directory, which is exactly where pruning stops.
    if (
      !(await rmdir(current).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function escape(key: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `blob key ${JSON.stringify(key)} escapes the store's root`);
}

/** Maps a filesystem error to a FirebreakError that names the key, never the bytes. */
function fsError(error: unknown, key: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EISDIR') return notFound(key);
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new FirebreakError(ErrorCode.Conflict, `blob key ${JSON.stringify(key)} clashes with an existing key`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new FirebreakError(ErrorCode.NotAllowed, `no permission for blob ${JSON.stringify(key)} (${code})`);
  }
  const why = error instanceof Error ? error.message : String(error);
  return new FirebreakError(ErrorCode.Transient, `blob store I/O failed for ${JSON.stringify(key)}: ${why}`);
}
