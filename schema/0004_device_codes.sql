-- Device authorization grant (RFC 8628). The device code is stored only as a hash; the user code is unique
-- among stored codes (expired ones are swept), typed by a person and rate limited.
CREATE TABLE device_codes (
  id              TEXT PRIMARY KEY,
  hash            TEXT NOT NULL,
  user_code       TEXT NOT NULL UNIQUE,              -- normalised: 8 characters, no dash
  client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  scope           TEXT NOT NULL,
  resource        TEXT NOT NULL,                     -- JSON array
  poll_interval   INTEGER NOT NULL,                  -- seconds; grows by 5 at each slow_down
  last_polled_ms  BIGINT,
  status          TEXT NOT NULL,                     -- pending | approved | denied | consumed
  user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
  auth_time       BIGINT,
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL
);
CREATE INDEX device_codes_expiry_idx ON device_codes (expires_at);
