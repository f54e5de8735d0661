-- Statistics per action read a decision's action and time through this index, without
-- reading the decision's documents (context, decision, verdict). Same in
-- migrations/postgres/0004_decisions_history_index.sql.
-- Numbered migrations are never edited once landed: change the schema in a new file.
CREATE INDEX decisions_history ON decisions (incident_id, action, decided_at_ms);
