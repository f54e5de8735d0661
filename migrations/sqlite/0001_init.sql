-- medic's store, SQLite flavour. Same tables, columns and meaning as
-- migrations/postgres/0001_init.sql: the application runs one set of queries on both.
-- Times are epoch milliseconds (`*_ms`); JSON documents are TEXT (`*_json`).
-- Numbered migrations are never edited once landed: change the schema in a new file.

-- One row per incident: one alert occurrence, keyed by (fingerprint, starts_at).
CREATE TABLE incidents (
    -- UUID v7, as text: sorts by creation time.
    id              TEXT PRIMARY KEY NOT NULL,
    -- Where the signal came from (`alertmanager`).
    source          TEXT NOT NULL,
    -- Alertmanager's fingerprint of the label set.
    fingerprint     TEXT NOT NULL,
    -- `startsAt` as canonical RFC 3339 (UTC, shortest fraction): half of the identity key.
    starts_at       TEXT NOT NULL,
    starts_at_ms    INTEGER NOT NULL,
    -- `firing` or `resolved`, as last reported.
    alert_status    TEXT NOT NULL CHECK (alert_status IN ('firing', 'resolved')),
    -- Processing state (`received`, `deciding`, `planned`, ..., `ignored`).
    state           TEXT NOT NULL,
    alertname       TEXT NOT NULL,
    severity        TEXT,
    -- The target's namespace, or else the alert's `namespace` label.
    namespace       TEXT,
    target_kind     TEXT,
    target_name     TEXT,
    -- The target as text (`Deployment/shop/api`), for lists.
    target          TEXT,
    -- The whole `Incident`, as last reported.
    incident_json   TEXT NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    resolved_at_ms  INTEGER,
    -- Why processing failed, if it did.
    error           TEXT,
    UNIQUE (fingerprint, starts_at)
);

-- Pending work by state, oldest first; also the `state` filter of the list.
CREATE INDEX incidents_state_received ON incidents (state, received_at_ms);
-- The list, newest first.
CREATE INDEX incidents_received ON incidents (received_at_ms, id);
-- List filters.
CREATE INDEX incidents_alertname_received ON incidents (alertname, received_at_ms);
CREATE INDEX incidents_namespace_received ON incidents (namespace, received_at_ms);
CREATE INDEX incidents_alert_status_received ON incidents (alert_status, received_at_ms);
-- History of one target.
CREATE INDEX incidents_target_history ON incidents (namespace, target_name, received_at_ms);

-- One row per decision taken on an incident; the latest (highest id) is current.
CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id     TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    -- The action's catalog name.
    action          TEXT NOT NULL,
    -- The decider (`rules`, `llm`, ...) and the rule or model that answered.
    decider         TEXT NOT NULL,
    decider_name    TEXT NOT NULL,
    confidence      REAL NOT NULL,
    -- `allow`, `hold` or `deny`.
    verdict         TEXT NOT NULL,
    -- The processing state the decision moved the incident to.
    state           TEXT NOT NULL,
    context_json    TEXT NOT NULL,
    decision_json   TEXT NOT NULL,
    verdict_json    TEXT NOT NULL,
    decided_at_ms   INTEGER NOT NULL,
    latency_ms      INTEGER NOT NULL
);

CREATE INDEX decisions_incident ON decisions (incident_id, id);

-- What execution did (or would do) for a decision: one row per decision.
CREATE TABLE outcomes (
    decision_id     INTEGER PRIMARY KEY NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
    incident_id     TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    -- `planned`, `executed`, `failed` or `skipped`.
    status          TEXT NOT NULL,
    -- The plan, when there is one.
    plan_json       TEXT,
    -- JSON array of result lines.
    results_json    TEXT NOT NULL,
    error           TEXT,
    started_at_ms   INTEGER NOT NULL,
    finished_at_ms  INTEGER NOT NULL
);

CREATE INDEX outcomes_incident ON outcomes (incident_id);
