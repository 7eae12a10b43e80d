CREATE TABLE evidence_objects (
    object_id TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
)
