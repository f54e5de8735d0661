-- Action history and effectiveness assessment, SQLite flavour. Same tables, columns and
-- meaning as migrations/postgres/0002_history.sql.
-- Times are epoch milliseconds (`*_ms`); JSON documents are TEXT (`*_json`).
-- Numbered migrations are never edited once landed: change the schema in a new file.

-- The workload an incident is about (the outermost Deployment/StatefulSet/DaemonSet/Job/
-- CronJob owning its target, or the target itself when it is one), filled when the
-- incident is decided. The history of a workload matches this or the alert's target.
ALTER TABLE incidents ADD COLUMN workload_kind TEXT;
ALTER TABLE incidents ADD COLUMN workload_name TEXT;

-- History of one workload, newest first.
CREATE INDEX incidents_workload_history ON incidents (namespace, workload_name, received_at_ms);
-- Who decided, at what cost, and what exactly: kept in columns so that history and
-- statistics need not read the decision and context documents.
-- The model that answered (LLM deciders; NULL for rules) and the tokens it used.
ALTER TABLE decisions ADD COLUMN model TEXT;
ALTER TABLE decisions ADD COLUMN tokens_in INTEGER;
ALTER TABLE decisions ADD COLUMN tokens_out INTEGER;
-- The decision's target as text (`deployment/shop/api`).
ALTER TABLE decisions ADD COLUMN target TEXT;
-- The action's parameters (the `params` object).
ALTER TABLE decisions ADD COLUMN params_json TEXT;
-- The workload's desired replicas when the decision was made (to tell a scale up from
-- a scale down).
ALTER TABLE decisions ADD COLUMN replicas_before INTEGER;

-- One effectiveness assessment per executed decision: scheduled when the action is
-- executed, scored by the assessor once due, revised if the alert recurs.
CREATE TABLE assessments (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id         TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    decision_id         INTEGER NOT NULL UNIQUE REFERENCES decisions (id) ON DELETE CASCADE,
    -- `pending` (waiting for due_at), `scoring` (claimed by an assessor), `provisional`
    -- (scored; a recurrence may still revise it), `final`.
    state               TEXT NOT NULL CHECK (state IN ('pending', 'scoring', 'provisional', 'final')),
    -- The object whose health is read (the workload, else the action's target), as JSON.
    subject_json        TEXT,
    executed_at_ms      INTEGER NOT NULL,
    -- executed_at + the action's stabilization window.
    due_at_ms           INTEGER NOT NULL,
    -- executed_at + the recurrence window: a new firing until then is a recurrence.
    recurrence_until_ms INTEGER NOT NULL,
    -- Pods, readiness and restart counts when the action was decided.
    baseline_json       TEXT NOT NULL,
    -- The weighted score 0..1 (NULL until scored, or when no signal could be read).
    score               REAL,
    -- Each signal's score 0..1 (NULL when missing).
    components_json     TEXT,
    -- What each signal saw, in words.
    evidence_json       TEXT,
    scored_at_ms        INTEGER,
    -- How many times the score was revised (a recurrence after scoring).
    revisions           INTEGER NOT NULL DEFAULT 0,
    -- The claim of the assessor scoring it (lease, as for incidents).
    claimed_at_ms       INTEGER,
    claim_token         TEXT
);

-- Due work, oldest first.
CREATE INDEX assessments_due ON assessments (state, due_at_ms);
CREATE INDEX assessments_claim ON assessments (claim_token);
CREATE INDEX assessments_incident ON assessments (incident_id);
