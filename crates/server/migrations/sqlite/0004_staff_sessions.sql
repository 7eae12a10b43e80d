CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
)
--;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id)
--;
CREATE TABLE staff_login_failures (
    user_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until INTEGER,
    updated_at INTEGER NOT NULL
)
