/**
 * Reading manifests back: one backup's manifest by id, or every manifest of a source. A manifest that does
 * not parse, or that claims another id or source than where it is stored, is reported and never trusted.
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { BackupDeps } from './deps.js';
import {
  BackupManifestSchema,
  manifestKey,
  manifestPrefixOf,
  type BackupLayout,
  type BackupManifest,
} from './manifest.js';

/** The store manifests live in. */
export function manifestStoreOf(deps: BackupDeps): BlobStore {
  return deps.manifestStore ?? deps.store;
}

/** Largest manifest read (a files manifest lists one digest per file). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** A manifest that was found but cannot be used, and why. */
export type UnreadableManifest = { key: string; reason: string };

/** Every usable manifest of a source, and the ones that were skipped. */
export interface SourceManifests {
  manifests: BackupManifest[];
  unreadable: UnreadableManifest[];
}

/** Reads and checks one backup's manifest: NOT_FOUND when absent, BACKUP_CORRUPT when it does not parse. */
export async function readManifest(
  store: BlobStore,
  layout: BackupLayout,
  source: string,
  id: string,
): Promise<BackupManifest> {
  const key = manifestKey(layout, source, id);
  if ((await store.head(key)) === undefined) {
    throw new FirebreakError(ErrorCode.NotFound, `no manifest for backup ${id} of ${source} (${key})`);
  }
  const parsed = await parseManifestAt(store, key, source, id);
  if (!parsed.ok) throw new FirebreakError(ErrorCode.BackupCorrupt, `manifest ${key} is unusable: ${parsed.reason}`);
  return parsed.manifest;
}

/** Lists and parses every manifest of a source, eight reads at a time. */
export async function listManifests(store: BlobStore, layout: BackupLayout, source: string): Promise<SourceManifests> {
  const prefix = manifestPrefixOf(layout, source);
  const keys: string[] = [];
  for await (const entry of store.list(prefix)) {
    // Only this source's own directory: `manifests/db/x.json`, not `manifests/db/old/x.json`.
    const name = entry.key.slice(prefix.length);
    if (name.endsWith('.json') && !name.includes('/')) keys.push(entry.key);
  }
  const manifests: BackupManifest[] = [];
  const unreadable: UnreadableManifest[] = [];
  const pending = [...keys];
  const worker = async (): Promise<void> => {
    for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
      const id = key.slice(prefix.length, -'.json'.length);
      const parsed = await parseManifestAt(store, key, source, id);
      if (parsed.ok) manifests.push(parsed.manifest);
      else unreadable.push({ key, reason: parsed.reason });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
  unreadable.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { manifests, unreadable };
}

type Parsed = { ok: true; manifest: BackupManifest } | { ok: false; reason: string };

async function parseManifestAt(store: BlobStore, key: string, source: string, id: string): Promise<Parsed> {
  let text: string | undefined;
  try {
    text = await readText(await store.get(key));
  } catch (error) {
    // A manifest deleted between listing and reading is simply gone; other errors are the store's.
    if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) return { ok: false, reason: 'deleted' };
    throw error;
  }
  if (text === undefined) return { ok: false, reason: `over ${MAX_MANIFEST_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const result = BackupManifestSchema.safeParse(json);
  if (!result.success)
    return { ok: false, reason: `does not parse: ${z.prettifyError(result.error).replace(/\n/g, '; ')}` };
  const manifest = result.data;
  // Stored under another name than it claims: a copied or tampered manifest cannot vouch for this backup.
  if (manifest.id !== id || manifest.source !== source) {
    return {
      ok: false,
      reason: `claims backup ${manifest.id} of ${manifest.source}, but is stored as ${id} of ${source}`,
    };
  }
  return { ok: true, manifest };
}

/** The stream's bytes as UTF-8, or undefined (the stream destroyed) when they are over MAX_MANIFEST_BYTES. */
async function readText(stream: Readable): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > MAX_MANIFEST_BYTES) {
      stream.destroy();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
