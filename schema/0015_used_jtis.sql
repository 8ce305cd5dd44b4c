-- Single-use JWT ids, shared by every instance: client assertions and authorization grants (RFC 7523 §3:
-- "jti" may be used once), identity assertions (ID-JAG), DPoP proofs (RFC 9449 §11.1). A row lives until
-- the JWT it names expires; the key is prefixed by its kind and issuer.
CREATE TABLE used_jtis (
  key         TEXT PRIMARY KEY,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);
