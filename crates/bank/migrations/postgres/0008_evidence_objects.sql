CREATE TABLE evidence_objects (
    object_id TEXT PRIMARY KEY,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL
)
