-- Refresh tokens without an index on family_id (SQLite). That index took a random page write at every
-- rotation (a new row joins an old family), nearly half the WAL a rotation wrote. Nothing needs it now:
--  - revoking a family no longer lists its tokens' access tokens: access tokens minted under a family carry
--    "<family id>." at the head of their jti, and revoking the family records "<family id>.*" in
--    revoked_access_tokens (domain/tokens.ts revokeFamily);
--  - the foreign key's ON DELETE CASCADE needed the index (SQLite scans the child table for each parent row
--    deleted without one), so it goes too: a token whose family is gone is refused (the token and its family
--    are read together) and deleted at its expiry by the sweep; removing a user or a client deletes the
--    tokens of their families explicitly.
-- Tokens minted before this migration recorded their access token in last_jti; a partial index keeps those
-- findable by family (new rows leave last_jti NULL and never enter it) until they expire and are swept.
-- SQLite cannot drop a foreign key in place: the table is rebuilt with the same columns.
CREATE TABLE refresh_tokens_new (
  id           TEXT PRIMARY KEY,
  hash         TEXT NOT NULL,
  family_id    TEXT NOT NULL,                          -- refresh_families (id), no foreign key: see above
  scope        TEXT NOT NULL,                          -- may be narrower than the family's
  resource     TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  consumed_at  BIGINT,
  last_jti     TEXT,                                   -- before migration 9 only: the access token issued with it
  last_exp     BIGINT
);
INSERT INTO refresh_tokens_new (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp)
  SELECT id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp FROM refresh_tokens;
DROP TABLE refresh_tokens;
ALTER TABLE refresh_tokens_new RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_legacy_family_idx ON refresh_tokens (family_id) WHERE last_jti IS NOT NULL;
