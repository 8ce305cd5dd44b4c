-- Rate-limit windows that must hold across instances (registration per IP).
CREATE TABLE rate_limits (
  key           TEXT PRIMARY KEY,
  window_start  BIGINT NOT NULL,
  count         INTEGER NOT NULL
);
