-- What /account shows about each sign-in: the device (User-Agent, at most 256 characters) and the address a
-- browser session or a refresh-token family was created from, and when a family was last used (set by the
-- rotation's existing UPDATE of the family row, so no extra write). NULL for rows from before.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
CREATE INDEX sessions_user_idx ON sessions (user_id);
ALTER TABLE refresh_families ADD COLUMN user_agent TEXT;
ALTER TABLE refresh_families ADD COLUMN ip TEXT;
ALTER TABLE refresh_families ADD COLUMN last_used_at BIGINT;
