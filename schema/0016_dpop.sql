-- DPoP (RFC 9449): the thumbprint of the key a grant is bound to. On a code: the `dpop_jkt` sent to /authorize
-- (§10), which the code exchange's proof must match. On a refresh family: the key a public client's refresh
-- tokens are bound to (§5), which every refresh's proof must match. NULL: not bound.
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE refresh_families ADD COLUMN dpop_jkt TEXT;
