-- Audit log: who did what, when, from where — never a token, code or password. High-volume events
-- (tokens issued) are aggregated with a count (at most one row a second per grant, client and user).
CREATE TABLE audit_log (
  id         TEXT PRIMARY KEY,
  time       BIGINT NOT NULL,
  event      TEXT NOT NULL,
  user_id    TEXT,
  client_id  TEXT,
  ip         TEXT,
  details    TEXT NOT NULL,                       -- JSON object
  count      INTEGER NOT NULL
);
CREATE INDEX audit_log_time_idx ON audit_log (time);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, time);
