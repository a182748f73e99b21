/** How `firebreak evidence` words sizes and the artefacts a verification did not vouch for. */
import { describe, expect, it } from 'vitest';
import type { EvidenceArtefact, VerifyResult } from '../../../src/cli/api/evidence.js';
import { humanSize, renderEvidenceList, verifyFailure } from '../../../src/cli/render-evidence.js';

const artefact: EvidenceArtefact = {
  id: 'a1',
  incidentId: 'inc-1',
  target: { id: 'c0ffee', name: 'web-1' },
  artefact: 'filesystem',
  contentType: 'application/x-tar',
  capturedAt: '2026-12-07T10:00:00.123Z',
  capturedBy: { stepId: 'capture', worker: 'w1' },
  size: 1536,
  sha256: 'a'.repeat(64),
  location: 'inc-1/c0ffee/filesystem-a1',
};

function result(found: Partial<VerifyResult>): VerifyResult {
  return { artefact, result: 'ok', ...found };
}

describe('humanSize', () => {
  it('counts bytes below 1 KiB as they are and larger sizes in binary units', () => {
    expect([0, 1023, 1024, 1536, 3 * 1024 * 1024 + 5, 5 * 1024 ** 4].map(humanSize)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '3.0 MiB',
      '5.0 TiB',
    ]);
  });
});

describe('verifyFailure', () => {
  it('names the artefact and target, then what differs', () => {
    expect(verifyFailure(result({ result: 'mismatch', size: 1536, sha256: 'b'.repeat(64) }))).toBe(
      `filesystem of web-1: sha256 mismatch: the stored bytes hash to ${'b'.repeat(64)}, recorded ${'a'.repeat(64)}`,
    );
    expect(verifyFailure(result({ result: 'mismatch', size: 1537, sha256: 'c'.repeat(64) }))).toBe(
      `filesystem of web-1: size mismatch: 1537 bytes stored, 1536 recorded (sha256 ${'c'.repeat(64)}, recorded ${'a'.repeat(64)})`,
    );
    expect(verifyFailure(result({ result: 'missing', detail: 'no blob at inc-1/c0ffee/filesystem-a1' }))).toBe(
      'filesystem of web-1: missing: no blob at inc-1/c0ffee/filesystem-a1',
    );
    expect(verifyFailure(result({ result: 'error', detail: 'cannot read x: EACCES' }))).toBe(
      'filesystem of web-1: error: cannot read x: EACCES',
    );
  });
});

describe('renderEvidenceList', () => {
  it('shows the last verification of each artefact, and a target whose name is its id once', () => {
    const same = { ...artefact, id: 'a2', artefact: 'logs', target: { id: 'db-1', name: 'db-1' }, size: 12 };
    const text = renderEvidenceList(
      [artefact, same],
      [
        { seq: 1, artefactId: 'a1', action: 'verify', actor: 'alice', at: '2026-12-07T11:00:00Z', result: 'ok' },
        { seq: 2, artefactId: 'a1', action: 'export', actor: 'dana', at: '2026-12-07T11:30:00Z', result: 'ok' },
        { seq: 3, artefactId: 'a1', action: 'verify', actor: 'bob', at: '2026-12-07T12:00:00Z', result: 'mismatch' },
      ],
    );
    expect(text.split('\n')).toEqual([
      'ARTEFACT    TARGET          SIZE     SHA256        CAPTURED              STEP     LAST VERIFIED',
      'filesystem  web-1 (c0ffee)  1.5 KiB  aaaaaaaaaaaa  2026-12-07 10:00:00Z  capture  mismatch (bob, 2026-12-07 12:00:00Z)',
      'logs        db-1            12 B     aaaaaaaaaaaa  2026-12-07 10:00:00Z  capture  never',
      '',
    ]);
  });
});
