CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    reserved_phone TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    live_flow_id TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (id_type, id_number)
)
--;
CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    customer_id BIGINT,
    state TEXT NOT NULL,
    step TEXT NOT NULL,
    version BIGINT NOT NULL,
    replaced BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    code_hash TEXT,
    code_expires_at BIGINT,
    code_wrong BIGINT NOT NULL DEFAULT 0,
    codes_sent BIGINT NOT NULL DEFAULT 0,
    last_code_at BIGINT
)
--;
CREATE INDEX flows_customer ON flows (customer_id)
--;
CREATE TABLE login_failures (
    id_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
)
--;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
)
--;
CREATE INDEX sessions_customer ON sessions (customer_id)
--;
CREATE TABLE sms_quota (
    phone_key TEXT NOT NULL,
    day TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (phone_key, day)
)
--;
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
)
--;
CREATE TABLE sms_outbox (
    id BIGSERIAL PRIMARY KEY,
    to_phone TEXT NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
)
--;
CREATE INDEX sms_outbox_due ON sms_outbox (state, next_attempt_at)
--;
CREATE TABLE dev_sms (
    id BIGSERIAL PRIMARY KEY,
    to_phone TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at BIGINT NOT NULL
)
--;
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    flow_id TEXT,
    customer_id BIGINT,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
)
--;
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$
--;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
--;
CREATE TABLE staff (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'supervisor')),
    created_at BIGINT NOT NULL
)
