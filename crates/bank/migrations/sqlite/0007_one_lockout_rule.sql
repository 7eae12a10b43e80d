ALTER TABLE login_failures ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0
--;
UPDATE login_failures SET failures = 0, locked_until = 9223372036854775807 WHERE failures >= 5
