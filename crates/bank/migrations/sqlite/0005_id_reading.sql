ALTER TABLE review_cases ADD COLUMN ocr_read_at INTEGER
--;
ALTER TABLE review_cases ADD COLUMN ocr_claimed_at INTEGER
--;
CREATE INDEX review_cases_unread ON review_cases (created_at) WHERE ocr_read_at IS NULL AND purged_at IS NULL AND state IN ('collecting', 'pending')
