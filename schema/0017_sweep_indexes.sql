-- The sweeper deletes in small batches found by index, so no batch scans a large table while it holds the
-- write lock: revoked families by their revocation time, rate-limit windows by their start.
CREATE INDEX refresh_families_revoked_idx ON refresh_families (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
CREATE INDEX upstream_logins_expiry_idx ON upstream_logins (expires_at);
