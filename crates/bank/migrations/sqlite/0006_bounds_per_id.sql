CREATE TABLE id_quota (
    id_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (id_key, kind, day)
)
--;
CREATE TABLE id_slots (
    id_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot INTEGER NOT NULL,
    taken_at INTEGER NOT NULL,
    PRIMARY KEY (id_key, kind, slot)
)
--;
ALTER TABLE flows ADD COLUMN live_key TEXT
--;
UPDATE flows SET live_key = id_key
--;
ALTER TABLE live_flows RENAME COLUMN id_key TO live_key
--;
CREATE TABLE face_challenges (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    prompts TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
)
--;
CREATE INDEX face_challenges_flow ON face_challenges (flow_id)
--;
CREATE INDEX review_cases_history ON review_cases (id_key, created_at)
--;
ALTER TABLE staff ADD COLUMN totp_secret TEXT
--;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER
--;
ALTER TABLE staff_sessions ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0
--;
CREATE TABLE staff_login_failures_by_address (
    user_key TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    locked_until INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, address)
)
--;
ALTER TABLE staff ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0
--;
ALTER TABLE staff ADD COLUMN totp_locked_until INTEGER
--;
ALTER TABLE flows ADD COLUMN challenges_issued INTEGER NOT NULL DEFAULT 0
