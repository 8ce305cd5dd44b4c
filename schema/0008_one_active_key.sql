-- At most one signing key is active (not retired): instances starting together on an empty database race
-- to create the first key, and exactly one wins; rotation retires the old key and inserts the new one in
-- one transaction.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
