/**
 * Writing manifests to the manifest store (`deps.manifestStore`, else the data store under its own
 * prefix). A manifest is written only after its data object is complete, so it always describes a whole
 * object. Reading them back is `../catalog.ts`.
 */
import { manifestStoreOf } from '../catalog.js';
import type { BackupDeps } from '../deps.js';
import { BackupManifestSchema, backupKeys, type BackupManifest } from '../manifest.js';

/** A finished backup: its manifest (already stored), where the manifest is, and how long each phase took. */
export interface BackupOutcome {
  manifest: BackupManifest;
  manifestKey: string;
  /** `dataMs`: writing the data object (dump or archive, streamed); `totalMs`: the whole backup. */
  timings: { dataMs: number; totalMs: number };
}

/** Validates and writes a manifest to its key; returns the key. */
export async function writeManifest(deps: BackupDeps, manifest: BackupManifest): Promise<string> {
  const checked = BackupManifestSchema.parse(manifest);
  const key = backupKeys(deps.layout, checked.kind, checked.source, checked.id).manifest;
  const body = Buffer.from(`${JSON.stringify(checked, null, 2)}\n`);
  await manifestStoreOf(deps).put(key, body, { contentType: 'application/json' });
  return key;
}
