CREATE TABLE flow_identity (
    flow_id TEXT PRIMARY KEY,
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
)
--;
CREATE TABLE review_cases (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL UNIQUE,
    id_key TEXT NOT NULL,
    customer_id INTEGER,
    state TEXT NOT NULL CHECK (state IN ('collecting', 'pending', 'approved', 'rejected', 'abandoned')),
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    contact_phone TEXT,
    pending_password_hash TEXT,
    key_id TEXT NOT NULL,
    wrapped_key TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER,
    due_at INTEGER,
    decided_at INTEGER,
    decided_by_staff_id INTEGER,
    decided_by TEXT,
    reason TEXT,
    purged_at INTEGER,
    ocr_id_number TEXT,
    ocr_name TEXT,
    ocr_number_matches INTEGER,
    ocr_name_matches INTEGER
)
--;
CREATE UNIQUE INDEX review_cases_one_pending ON review_cases (id_key) WHERE state = 'pending'
--;
CREATE INDEX review_cases_queue ON review_cases (state, due_at, created_at)
--;
CREATE TABLE evidence (
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    object_id TEXT NOT NULL UNIQUE,
    bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, kind, seq)
)
