-- Clients, users, upstream identities, browser sessions and remembered consent.
-- Portable subset shared with PostgreSQL: TEXT, BIGINT unix seconds, INTEGER 0/1 flags, JSON as TEXT,
-- secrets only as hex SHA-256 hashes.

CREATE TABLE clients (
  id                          TEXT PRIMARY KEY,
  secret_hash                 TEXT,                    -- NULL for public clients (auth method none)
  name                        TEXT NOT NULL,
  redirect_uris               TEXT NOT NULL,           -- JSON array
  grant_types                 TEXT NOT NULL,           -- JSON array
  scopes                      TEXT NOT NULL,           -- JSON array; [] = every scope the server knows
  token_endpoint_auth_method  TEXT NOT NULL,           -- client_secret_basic | client_secret_post | none
  first_party                 INTEGER NOT NULL DEFAULT 0,
  origin                      TEXT NOT NULL,           -- operator | seed | dynamic | metadata_document
  metadata                    TEXT NOT NULL DEFAULT '{}', -- JSON: client_uri, logo_uri, application_type, …
  created_at                  BIGINT NOT NULL,
  last_used_at                BIGINT
);
CREATE INDEX clients_idle_idx ON clients (origin, last_used_at);

CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE,
  email           TEXT,
  email_verified  INTEGER NOT NULL DEFAULT 0,
  password_hash   TEXT,                                -- argon2id (Bun.password); NULL = upstream only
  is_admin        INTEGER NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL
);
CREATE INDEX users_email_idx ON users (email);

CREATE TABLE identities (
  provider    TEXT NOT NULL,
  subject     TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email       TEXT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user_idx ON identities (user_id);

CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  hash          TEXT NOT NULL,                         -- SHA-256 of the whole cookie value
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  auth_time     BIGINT NOT NULL,
  last_seen_at  BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL                        -- absolute end
);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE consents (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  resource    TEXT NOT NULL,                           -- space-joined sorted resources ('' = none)
  scope       TEXT NOT NULL,                           -- space-joined granted scopes
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (user_id, client_id, resource)
);

CREATE TABLE signing_keys (
  kid          TEXT PRIMARY KEY,                       -- RFC 7638 JWK thumbprint
  alg          TEXT NOT NULL,
  private_jwk  TEXT NOT NULL,
  public_jwk   TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  retired_at   BIGINT,                                 -- no longer signs; still published
  expires_at   BIGINT                                  -- not published after this
);
