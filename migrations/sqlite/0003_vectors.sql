-- Incident vectors for similar-incident retrieval (the embedded vector index), SQLite
-- flavour. Same table, columns and meaning as migrations/postgres/0003_vectors.sql.
-- Numbered migrations are never edited once landed: change the schema in a new file.

-- One vector per incident, removed with it.
CREATE TABLE incident_vectors (
    incident_id     TEXT PRIMARY KEY NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    -- The embedder that made the vector (`hashed-ngram-v1`, `openai:MODEL`): vectors of
    -- different embedders are never compared.
    embedder        TEXT NOT NULL,
    dims            INTEGER NOT NULL CHECK (dims > 0),
    -- `dims` little-endian 32-bit floats.
    vector          BLOB NOT NULL,
    -- The index payload (incident id, alertname, target, action, outcome), JSON.
    payload_json    TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL
);

-- Loading one embedder's vectors at start.
CREATE INDEX incident_vectors_embedder ON incident_vectors (embedder, dims);
