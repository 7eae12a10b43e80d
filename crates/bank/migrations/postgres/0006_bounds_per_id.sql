CREATE TABLE id_quota (
    id_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (id_key, kind, day)
)
--;
CREATE TABLE id_slots (
    id_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
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
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
)
--;
CREATE INDEX face_challenges_flow ON face_challenges (flow_id)
--;
CREATE INDEX review_cases_history ON review_cases (id_key, created_at)
--;
ALTER TABLE staff ADD COLUMN totp_secret TEXT
--;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT
--;
ALTER TABLE staff_sessions ADD COLUMN second_factor BIGINT NOT NULL DEFAULT 0
--;
CREATE TABLE staff_login_failures_by_address (
    user_key TEXT NOT NULL,
    address TEXT NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_key, address)
)
--;
ALTER TABLE staff ADD COLUMN totp_failures BIGINT NOT NULL DEFAULT 0
--;
ALTER TABLE staff ADD COLUMN totp_locked_until BIGINT
--;
ALTER TABLE flows ADD COLUMN challenges_issued BIGINT NOT NULL DEFAULT 0
