/**
 * Backup manifests and where backups live in the blob store. A manifest is written apart from the data
 * it describes (under its own prefix, optionally in its own store), so a corrupted or replaced backup
 * object cannot vouch for itself: verification always recomputes the object's SHA-256 and compares it with
 * the manifest's.
 *
 * Layout (prefixes configurable):
 *   backups/<source>/<backupId>.<ext>      the data (`dump` for pg_dump -Fc, `tar.gz` for files)
 *   manifests/<source>/<backupId>.json     its manifest
 * Backup ids sort by creation time: `<YYYYMMDDTHHMMSSmmmZ>-<8 hex>`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Names of backup sources (a configured database or directory): safe in blob keys. */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** The kinds of backup this release makes. */
export const BACKUP_KINDS = ['postgres', 'files'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** The extension of each format's data object: a custom-format dump, a gzipped tar archive. */
const DATA_EXTENSIONS: Readonly<Record<BackupKind, string>> = { postgres: 'dump', files: 'tar.gz' };

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const Instant = z.iso.datetime({ offset: true });

/** One backup's manifest, as stored (version 1). */
export const BackupManifestSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/),
  kind: z.enum(BACKUP_KINDS),
  /** The configured source name (database or directory). */
  source: z.string().regex(SOURCE_NAME),
  /** Blob key of the data object. */
  key: z.string().min(1),
  /** SHA-256 (hex) and size of the data object's bytes. */
  sha256: Sha256Hex,
  size: z.int().min(0),
  /** When the backup started (its consistency point) and finished. */
  createdAt: Instant,
  finishedAt: Instant,
  /** Tool versions, e.g. { pg_dump: "15.18", node: "v20.20.2" }. */
  tools: z.record(z.string(), z.string()),
  /** PostgreSQL backups: the database and the exact row count of every table, `schema.table` -> rows. */
  postgres: z
    .strictObject({ database: z.string(), serverVersion: z.string(), tables: z.record(z.string(), z.int().min(0)) })
    .optional(),
  /** File backups: the number of files and the SHA-256 of each, relative path -> hex. */
  files: z.strictObject({ count: z.int().min(0), sha256: z.record(z.string(), Sha256Hex) }).optional(),
  /**
   * The hash list: the SHA-256 of each consecutive `size`-byte segment of the data object (the last may be
   * shorter). Lets a verification resume at a segment boundary in any worker process (integrity/segment-hasher.ts).
   * Absent from backups made before it existed, which verify with the whole-object digest only.
   */
  segments: z.strictObject({ size: z.int().min(1), sha256: z.array(Sha256Hex) }).optional(),
});
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

/** Where backups and manifests are kept in the blob store. */
export interface BackupLayout {
  dataPrefix: string;
  manifestPrefix: string;
}

/** The default layout: `backups/` and `manifests/`. */
export const DEFAULT_LAYOUT: BackupLayout = { dataPrefix: 'backups', manifestPrefix: 'manifests' };

/** A new backup id for a backup started at `at`: sortable by time, unique by its random suffix. */
export function newBackupId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** When a backup with this id was started (from the id itself). */
export function backupIdTime(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(id);
  if (!m) throw new Error(`not a backup id: ${id}`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}

/** The blob keys of one backup. */
export function backupKeys(layout: BackupLayout, kind: BackupKind, source: string, id: string) {
  const ext = DATA_EXTENSIONS[kind];
  return {
    data: `${layout.dataPrefix}/${source}/${id}.${ext}`,
    manifest: manifestKey(layout, source, id),
  };
}

/** The blob key of one backup's manifest. */
export function manifestKey(layout: BackupLayout, source: string, id: string): string {
  return `${manifestPrefixOf(layout, source)}${id}.json`;
}

/** The prefix under which a source's manifests are listed. */
export function manifestPrefixOf(layout: BackupLayout, source: string): string {
  return `${layout.manifestPrefix}/${source}/`;
}
