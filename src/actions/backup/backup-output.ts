/** The outputs the backup actions share: what was written, where, how fast. */
import type { JsonObject } from '../../domain/plan.js';
import type { BackupOutcome } from '../../backup/write/manifest-store.js';
import { bytesPerSecond } from '../../backup/progress.js';
import { summarize } from '../../backup/restore/select.js';

/** A backup step's output: the backup (id, key, size, SHA-256), its manifest's key, timings and throughput. */
export function backupOutput(outcome: BackupOutcome): JsonObject {
  const { manifest, manifestKey, timings } = outcome;
  const output: JsonObject = {
    backup: summarize(manifest),
    manifestKey,
    bytes: manifest.size,
    timings: { ...timings },
    throughputBytesPerS: bytesPerSecond(manifest.size, timings.dataMs),
  };
  if (manifest.postgres) {
    const { database, serverVersion, tables } = manifest.postgres;
    const rows = Object.values(tables).reduce((sum, count) => sum + count, 0);
    output.postgres = { database, serverVersion, tables: { ...tables }, tableCount: Object.keys(tables).length, rows };
  }
  if (manifest.files) output.files = { count: manifest.files.count };
  output.tools = { ...manifest.tools };
  return output;
}

/** `12.3 MiB`-style size for notes. */
export function humanBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
