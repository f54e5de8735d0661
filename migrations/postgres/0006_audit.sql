-- The tamper-evident audit log: one row per verdict, execution, approval, resumption and
-- expiry, each carrying the SHA-256 hash of the previous row (src/audit/chain.rs).
-- Same table and meaning as migrations/sqlite/0006_audit.sql. Appends are serialised by
-- a transaction-scoped advisory lock (src/store/sql/audit.rs).
-- Numbered migrations are never edited once landed: change the schema in a new file.
CREATE TABLE audit_log (
    -- Position in the chain, from 1, without gaps (assigned under the advisory lock).
    seq             BIGINT PRIMARY KEY NOT NULL,
    at_ms           BIGINT NOT NULL,
    -- verdict, execution_started, execution_finished, approval, resumed, expired.
    kind            TEXT NOT NULL,
    -- No foreign key: the log outlives incidents deleted by retention.
    incident_id     TEXT,
    actor           TEXT NOT NULL,
    -- The details, as canonical JSON (sorted keys, no whitespace).
    payload_json    TEXT NOT NULL,
    -- Lowercase hex SHA-256; 64 zeros for the first row.
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL UNIQUE
);

-- An incident's audit trail.
CREATE INDEX audit_log_incident ON audit_log (incident_id, seq);
