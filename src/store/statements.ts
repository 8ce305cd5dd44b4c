// Every SQL statement of the stores, written once in the dialect subset SQLite and PostgreSQL share, with
// `?` placeholders (the PostgreSQL store numbers them). Single-use rows are consumed by one conditional
// UPDATE … RETURNING, never read-then-write.
/** A bounded delete: at most `?` rows of `table` matching `where`, found through the condition's index. */
const batch = (table: string, key: string, where: string) => `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where} LIMIT ?)`;

export const Q = {
  ping: 'SELECT 1 AS ok',

  clientInsert: `INSERT INTO clients (id, secret_hash, name, redirect_uris, grant_types, scopes, token_endpoint_auth_method, first_party, origin, metadata, created_at, last_used_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  clientImport: `INSERT INTO clients (id, secret_hash, name, redirect_uris, grant_types, scopes, token_endpoint_auth_method, first_party, origin, metadata, created_at, last_used_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  clientGet: 'SELECT * FROM clients WHERE id = ?',
  clientList: 'SELECT * FROM clients ORDER BY created_at, id',
  clientRemove: 'DELETE FROM clients WHERE id = ?',
  clientSetSecret: 'UPDATE clients SET secret_hash = ? WHERE id = ?',
  clientUpdate: 'UPDATE clients SET name = ?, redirect_uris = ?, grant_types = ?, scopes = ?, first_party = ? WHERE id = ?',
  clientTouch: 'UPDATE clients SET last_used_at = ? WHERE id = ?',
  clientDocumentCount: "SELECT COUNT(*) AS n FROM clients WHERE origin = 'metadata_document'",
  clientDocumentsLeastUsed: "SELECT id FROM clients WHERE origin = 'metadata_document' ORDER BY COALESCE(last_used_at, created_at), id LIMIT ?",
  clientUpsertDocument: `INSERT INTO clients (id, secret_hash, name, redirect_uris, grant_types, scopes, token_endpoint_auth_method, first_party, origin, metadata, created_at, last_used_at)
    VALUES (?, NULL, ?, ?, ?, ?, 'none', 0, 'metadata_document', ?, ?, NULL)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris, grant_types = excluded.grant_types,
      scopes = excluded.scopes, metadata = excluded.metadata
    WHERE clients.origin = 'metadata_document'`,

  userInsert:
    'INSERT INTO users (id, username, email, email_verified, password_hash, is_admin, created_at, profile, updated_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  userImport:
    'INSERT INTO users (id, username, email, email_verified, password_hash, is_admin, created_at, profile, updated_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  userSetProfile: 'UPDATE users SET profile = ?, updated_at = ? WHERE id = ?',
  userSetAdmin: 'UPDATE users SET is_admin = ? WHERE id = ?',
  userSetDisabled: 'UPDATE users SET disabled_at = ? WHERE id = ?',
  userGet: 'SELECT * FROM users WHERE id = ?',
  userByName: 'SELECT * FROM users WHERE username = ?',
  userByVerifiedEmail: 'SELECT * FROM users WHERE lower(email) = lower(?) AND email_verified = 1 ORDER BY created_at LIMIT 1',
  userList: 'SELECT * FROM users ORDER BY created_at, username',
  userCount: 'SELECT COUNT(*) AS n FROM users',
  userRemove: 'DELETE FROM users WHERE username = ?',
  userSetPassword: 'UPDATE users SET password_hash = ? WHERE id = ?',
  identityLink: `INSERT INTO identities (provider, subject, user_id, email, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (provider, subject) DO UPDATE SET email = excluded.email`,
  identityImport: 'INSERT INTO identities (provider, subject, user_id, email, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, subject) DO NOTHING',
  identityList: 'SELECT * FROM identities ORDER BY created_at, provider, subject',
  userByIdentity: 'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.provider = ? AND i.subject = ?',

  sessionInsert: 'INSERT INTO sessions (id, hash, user_id, auth_time, last_seen_at, expires_at, amr, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  sessionListForUser: 'SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY last_seen_at DESC',
  sessionRemoveOwn: 'DELETE FROM sessions WHERE id = ? AND user_id = ?',
  sessionRemoveOthers: 'DELETE FROM sessions WHERE user_id = ? AND id <> ?',
  sessionGet: 'SELECT * FROM sessions WHERE id = ?',
  sessionTouch: 'UPDATE sessions SET last_seen_at = ? WHERE id = ?',
  sessionRemove: 'DELETE FROM sessions WHERE id = ?',
  sessionRemoveForUser: 'DELETE FROM sessions WHERE user_id = ?',

  consentGet: 'SELECT * FROM consents WHERE user_id = ? AND client_id = ? AND resource = ?',
  consentUpsert: `INSERT INTO consents (user_id, client_id, resource, scope, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (user_id, client_id, resource) DO UPDATE SET scope = excluded.scope, created_at = excluded.created_at`,
  consentList: 'SELECT * FROM consents WHERE user_id = ? ORDER BY created_at',
  consentRemove: 'DELETE FROM consents WHERE user_id = ? AND client_id = ?',

  keyInsert: 'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  keyImport:
    'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  keyListPublished: 'SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > ? ORDER BY (retired_at IS NOT NULL), created_at DESC, kid',
  // Retires the active key of one kind: the RS256 ID-token key, or the access-token key (migration 12).
  keyRetireActiveRsa: "UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL AND alg = 'RS256'",
  keyRetireActiveOther: "UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL AND alg <> 'RS256'",

  codeInsert: `INSERT INTO authorization_codes (id, hash, client_id, user_id, redirect_uri, code_challenge, scope, resource, auth_time, expires_at, oidc, dpop_jkt, consumed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
  codeGet: 'SELECT * FROM authorization_codes WHERE id = ?',
  // RFC 6749 §4.1.2: single use, decided by this one statement, which also records what the exchange
  // issued (revoked if the code is replayed).
  codeRedeem: `UPDATE authorization_codes SET consumed_at = ?, issued_family_id = ?, issued_jti = ?, issued_exp = ?
    WHERE id = ? AND consumed_at IS NULL AND expires_at > ?`,

  familyInsert:
    'INSERT INTO refresh_families (id, client_id, user_id, scope, resource, auth_time, created_at, revoked_at, expires_at, live_token_id, live_parent_id, oidc, user_agent, ip, last_used_at, dpop_jkt) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)',
  familyImport:
    'INSERT INTO refresh_families (id, client_id, user_id, scope, resource, auth_time, created_at, revoked_at, expires_at, live_token_id, live_parent_id, oidc, user_agent, ip, last_used_at, dpop_jkt) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  familyGet: 'SELECT * FROM refresh_families WHERE id = ?',
  // A rotation: the new token becomes the family's live one (the consume below has checked the old one was).
  familySlide: 'UPDATE refresh_families SET expires_at = ?, live_token_id = ?, live_parent_id = ?, last_used_at = ? WHERE id = ?',
  // A retry inside the grace: replaces the live token iff the retried token's rotation made it (a family from
  // before migration 10 has no live token recorded yet). Conditional on the row itself, so concurrent retries
  // serialise on its lock and each replaces the one before (PostgreSQL re-checks the row after the wait).
  familyReplaceLive: `UPDATE refresh_families SET expires_at = ?, live_token_id = ? WHERE id = ?
    AND (live_parent_id = ? OR live_token_id IS NULL) AND revoked_at IS NULL AND expires_at > ?`,
  familyRevoke: 'UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  familyLiveForUser: 'SELECT * FROM refresh_families WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at',
  familyLiveAll: 'SELECT * FROM refresh_families WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at',
  refreshInsert:
    'INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)',
  refreshImport:
    'INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (id) DO NOTHING',
  refreshGet: 'SELECT * FROM refresh_tokens WHERE id = ?',
  // PostgreSQL only: the tokens of a batch of ids with their families, columns of the family prefixed f_
  // (store/postgres.ts: the first read of the refresh requests of one event-loop turn, one round trip).
  refreshWithFamilyAny: `SELECT t.*, f.client_id AS f_client_id, f.user_id AS f_user_id, f.scope AS f_scope, f.resource AS f_resource,
      f.auth_time AS f_auth_time, f.created_at AS f_created_at, f.revoked_at AS f_revoked_at, f.expires_at AS f_expires_at,
      f.live_token_id AS f_live_token_id, f.live_parent_id AS f_live_parent_id, f.oidc AS f_oidc, f.dpop_jkt AS f_dpop_jkt
    FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.id = ANY(?::text[])`,
  // store/postgres.ts ROTATE repeats these conditions in its one-statement rotation.
  refreshConsume: `UPDATE refresh_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ?
    AND EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = refresh_tokens.family_id AND f.revoked_at IS NULL
      AND (f.live_token_id IS NULL OR f.live_token_id = refresh_tokens.id))`,
  refreshLiveAll: `SELECT t.* FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
    WHERE t.consumed_at IS NULL AND t.expires_at > ? AND f.revoked_at IS NULL ORDER BY t.created_at`,
  // Tokens minted before migration 9 recorded their access token's jti (last_jti; refresh_tokens_legacy_family_idx):
  // revoking their family remembers those jtis as revoked until they expire. (Later access tokens carry the
  // family in their jti, and the family's "<id>.*" row covers them: see revokeFamily.)
  revokeFamilyLegacyAccessTokens: `INSERT INTO revoked_access_tokens (jti, expires_at)
    SELECT last_jti, last_exp FROM refresh_tokens WHERE family_id = ? AND last_jti IS NOT NULL AND last_exp > ?
    ON CONFLICT (jti) DO NOTHING`,
  // Without a foreign key from refresh_tokens (migration 9), removing a user or a client deletes the tokens
  // their families can still be used with — the live one and its parent within the grace period — by primary
  // key; the families go by ON DELETE CASCADE. The rotated tokens left behind belong to no family, so they
  // are refused like unknown ones, and the sweep deletes them at their expiry. (Deleting every token of the
  // families scanned the whole table under the write lock: 505 ms for a client with 1,000 of a million families.)
  // Each takes its key twice.
  refreshDeleteForUser: `DELETE FROM refresh_tokens WHERE id IN (
    SELECT f.live_token_id FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE u.username = ?
    UNION SELECT f.live_parent_id FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE u.username = ?)`,
  refreshDeleteForClient: `DELETE FROM refresh_tokens WHERE id IN (
    SELECT live_token_id FROM refresh_families WHERE client_id = ? UNION SELECT live_parent_id FROM refresh_families WHERE client_id = ?)`,
  // SQLite removes a client's or a user's families a batch at a time before the row itself (sqlite/store.ts).
  familiesOfClient: 'SELECT id, live_token_id, live_parent_id FROM refresh_families WHERE client_id = ? LIMIT ?',
  familiesOfUser: 'SELECT f.id, f.live_token_id, f.live_parent_id FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE u.username = ? LIMIT ?',
  refreshDelete: 'DELETE FROM refresh_tokens WHERE id = ?',
  familyDelete: 'DELETE FROM refresh_families WHERE id = ?',
  revokedAdd: 'INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
  revokedHas: 'SELECT 1 AS x FROM revoked_access_tokens WHERE jti = ?',
  revokedHasEither: 'SELECT 1 AS x FROM revoked_access_tokens WHERE jti IN (?, ?) LIMIT 1',
  // PostgreSQL only: which of a batch of jtis are revoked (store/postgres.ts).
  revokedAmong: 'SELECT jti FROM revoked_access_tokens WHERE jti = ANY(?::text[])',

  deviceInsert: `INSERT INTO device_codes (id, hash, user_code, client_id, scope, resource, poll_interval, last_polled_ms, status, user_id, auth_time, created_at, expires_at, oidc)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  deviceGet: 'SELECT * FROM device_codes WHERE id = ?',
  deviceByUserCode: "SELECT * FROM device_codes WHERE user_code = ? AND status = 'pending' AND expires_at > ?",
  devicePollUpdate: 'UPDATE device_codes SET poll_interval = ?, last_polled_ms = ? WHERE id = ?',
  deviceDecide: "UPDATE device_codes SET status = ?, user_id = ?, auth_time = ?, oidc = ? WHERE id = ? AND status = 'pending' AND expires_at > ?",
  deviceConsume: "UPDATE device_codes SET status = 'consumed' WHERE id = ? AND status = 'approved' RETURNING *",

  tempInsert: 'INSERT INTO temp_tokens (id, hash, scope, resource_id, created_at, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
  tempGet: 'SELECT * FROM temp_tokens WHERE id = ?',
  tempConsume: 'UPDATE temp_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ?',
  tempDeleteByResource: 'DELETE FROM temp_tokens WHERE scope = ? AND resource_id = ?',
  tempDeleteExpired: 'DELETE FROM temp_tokens WHERE expires_at < ?',

  upstreamInsert: 'INSERT INTO upstream_logins (state_hash, provider, nonce, code_verifier, next_path, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  upstreamTake: 'DELETE FROM upstream_logins WHERE state_hash = ? AND expires_at > ? RETURNING *',

  auditInsert: 'INSERT INTO audit_log (id, time, event, user_id, client_id, ip, details, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  auditList: 'SELECT * FROM audit_log WHERE time >= ? ORDER BY time DESC, id LIMIT ?',
  auditListUser: 'SELECT * FROM audit_log WHERE time >= ? AND user_id = ? ORDER BY time DESC, id LIMIT ?',
  auditDeleteBefore: 'DELETE FROM audit_log WHERE time < ?',
  // The admin audit search: a NULL filter matches everything (one statement, parameters bound as usual).
  auditSearch: `SELECT * FROM audit_log WHERE time >= ? AND time < ?
    AND (CAST(? AS TEXT) IS NULL OR user_id = ?) AND (CAST(? AS TEXT) IS NULL OR client_id = ?) AND (CAST(? AS TEXT) IS NULL OR event = ?)
    ORDER BY time DESC, id LIMIT ? OFFSET ?`,
  stats: `SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM clients) AS clients,
    (SELECT COUNT(*) FROM sessions WHERE expires_at > ?) AS sessions,
    (SELECT COUNT(*) FROM refresh_families WHERE revoked_at IS NULL AND expires_at > ?) AS families,
    (SELECT COUNT(*) FROM device_codes WHERE status = 'pending' AND expires_at > ?) AS device_codes`,

  // Fixed windows shared by every instance (registration per IP): one upsert counts and resets.
  rateHit: `INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.count + 1 END,
      window_start = CASE WHEN rate_limits.window_start <= ? THEN excluded.window_start ELSE rate_limits.window_start END
    RETURNING count, window_start`,

  // A JWT id used once: inserted, or taken over when the earlier use has expired; a row back means "first use".
  jtiUse: `INSERT INTO used_jtis (key, expires_at) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at <= ?
    RETURNING key`,

  ratePeek: 'SELECT count, window_start FROM rate_limits WHERE key = ? AND window_start > ?',
  rateReset: 'DELETE FROM rate_limits WHERE key = ?',

  // The sweeper's deletes, each a batch of at most `?` rows found by an index (bounded time under the write
  // lock); run until a batch comes back short. Parameters: the bound(s), then the batch size.
  sweep: {
    codes: batch('authorization_codes', 'id', 'expires_at < ?'),
    refreshTokens: batch('refresh_tokens', 'id', 'expires_at < ?'),
    familiesExpired: batch('refresh_families', 'id', 'expires_at < ?'),
    familiesRevoked: batch('refresh_families', 'id', 'revoked_at IS NOT NULL AND revoked_at < ?'),
    sessions: batch('sessions', 'id', 'expires_at < ?'),
    revokedAccessTokens: batch('revoked_access_tokens', 'jti', 'expires_at < ?'),
    upstreamLogins: batch('upstream_logins', 'state_hash', 'expires_at < ?'),
    // Only registered and metadata-document clients are reaped; operator and seeded clients stay.
    idleClients: batch('clients', 'id', "origin IN ('dynamic', 'metadata_document') AND (last_used_at < ? OR (last_used_at IS NULL AND created_at < ?))"),
    deviceCodes: batch('device_codes', 'id', 'expires_at < ?'),
    tempTokens: batch('temp_tokens', 'id', 'expires_at < ?'),
    rateLimits: batch('rate_limits', 'key', 'window_start < ?'),
    usedJtis: batch('used_jtis', 'key', 'expires_at < ?'),
    auditLog: batch('audit_log', 'id', 'time < ?'),
  },
} as const;
