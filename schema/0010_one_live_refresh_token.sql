-- One live refresh token per family (RFC 9700 §4.14.2). The family records its live token and the token
-- whose rotation made it (live_parent_id). Only the live token rotates; a rotated token presented again
-- inside REFRESH_REUSE_GRACE, while its successor is unused, gets a successor that replaces that one (same
-- parent); a replaced successor presented later is a reuse. Both NULL: a family from before this
-- migration, whose unconsumed tokens all count as live until its next rotation sets them.
ALTER TABLE refresh_families ADD COLUMN live_token_id TEXT;
ALTER TABLE refresh_families ADD COLUMN live_parent_id TEXT;
