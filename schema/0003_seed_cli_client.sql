-- The public CLI client, so ordinary CLI logins need no registration (Deploys seeds `deploys-cli` the same
-- way). Loopback redirects on any port (RFC 8252 §7.3); first-party: no consent screen.
INSERT INTO clients (id, secret_hash, name, redirect_uris, grant_types, scopes, token_endpoint_auth_method, first_party, origin, metadata, created_at, last_used_at)
VALUES (
  'auth-cli', NULL, 'auth CLI',
  '["http://127.0.0.1/callback","http://[::1]/callback","http://localhost/callback"]',
  '["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code"]',
  '[]', 'none', 1, 'seed', '{"application_type":"native"}', 1798848000, NULL
);
