CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    reserved_phone TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    live_flow_id TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (id_type, id_number)
)
--;
CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    customer_id INTEGER,
    state TEXT NOT NULL,
    step TEXT NOT NULL,
    version INTEGER NOT NULL,
    replaced INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    code_hash TEXT,
    code_expires_at INTEGER,
    code_wrong INTEGER NOT NULL DEFAULT 0,
    codes_sent INTEGER NOT NULL DEFAULT 0,
    last_code_at INTEGER
)
--;
CREATE INDEX flows_customer ON flows (customer_id)
--;
CREATE TABLE login_failures (
    id_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
)
--;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
)
--;
CREATE INDEX sessions_customer ON sessions (customer_id)
--;
CREATE TABLE sms_quota (
    phone_key TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (phone_key, day)
)
--;
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL
)
--;
CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_phone TEXT NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    sent_at INTEGER,
    last_error TEXT
)
--;
CREATE INDEX sms_outbox_due ON sms_outbox (state, next_attempt_at)
--;
CREATE TABLE dev_sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_phone TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at INTEGER NOT NULL
)
--;
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    flow_id TEXT,
    customer_id INTEGER,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
)
--;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
--;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
--;
CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'supervisor')),
    created_at INTEGER NOT NULL
)
