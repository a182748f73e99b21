/**
 * The evidence ledger's schema, as ordered migrations in its own PostgreSQL schema (`firebreak_evidence`),
 * run by the post-mortem store's runner with a lock key of its own. Append only, like every migration set:
 * a released migration is never edited (its checksum is recorded).
 */
import type { MigrationSet } from '../postmortems/store/migrate.js';

/** The PostgreSQL schema that holds the ledger. */
export const EVIDENCE_SCHEMA = 'firebreak_evidence';

// Both tables refuse UPDATE, DELETE and TRUNCATE with SQLSTATE 42501 (NOT_ALLOWED): custody records are
// only ever added. The function body is on one line: the runner splits statements at a `;` ending a line.
const initial = `
CREATE TABLE firebreak_evidence.artefacts (
  id           text PRIMARY KEY,
  incident_id  text NOT NULL,
  target_id    text NOT NULL,
  target_name  text NOT NULL,
  artefact     text NOT NULL,
  content_type text NOT NULL,
  captured_at  timestamptz NOT NULL,
  step_id      text NOT NULL,
  worker       text NOT NULL,
  size         bigint NOT NULL CHECK (size >= 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  location     text NOT NULL UNIQUE
);
CREATE INDEX artefacts_incident ON firebreak_evidence.artefacts (incident_id, captured_at, id);

CREATE TABLE firebreak_evidence.accesses (
  seq         bigserial PRIMARY KEY,
  artefact_id text NOT NULL REFERENCES firebreak_evidence.artefacts (id),
  action      text NOT NULL,
  actor       text NOT NULL,
  at          timestamptz NOT NULL,
  result      text NOT NULL,
  detail      text
);
CREATE INDEX accesses_artefact ON firebreak_evidence.accesses (artefact_id, seq);

CREATE FUNCTION firebreak_evidence.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the evidence ledger is append-only: % on firebreak_evidence.% refused', TG_OP, TG_TABLE_NAME USING ERRCODE = '42501'; END $$;
CREATE TRIGGER artefacts_append_only BEFORE UPDATE OR DELETE ON firebreak_evidence.artefacts
  FOR EACH ROW EXECUTE FUNCTION firebreak_evidence.refuse_change();
CREATE TRIGGER artefacts_no_truncate BEFORE TRUNCATE ON firebreak_evidence.artefacts
  FOR EACH STATEMENT EXECUTE FUNCTION firebreak_evidence.refuse_change();
CREATE TRIGGER accesses_append_only BEFORE UPDATE OR DELETE ON firebreak_evidence.accesses
  FOR EACH ROW EXECUTE FUNCTION firebreak_evidence.refuse_change();
CREATE TRIGGER accesses_no_truncate BEFORE TRUNCATE ON firebreak_evidence.accesses
  FOR EACH STATEMENT EXECUTE FUNCTION firebreak_evidence.refuse_change();
`;

/** The ledger's migrations, for `runMigrations`. */
export const EVIDENCE_MIGRATIONS: MigrationSet = {
  schema: EVIDENCE_SCHEMA,
  migrations: [{ version: 1, name: 'artefacts and accesses, append-only', sql: initial }],
  // An arbitrary constant apart from the post-mortem store's (7_213_013).
  lockKey: 7_213_014,
  label: 'the evidence ledger',
};
