CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
)
--;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id)
--;
CREATE TABLE staff_login_failures (
    user_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL
)
--;
CREATE INDEX review_cases_pending_order ON review_cases (state, due_at, submitted_at, id)
--;
CREATE INDEX review_cases_decided_order ON review_cases (state, decided_at)
