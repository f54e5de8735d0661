-- Processing that loses nothing and never acts twice, SQLite flavour. Same columns,
-- table and meaning as migrations/postgres/0005_processing.sql.
-- Times are epoch milliseconds (`*_ms`).
-- Numbered migrations are never edited once landed: change the schema in a new file.

-- The claim lease: which process works on the incident (a random id per process) and
-- until when. A claim takes `received` and `approved` incidents, and `deciding` or
-- `executing` ones whose lease ran out (their process died). Every later write of the
-- pipeline is fenced on `lease_owner`; the lease is cleared when the incident is done.
ALTER TABLE incidents ADD COLUMN lease_owner TEXT;
ALTER TABLE incidents ADD COLUMN lease_until_ms INTEGER;

-- Claiming: work by state, oldest first, and expired leases.
CREATE INDEX incidents_claim ON incidents (state, lease_until_ms, received_at_ms);

-- One row per held decision waiting for (or given) a human's approval.
CREATE TABLE approvals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id     TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    -- The held decision.
    decision_id     INTEGER NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    requested_at_ms INTEGER NOT NULL,
    -- A pending approval past this is expired by the worker's sweep.
    expires_at_ms   INTEGER NOT NULL,
    -- Who approved or rejected, why, and when (NULL while pending; `medic` for expiry).
    decided_by      TEXT,
    reason          TEXT,
    decided_at_ms   INTEGER
);

-- The approvals list by state, newest first; the expiry sweep (pending, by expiry).
CREATE INDEX approvals_state ON approvals (state, expires_at_ms);
CREATE INDEX approvals_state_requested ON approvals (state, requested_at_ms);
-- The approval of an incident.
CREATE INDEX approvals_incident ON approvals (incident_id, id);

-- The policy's recent-activity query (cooldowns, rate limits): decisions that started
-- changing the cluster, by when they were decided.
CREATE INDEX decisions_started ON decisions (decided_at_ms)
    WHERE state IN ('executing', 'executed', 'failed', 'interrupted');
