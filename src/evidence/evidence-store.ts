/**
 * The evidence store: artefacts streamed into a blob store kept apart from backups, each hashed while it
 * is written and recorded in the custody ledger only once its bytes are safely stored. A write that fails
 * or is cut off records nothing and removes what it can of the blob, so a partial artefact never counts as
 * evidence. `verify` re-hashes every artefact of an incident from the store and records each result.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { EvidenceSink } from '../infra/types.js';
import { Digest, type BlobStore, type PutOptions } from '../storage/blob-store.js';
import type { CustodyLedger } from './ledger.js';
import type {
  AccessRecord,
  ArtefactRecord,
  CapturedBy,
  EvidenceManifest,
  VerifyReport,
  VerifyResult,
} from './types.js';

/** Where a sink's artefacts come from: one incident, one target, one step. */
export interface SinkContext {
  incidentId: string;
  target: { id: string; name: string };
  capturedBy: CapturedBy;
}

/** Object Lock retention applied to every artefact put (S3 only; see docs/evidence.md). */
export interface EvidenceRetention {
  mode: 'governance' | 'compliance';
  days: number;
}

/** The evidence store's operations. */
export interface EvidenceStore {
  /** A sink for one incident, target and step: what `capture` streams artefacts into. */
  sink(context: SinkContext): EvidenceSink;
  /** An incident's custody records, in capture order (listing is not an access of the bytes). */
  list(incidentId: string): Promise<ArtefactRecord[]>;
  /** Every recorded access or verification of an incident's artefacts. */
  accesses(incidentId: string): Promise<AccessRecord[]>;
  /**
   * Re-hashes every artefact of the incident from the store (only the target's with `targetId`), records a
   * verification row per artefact. The report is `ok` only when there was at least one and all matched.
   */
  verify(incidentId: string, actor: string, options?: VerifyOptions): Promise<VerifyReport>;
  /**
   * The manifest for auditors: every custody record and access of the incident, after recording one
   * `export` access per artefact by `actor` (so the manifest lists its own export).
   */
  exportManifest(incidentId: string, actor: string): Promise<EvidenceManifest>;
}

/** What `verify` re-hashes: the whole incident, or one target's artefacts. */
export interface VerifyOptions {
  /** Only this target's artefacts (`infra.destroy` verifies the target it is about to destroy). */
  targetId?: string;
}

/** What `createEvidenceStore` is built over. */
export interface EvidenceStoreDeps {
  blobs: BlobStore;
  ledger: CustodyLedger;
  /** The clock for `capturedAt` and access times. */
  now?: () => Date;
  /** Object Lock retention for every artefact (S3 with Object Lock only: the filesystem store refuses it). */
  retention?: EvidenceRetention;
}

const DAY_MS = 86_400_000;

// Ids and names become key segments: anything outside this set is percent-encoded, so a target named
// `../x` or `a/b` stays one segment.
const SEGMENT_UNSAFE = /[^A-Za-z0-9._-]/g;
const ARTEFACT_NAME = /^[a-z][a-z0-9-]{0,63}$/;

function segment(value: string): string {
  const encoded = value.replace(SEGMENT_UNSAFE, (c) => encodeURIComponent(c).replaceAll('%', '~'));
  // `.` and `..` are not valid key segments; neither is an empty one.
  return encoded === '' || encoded === '.' || encoded === '..' ? `~${encoded}` : encoded;
}

function required(value: string, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new FirebreakError(ErrorCode.InvalidInput, `evidence ${what} is empty`);
  }
}

function checkContext(context: SinkContext): void {
  required(context.incidentId, 'incident id');
  required(context.target.id, 'target id');
  required(context.target.name, 'target name');
  required(context.capturedBy.stepId, 'step id');
  required(context.capturedBy.worker, 'worker identity');
}

/** Hashes and counts a body's chunks as they pass, without holding them. */
async function* hashing(body: AsyncIterable<Uint8Array>, digest: Digest): AsyncGenerator<Buffer> {
  for await (const chunk of body) yield digest.update(chunk);
}

