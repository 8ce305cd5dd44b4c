-- Authorization codes, refresh-token families, revoked access tokens and upstream sign-in state.

CREATE TABLE authorization_codes (
  id                     TEXT PRIMARY KEY,
  hash                   TEXT NOT NULL,
  client_id              TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  user_id                TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  redirect_uri           TEXT NOT NULL,
  code_challenge         TEXT,
  scope                  TEXT NOT NULL,
  resource               TEXT NOT NULL,                -- JSON array
  auth_time              BIGINT NOT NULL,
  expires_at             BIGINT NOT NULL,
  consumed_at            BIGINT,
  issued_family_id       TEXT,                         -- what the first exchange issued, revoked on replay
  issued_jti             TEXT,
  issued_exp             BIGINT
);
CREATE INDEX authorization_codes_expiry_idx ON authorization_codes (expires_at);

CREATE TABLE refresh_families (
  id          TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  scope       TEXT NOT NULL,
  resource    TEXT NOT NULL,                           -- JSON array
  auth_time   BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  revoked_at  BIGINT,
  expires_at  BIGINT NOT NULL                          -- sliding: moved forward at each rotation
);
CREATE INDEX refresh_families_user_idx ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry_idx ON refresh_families (expires_at);

CREATE TABLE refresh_tokens (
  id           TEXT PRIMARY KEY,
  hash         TEXT NOT NULL,
  family_id    TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
  scope        TEXT NOT NULL,                          -- may be narrower than the family's
  resource     TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  consumed_at  BIGINT,
  last_jti     TEXT,                                   -- access token issued with this refresh token
  last_exp     BIGINT
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at);

-- Access tokens are self-contained JWTs; a revoked one is remembered by jti until it expires
-- (RFC 7009 §2, honoured by introspection).
CREATE TABLE revoked_access_tokens (
  jti         TEXT PRIMARY KEY,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX revoked_access_tokens_expiry_idx ON revoked_access_tokens (expires_at);

-- State of a sign-in at an upstream identity provider (state, nonce, PKCE verifier), single use.
CREATE TABLE upstream_logins (
  state_hash     TEXT PRIMARY KEY,
  provider       TEXT NOT NULL,
  nonce          TEXT NOT NULL,
  code_verifier  TEXT NOT NULL,
  next_path      TEXT NOT NULL,
  expires_at     BIGINT NOT NULL
);
