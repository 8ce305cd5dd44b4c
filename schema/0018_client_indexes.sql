-- An index on every column that references another table ON DELETE CASCADE. Without one, deleting a
-- client — the sweeper's idle registered clients, `auth clients remove` — or a user scans the child table
-- for its rows while holding the write lock: with a million refresh-token families, the sweep of 10,000
-- idle clients had not finished after five minutes (bench/growth.ts). Writes pay one index entry per new family, code, device code or
-- consent; a refresh rotation changes none of these columns. Building them holds writes to these tables
-- back while the migration runs: 0.34 s for the refresh-family index over a million rows on SQLite here.
CREATE INDEX refresh_families_client_idx ON refresh_families (client_id);
CREATE INDEX consents_client_idx ON consents (client_id);
CREATE INDEX authorization_codes_client_idx ON authorization_codes (client_id);
CREATE INDEX device_codes_client_idx ON device_codes (client_id);
CREATE INDEX authorization_codes_user_idx ON authorization_codes (user_id);
CREATE INDEX device_codes_user_idx ON device_codes (user_id);
