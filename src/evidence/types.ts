/** The evidence store's records: what the custody ledger holds per artefact and per later access. */

/** Who captured an artefact: the runbook step and the worker that ran it. */
export interface CapturedBy {
  stepId: string;
  /** The worker's identity (Temporal's `host@pid` style identity, or what the caller names). */
  worker: string;
}

/** One stored artefact's custody record. */
export interface ArtefactRecord {
  id: string;
  incidentId: string;
  target: { id: string; name: string };
  /** What was captured: `metadata`, `logs`, `filesystem`, ... as the provider names it. */
  artefact: string;
  contentType: string;
  /** ISO 8601, when the write completed. */
  capturedAt: string;
  capturedBy: CapturedBy;
  size: number;
  /** SHA-256 (hex) of the bytes as they streamed in. */
  sha256: string;
  /** The blob key in the evidence storage. */
  location: string;
}

/** What was done to an artefact after it was stored. */
export type AccessAction = 'verify' | 'read' | 'export';

/** How an access ended: `mismatch` (size or hash differ), `missing` (no blob), `error` (could not read). */
export type AccessResult = 'ok' | 'mismatch' | 'missing' | 'error';

/** One later access or verification of an artefact, its own ledger row. */
export interface AccessRecord {
  seq: number;
  artefactId: string;
  action: AccessAction;
  actor: string;
  /** ISO 8601. */
  at: string;
  result: AccessResult;
  detail?: string;
}

/** The outcome of re-hashing one artefact. */
export interface VerifyResult {
  artefact: ArtefactRecord;
  result: AccessResult;
  /** What was found, for a result other than `ok`. */
  detail?: string;
  /** What the stored blob hashed to, when it could be read. */
  size?: number;
  sha256?: string;
}

/** `verify(incident)`: every artefact's result; `ok` only when there is at least one and all match. */
export interface VerifyReport {
  incidentId: string;
  ok: boolean;
  results: VerifyResult[];
}

/** `exportManifest(incident)`: what an auditor is given, the export's own accesses included. */
export interface EvidenceManifest {
  incidentId: string;
  /** ISO 8601, when the export was made (also the `at` of its `export` accesses). */
  exportedAt: string;
  /** Who exported it. */
  exportedBy: string;
  /** Every custody record, in capture order. */
  artefacts: ArtefactRecord[];
  /** Every access of those artefacts, in the order recorded. */
  accesses: AccessRecord[];
}
