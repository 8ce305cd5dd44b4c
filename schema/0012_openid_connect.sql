-- OpenID Connect: what an ID token needs that a grant did not keep, the user's profile claims, and a second
-- active signing key (RS256, which every OpenID Provider must offer for ID tokens) beside the access-token
-- key. `oidc` columns hold JSON (nonce, sid, amr, requested claims); NULL when `openid` was not granted.
ALTER TABLE authorization_codes ADD COLUMN oidc TEXT;
ALTER TABLE refresh_families ADD COLUMN oidc TEXT;
ALTER TABLE device_codes ADD COLUMN oidc TEXT;
-- How the session signed in (RFC 8176 values, JSON array), NULL when not known.
ALTER TABLE sessions ADD COLUMN amr TEXT;
-- Profile claims (name, given_name, family_name, picture) as JSON, and when they last changed (updated_at).
ALTER TABLE users ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN updated_at BIGINT;
-- One active key per kind: the RS256 ID-token key and the access-token key (ES256 or EdDSA).
DROP INDEX signing_keys_one_active;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((alg = 'RS256')) WHERE retired_at IS NULL;
