/**
 * The custody ledger over the SQL seam: one row per stored artefact and one per later access or
 * verification. It only ever INSERTs and SELECTs; the tables' triggers refuse UPDATE, DELETE and TRUNCATE.
 */
import type { SqlClient } from '../postmortems/store/sql-client.js';
import { EVIDENCE_SCHEMA as S } from './migrations.js';
import type { AccessRecord, ArtefactRecord } from './types.js';

interface ArtefactRow {
  id: string;
  incident_id: string;
  target_id: string;
  target_name: string;
  artefact: string;
  content_type: string;
  captured_at: Date | string;
  step_id: string;
  worker: string;
  size: string | number;
  sha256: string;
  location: string;
}

interface AccessRow {
  seq: string | number;
  artefact_id: string;
  action: string;
  actor: string;
  at: Date | string;
  result: string;
  detail: string | null;
}

function toArtefact(row: ArtefactRow): ArtefactRecord {
  return {
    id: row.id,
    incidentId: row.incident_id,
    target: { id: row.target_id, name: row.target_name },
    artefact: row.artefact,
    contentType: row.content_type,
    capturedAt: new Date(row.captured_at).toISOString(),
    capturedBy: { stepId: row.step_id, worker: row.worker },
    size: Number(row.size),
    sha256: row.sha256,
    location: row.location,
  };
}

function toAccess(row: AccessRow): AccessRecord {
  return {
    seq: Number(row.seq),
    artefactId: row.artefact_id,
    action: row.action as AccessRecord['action'],
    actor: row.actor,
    at: new Date(row.at).toISOString(),
    result: row.result as AccessRecord['result'],
    ...(row.detail === null ? {} : { detail: row.detail }),
  };
}

/** The ledger's operations. */
export interface CustodyLedger {
  /** Records a stored artefact. */
  recordArtefact(record: ArtefactRecord): Promise<void>;
  /** An incident's artefacts in capture order. */
  artefacts(incidentId: string): Promise<ArtefactRecord[]>;
  /** Records accesses (one transaction: all or none). */
  recordAccesses(accesses: readonly Omit<AccessRecord, 'seq'>[]): Promise<void>;
  /** Every access of an incident's artefacts, in the order they were recorded. */
  accesses(incidentId: string): Promise<AccessRecord[]>;
}

/** The ledger over a migrated SqlClient. */
export function custodyLedger(db: SqlClient): CustodyLedger {
  return {
    async recordArtefact(r) {
      await db.query(
        `INSERT INTO ${S}.artefacts (id, incident_id, target_id, target_name, artefact, content_type, captured_at,
           step_id, worker, size, sha256, location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          r.id,
          r.incidentId,
          r.target.id,
          r.target.name,
          r.artefact,
          r.contentType,
          r.capturedAt,
          r.capturedBy.stepId,
          r.capturedBy.worker,
          r.size,
          r.sha256,
          r.location,
        ],
      );
    },
    async artefacts(incidentId) {
      const rows = await db.query<ArtefactRow & Record<string, unknown>>(
        `SELECT * FROM ${S}.artefacts WHERE incident_id = $1 ORDER BY captured_at, id`,
        [incidentId],
      );
      return rows.map(toArtefact);
    },
    async recordAccesses(accesses) {
      if (accesses.length === 0) return;
      await db.transaction(async (tx) => {
        for (const a of accesses) {
          await tx.query(
            `INSERT INTO ${S}.accesses (artefact_id, action, actor, at, result, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
            [a.artefactId, a.action, a.actor, a.at, a.result, a.detail ?? null],
          );
        }
      });
    },
    async accesses(incidentId) {
      const rows = await db.query<AccessRow & Record<string, unknown>>(
        `SELECT a.* FROM ${S}.accesses a JOIN ${S}.artefacts r ON r.id = a.artefact_id
          WHERE r.incident_id = $1 ORDER BY a.seq`,
        [incidentId],
      );
      return rows.map(toAccess);
    },
  };
}
