CREATE TABLE flow_identity (
    flow_id TEXT PRIMARY KEY,
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
)
--;
CREATE TABLE review_cases (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL UNIQUE,
    id_key TEXT NOT NULL,
    customer_id BIGINT,
    state TEXT NOT NULL CHECK (state IN ('collecting', 'pending', 'approved', 'rejected', 'abandoned')),
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    contact_phone TEXT,
    pending_password_hash TEXT,
    key_id TEXT NOT NULL,
    wrapped_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    due_at BIGINT,
    decided_at BIGINT,
    decided_by_staff_id BIGINT,
    decided_by TEXT,
    reason TEXT,
    purged_at BIGINT,
    ocr_id_number TEXT,
    ocr_name TEXT,
    ocr_number_matches BIGINT,
    ocr_name_matches BIGINT
)
--;
CREATE UNIQUE INDEX review_cases_one_pending ON review_cases (id_key) WHERE state = 'pending'
--;
CREATE INDEX review_cases_queue ON review_cases (state, due_at, created_at)
--;
CREATE TABLE evidence (
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq BIGINT NOT NULL,
    object_id TEXT NOT NULL UNIQUE,
    bytes BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, kind, seq)
)
