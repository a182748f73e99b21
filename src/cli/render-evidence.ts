/** Evidence for people: the custody records as a table, and each artefact a verification did not vouch for. */
import type { EvidenceAccess, EvidenceArtefact, VerifyResult } from './api/evidence.js';
import { table } from './output.js';
import { formatInstant } from './render-time.js';

/** `12.3 MiB`-style size; bytes below 1 KiB as they are. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The first 12 hex digits of a digest: enough to tell artefacts apart, short enough for a table. */
function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}

/** The custody records as a table, then how often each was verified or exported and the last verification. */
export function renderEvidenceList(
  artefacts: readonly EvidenceArtefact[],
  accesses: readonly EvidenceAccess[],
): string {
  const rows = artefacts.map((a) => {
    const last = accesses.filter((x) => x.artefactId === a.id && x.action === 'verify').at(-1);
    return [
      a.artefact,
      a.target.name === a.target.id ? a.target.name : `${a.target.name} (${a.target.id})`,
      humanSize(a.size),
      shortHash(a.sha256),
      formatInstant(a.capturedAt),
      a.capturedBy.stepId,
      last === undefined ? 'never' : `${last.result} (${last.actor}, ${formatInstant(last.at)})`,
    ];
  });
  return table([['ARTEFACT', 'TARGET', 'SIZE', 'SHA256', 'CAPTURED', 'STEP', 'LAST VERIFIED'], ...rows]);
}

/** Why one artefact failed verification, in one line: `filesystem of web-1: sha256 mismatch: ...`. */
export function verifyFailure(result: VerifyResult): string {
  const { artefact, detail } = result;
  const what = `${artefact.artefact} of ${artefact.target.name}`;
  if (result.result === 'mismatch') {
    if (result.size !== undefined && result.size !== artefact.size) {
      return `${what}: size mismatch: ${result.size} bytes stored, ${artefact.size} recorded (sha256 ${result.sha256 ?? '?'}, recorded ${artefact.sha256})`;
    }
    return `${what}: sha256 mismatch: the stored bytes hash to ${result.sha256 ?? '?'}, recorded ${artefact.sha256}`;
  }
  if (result.result === 'missing') return `${what}: missing: ${detail ?? `no blob at ${artefact.location}`}`;
  return `${what}: ${result.result}: ${detail ?? 'cannot be read'}`;
}
