-- Clients by origin: the cap on metadata-document clients (CIMD_MAX_CLIENTS) counts them and finds the
-- least recently used at every new one, and the sweep looks for idle registered clients.
CREATE INDEX clients_origin_idx ON clients (origin);
