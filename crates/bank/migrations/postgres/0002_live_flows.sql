CREATE TABLE live_flows (
    id_key TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL
)
--;
ALTER TABLE flows ADD COLUMN id_key TEXT
