-- Scoped temporary tokens: a short-lived bearer token that opens a fixed set of routes for one resource.
-- Only the SHA-256 of the token is stored.
CREATE TABLE temp_tokens (
  id           TEXT PRIMARY KEY,
  hash         TEXT NOT NULL,
  scope        TEXT NOT NULL,
  resource_id  TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  consumed_at  BIGINT
);
CREATE INDEX temp_tokens_resource_idx ON temp_tokens (scope, resource_id);
CREATE INDEX temp_tokens_expiry_idx ON temp_tokens (expires_at);