/** The evidence store over a blob store (the `evidence.storage` location) and a migrated ledger. */
export function createEvidenceStore(deps: EvidenceStoreDeps): EvidenceStore {
  const now = deps.now ?? (() => new Date());

  async function write(
    context: SinkContext,
    artefact: string,
    body: AsyncIterable<Uint8Array>,
    meta: { contentType: string },
  ): Promise<{ location: string; size: number; sha256: string }> {
    if (!ARTEFACT_NAME.test(artefact)) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `evidence artefact name ${JSON.stringify(artefact)} must be lowercase a-z, 0-9 and -`,
      );
    }
    const id = randomUUID();
    // A fresh id per write: evidence is never overwritten, not even by a retried capture.
    const location = [segment(context.incidentId), segment(context.target.id), `${artefact}-${id}`].join('/');
    const digest = new Digest();
    const retention = deps.retention;
    const options: PutOptions = {
      contentType: meta.contentType,
      metadata: { 'evidence-id': id, artefact },
      // Counted from the start of the write: the lock never ends before `days` after capture began.
      ...(retention === undefined
        ? {}
        : { retention: { mode: retention.mode, until: new Date(now().getTime() + retention.days * DAY_MS) } }),
    };
    let stored;
    try {
      stored = await deps.blobs.put(location, Readable.from(hashing(body, digest)), options);
      const sha256 = digest.hex();
      // The blob store hashes what it wrote; ours hashes what the provider sent. They must agree.
      if (stored.size !== digest.size || stored.sha256 !== sha256) {
        throw new FirebreakError(
          ErrorCode.CommandFailed,
          `evidence ${artefact} of ${context.target.name}: the store wrote ${stored.size} bytes (sha256 ${stored.sha256}) but ${digest.size} bytes (sha256 ${sha256}) were sent`,
        );
      }
      const record: ArtefactRecord = {
        id,
        incidentId: context.incidentId,
        target: { ...context.target },
        artefact,
        contentType: meta.contentType,
        capturedAt: now().toISOString(),
        capturedBy: { ...context.capturedBy },
        size: digest.size,
        sha256,
        location,
      };
      await deps.ledger.recordArtefact(record);
      return { location, size: record.size, sha256 };
    } catch (error) {
      // No custody record claims this blob: remove what was written (an S3 multipart upload is already
      // aborted by the store; a filesystem write was only staged). Under Object Lock the delete only adds a
      // delete marker (the locked version stays until its retention ends): unrecorded either way, it never
      // counts as evidence.
      await deps.blobs.delete(location).catch(() => undefined);
      throw error;
    }
  }

  async function verifyOne(record: ArtefactRecord): Promise<VerifyResult> {
    const digest = new Digest();
    try {
      for await (const chunk of await deps.blobs.get(record.location)) digest.update(chunk);
    } catch (error) {
      if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) {
        return { artefact: record, result: 'missing', detail: `no blob at ${record.location}` };
      }
      const reason = error instanceof Error ? error.message : String(error);
      return { artefact: record, result: 'error', detail: `cannot read ${record.location}: ${reason}` };
    }
    const sha256 = digest.hex();
    const found = { size: digest.size, sha256 };
    if (digest.size === record.size && sha256 === record.sha256) return { artefact: record, result: 'ok', ...found };
    const detail =
      digest.size === record.size
        ? `sha256 ${sha256}, recorded ${record.sha256}`
        : `${digest.size} bytes (sha256 ${sha256}), recorded ${record.size} bytes (sha256 ${record.sha256})`;
    return { artefact: record, result: 'mismatch', detail, ...found };
  }

  return {
    sink(context) {
      checkContext(context);
      const frozen: SinkContext = {
        incidentId: context.incidentId,
        target: { id: context.target.id, name: context.target.name },
        capturedBy: { stepId: context.capturedBy.stepId, worker: context.capturedBy.worker },
      };
      return { write: (artefact, body, meta) => write(frozen, artefact, body, meta) };
    },
    list: (incidentId) => deps.ledger.artefacts(incidentId),
    accesses: (incidentId) => deps.ledger.accesses(incidentId),
    async verify(incidentId, actor, options = {}) {
      required(actor, 'actor');
      const { targetId } = options;
      if (targetId !== undefined) required(targetId, 'target id');
      const all = await deps.ledger.artefacts(incidentId);
      const records = targetId === undefined ? all : all.filter((record) => record.target.id === targetId);
      const results: VerifyResult[] = [];
      // One at a time: each artefact may be gigabytes, and the store's bandwidth is the limit anyway.
      for (const record of records) results.push(await verifyOne(record));
      await deps.ledger.recordAccesses(
        results.map((r) => ({
          artefactId: r.artefact.id,
          action: 'verify' as const,
          actor,
          at: now().toISOString(),
          result: r.result,
          ...(r.detail === undefined ? {} : { detail: r.detail }),
        })),
      );
      return { incidentId, ok: results.length > 0 && results.every((r) => r.result === 'ok'), results };
    },
    async exportManifest(incidentId, actor) {
      required(actor, 'actor');
      const exportedAt = now().toISOString();
      const artefacts = await deps.ledger.artefacts(incidentId);
      await deps.ledger.recordAccesses(
        artefacts.map((record) => ({
          artefactId: record.id,
          action: 'export' as const,
          actor,
          at: exportedAt,
          result: 'ok' as const,
        })),
      );
      return { incidentId, exportedAt, exportedBy: actor, artefacts, accesses: await deps.ledger.accesses(incidentId) };
    },
  };
}
