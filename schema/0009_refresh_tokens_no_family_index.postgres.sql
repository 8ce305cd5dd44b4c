-- Refresh tokens without an index on family_id (PostgreSQL variant of 0009_refresh_tokens_no_family_index.sql,
-- which says why). The foreign key is dropped in place; tokens minted before this migration keep a partial
-- index by family for their last_jti.
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_family_id_fkey;
DROP INDEX refresh_tokens_family_idx;
CREATE INDEX refresh_tokens_legacy_family_idx ON refresh_tokens (family_id) WHERE last_jti IS NOT NULL;
