-- A disabled account cannot sign in; disabling it (admin console) also ends its sessions and grants.
-- NULL = enabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
