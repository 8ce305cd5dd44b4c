-- An index on every column that references another table ON DELETE CASCADE. Without one, deleting a
-- client — the sweeper's idle registered clients, `auth clients remove` — or a user scans the child table
-- for its rows while holding the write lock: with a million refresh-token families, a batch of 200 idle
-- clients took minutes (bench/growth.ts). Writes pay one index entry per new family, code, device code or
-- consent; a refresh rotation changes none of these columns.
CREATE INDEX refresh_families_client_idx ON refresh_families (client_id);
CREATE INDEX consents_client_idx ON consents (client_id);
CREATE INDEX authorization_codes_client_idx ON authorization_codes (client_id);
CREATE INDEX device_codes_client_idx ON device_codes (client_id);
CREATE INDEX authorization_codes_user_idx ON authorization_codes (user_id);
CREATE INDEX device_codes_user_idx ON device_codes (user_id);
