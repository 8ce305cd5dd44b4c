// bun:sqlite implementation of the Store: WAL, busy_timeout, foreign keys, cached prepared statements
// (db.query caches by SQL text), single-use rows consumed with UPDATE … RETURNING.
import { Database, type SQLQueryBindings } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS, LATEST_VERSION, SchemaTooNewError } from './migrations.ts';
import type {
  ClientRow,
  CodeRow,
  ConsentRow,
  DeviceCodeRow,
  TempTokenRow,
  FamilyRow,
  RefreshRow,
  SessionRow,
  SigningKeyRow,
  Store,
  SweepResult,
  UpstreamLoginRow,
  UserRow,
} from './store.ts';

type Row = Record<string, any>;

const json = (v: unknown) => JSON.stringify(v);
const parseArr = (v: string): string[] => JSON.parse(v) as string[];

const toClient = (r: Row): ClientRow => ({
  id: r.id,
  secretHash: r.secret_hash,
  name: r.name,
  redirectUris: parseArr(r.redirect_uris),
  grantTypes: parseArr(r.grant_types),
  scopes: parseArr(r.scopes),
  tokenEndpointAuthMethod: r.token_endpoint_auth_method,
  firstParty: !!r.first_party,
  origin: r.origin,
  metadata: JSON.parse(r.metadata),
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

const toUser = (r: Row): UserRow => ({
  id: r.id,
  username: r.username,
  email: r.email,
  emailVerified: !!r.email_verified,
  passwordHash: r.password_hash,
  isAdmin: !!r.is_admin,
  createdAt: r.created_at,
});

const toSession = (r: Row): SessionRow => ({
  id: r.id,
  hash: r.hash,
  userId: r.user_id,
  authTime: r.auth_time,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
});

const toConsent = (r: Row): ConsentRow => ({ userId: r.user_id, clientId: r.client_id, resource: r.resource, scope: r.scope, createdAt: r.created_at });

const toKey = (r: Row): SigningKeyRow => ({
  kid: r.kid,
  alg: r.alg,
  privateJwk: r.private_jwk,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
  expiresAt: r.expires_at,
});

const toCode = (r: Row): CodeRow => ({
  id: r.id,
  hash: r.hash,
  clientId: r.client_id,
  userId: r.user_id,
  redirectUri: r.redirect_uri,
  codeChallenge: r.code_challenge,
  scope: r.scope,
  resource: parseArr(r.resource),
  authTime: r.auth_time,
  expiresAt: r.expires_at,
  consumedAt: r.consumed_at,
  issuedFamilyId: r.issued_family_id,
  issuedJti: r.issued_jti,
  issuedExp: r.issued_exp,
});

const toFamily = (r: Row): FamilyRow => ({
  id: r.id,
  clientId: r.client_id,
  userId: r.user_id,
  scope: r.scope,
  resource: parseArr(r.resource),
  authTime: r.auth_time,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  expiresAt: r.expires_at,
});

const toRefresh = (r: Row): RefreshRow => ({
  id: r.id,
  hash: r.hash,
  familyId: r.family_id,
  scope: r.scope,
  resource: parseArr(r.resource),
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  consumedAt: r.consumed_at,
  lastJti: r.last_jti,
  lastExp: r.last_exp,
});

const toDevice = (r: Row): DeviceCodeRow => ({
  id: r.id,
  hash: r.hash,
  userCode: r.user_code,
  clientId: r.client_id,
  scope: r.scope,
  resource: parseArr(r.resource),
  pollInterval: r.poll_interval,
  lastPolledMs: r.last_polled_ms,
  status: r.status,
  userId: r.user_id,
  authTime: r.auth_time,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** Open (creating if needed) a SQLite database at `path` (':memory:' for tests). */
export function openSqlite(path: string): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  // busy_timeout first: switching to WAL needs a lock another process may hold.
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  return new SqliteStore(db);
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  constructor(readonly db: Database) {}

  private one(sql: string, ...params: SQLQueryBindings[]): Row | null {
    return (this.db.query(sql).get(...params) as Row | null) ?? null;
  }
  private all(sql: string, ...params: SQLQueryBindings[]): Row[] {
    return this.db.query(sql).all(...params) as Row[];
  }
  private run(sql: string, ...params: SQLQueryBindings[]): number {
    return this.db.query(sql).run(...params).changes;
  }

  async migrate(): Promise<number[]> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied: number[] = [];
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once apply each migration once.
    const step = this.db.transaction((m: (typeof MIGRATIONS)[number]) => {
      const done = this.one('SELECT 1 AS x FROM schema_migrations WHERE version = ?', m.version);
      if (done) return false;
      this.db.exec(m.sql);
      this.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', m.version, m.name, Math.floor(Date.now() / 1000));
      return true;
    });
    const max = (this.one('SELECT MAX(version) AS v FROM schema_migrations')?.v as number | null) ?? 0;
    if (max > LATEST_VERSION) throw new SchemaTooNewError(max);
    for (const m of MIGRATIONS) if (step.immediate(m)) applied.push(m.version);
    return applied;
  }

  async ping(): Promise<void> {
    this.one('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // closing anyway
    }
    this.db.close();
  }

  /** Checkpoint the WAL (called from a timer, off the request path). */
  checkpoint(): void {
    this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  }

  async sweep(now: number, idleBefore: number): Promise<SweepResult> {
    return this.db.transaction(() => ({
      codes: this.run('DELETE FROM authorization_codes WHERE expires_at < ?', now - 3600),
      refreshTokens: this.run('DELETE FROM refresh_tokens WHERE expires_at < ?', now),
      families: this.run('DELETE FROM refresh_families WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)', now, now - 86400),
      sessions: this.run('DELETE FROM sessions WHERE expires_at < ?', now),
      revokedAccessTokens: this.run('DELETE FROM revoked_access_tokens WHERE expires_at < ?', now),
      upstreamLogins: this.run('DELETE FROM upstream_logins WHERE expires_at < ?', now),
      // Only dynamically registered clients are reaped; operator and seeded clients stay.
      idleClients: this.run("DELETE FROM clients WHERE origin IN ('dynamic', 'metadata_document') AND COALESCE(last_used_at, created_at) < ?", idleBefore),
      deviceCodes: this.run('DELETE FROM device_codes WHERE expires_at < ?', now),
      tempTokens: this.run('DELETE FROM temp_tokens WHERE expires_at < ?', now),
    }))();
  }

  clients = {
    insert: async (c: ClientRow) => {
      this.run(
        `INSERT INTO clients (id, secret_hash, name, redirect_uris, grant_types, scopes, token_endpoint_auth_method, first_party, origin, metadata, created_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        c.id, c.secretHash, c.name, json(c.redirectUris), json(c.grantTypes), json(c.scopes), c.tokenEndpointAuthMethod,
        c.firstParty ? 1 : 0, c.origin, json(c.metadata), c.createdAt, c.lastUsedAt,
      );
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM clients WHERE id = ?', id);
      return r ? toClient(r) : null;
    },
    list: async () => this.all('SELECT * FROM clients ORDER BY created_at, id').map(toClient),
    remove: async (id: string) => this.run('DELETE FROM clients WHERE id = ?', id) > 0,
    setSecretHash: async (id: string, hash: string) => this.run('UPDATE clients SET secret_hash = ? WHERE id = ?', hash, id) > 0,
    touch: async (id: string, now: number) => {
      this.run('UPDATE clients SET last_used_at = ? WHERE id = ?', now, id);
    },
    upsertDocument: async (c: ClientRow) => {
      this.run(
        `INSERT INTO clients (id, secret_hash, name, redirect_uris, grant_types, scopes, token_endpoint_auth_method, first_party, origin, metadata, created_at, last_used_at)
         VALUES (?, NULL, ?, ?, ?, ?, 'none', 0, 'metadata_document', ?, ?, NULL)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris, grant_types = excluded.grant_types,
           scopes = excluded.scopes, metadata = excluded.metadata
         WHERE clients.origin = 'metadata_document'`,
        c.id, c.name, json(c.redirectUris), json(c.grantTypes), json(c.scopes), json(c.metadata), c.createdAt,
      );
    },
  };

  users = {
    insert: async (u: UserRow) => {
      this.run(
        'INSERT INTO users (id, username, email, email_verified, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        u.id, u.username, u.email, u.emailVerified ? 1 : 0, u.passwordHash, u.isAdmin ? 1 : 0, u.createdAt,
      );
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM users WHERE id = ?', id);
      return r ? toUser(r) : null;
    },
    getByUsername: async (username: string) => {
      const r = this.one('SELECT * FROM users WHERE username = ?', username);
      return r ? toUser(r) : null;
    },
    getByVerifiedEmail: async (email: string) => {
      const r = this.one('SELECT * FROM users WHERE lower(email) = lower(?) AND email_verified = 1 ORDER BY created_at LIMIT 1', email);
      return r ? toUser(r) : null;
    },
    list: async () => this.all('SELECT * FROM users ORDER BY created_at, username').map(toUser),
    count: async () => (this.one('SELECT COUNT(*) AS n FROM users')?.n as number) ?? 0,
    remove: async (username: string) => this.run('DELETE FROM users WHERE username = ?', username) > 0,
    setPasswordHash: async (id: string, hash: string) => this.run('UPDATE users SET password_hash = ? WHERE id = ?', hash, id) > 0,
    linkIdentity: async (provider: string, subject: string, userId: string, email: string | null, now: number) => {
      this.run(
        'INSERT INTO identities (provider, subject, user_id, email, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, subject) DO UPDATE SET email = excluded.email',
        provider, subject, userId, email, now,
      );
    },
    getByIdentity: async (provider: string, subject: string) => {
      const r = this.one('SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.provider = ? AND i.subject = ?', provider, subject);
      return r ? toUser(r) : null;
    },
  };

  sessions = {
    insert: async (s: SessionRow) => {
      this.run(
        'INSERT INTO sessions (id, hash, user_id, auth_time, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        s.id, s.hash, s.userId, s.authTime, s.lastSeenAt, s.expiresAt,
      );
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM sessions WHERE id = ?', id);
      return r ? toSession(r) : null;
    },
    touch: async (id: string, now: number) => {
      this.run('UPDATE sessions SET last_seen_at = ? WHERE id = ?', now, id);
    },
    remove: async (id: string) => {
      this.run('DELETE FROM sessions WHERE id = ?', id);
    },
    removeForUser: async (userId: string) => this.run('DELETE FROM sessions WHERE user_id = ?', userId),
  };

  consents = {
    get: async (userId: string, clientId: string, resource: string) => {
      const r = this.one('SELECT * FROM consents WHERE user_id = ? AND client_id = ? AND resource = ?', userId, clientId, resource);
      return r ? toConsent(r) : null;
    },
    upsert: async (c: ConsentRow) => {
      this.run(
        `INSERT INTO consents (user_id, client_id, resource, scope, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id, client_id, resource) DO UPDATE SET scope = excluded.scope, created_at = excluded.created_at`,
        c.userId, c.clientId, c.resource, c.scope, c.createdAt,
      );
    },
    listForUser: async (userId: string) => this.all('SELECT * FROM consents WHERE user_id = ? ORDER BY created_at', userId).map(toConsent),
    remove: async (userId: string, clientId: string) => this.run('DELETE FROM consents WHERE user_id = ? AND client_id = ?', userId, clientId),
  };

  keys = {
    insert: async (k: SigningKeyRow) => {
      this.run(
        'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        k.kid, k.alg, k.privateJwk, k.publicJwk, k.createdAt, k.retiredAt, k.expiresAt,
      );
    },
    listPublished: async (now: number) =>
      this.all('SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > ? ORDER BY (retired_at IS NOT NULL), created_at DESC, kid', now).map(toKey),
    retireOthers: async (kid: string, now: number, expiresAt: number) => {
      this.run('UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE kid <> ? AND retired_at IS NULL', now, expiresAt, kid);
    },
  };

  codes = {
    insert: async (c: CodeRow) => {
      this.run(
        `INSERT INTO authorization_codes (id, hash, client_id, user_id, redirect_uri, code_challenge, scope, resource, auth_time, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        c.id, c.hash, c.clientId, c.userId, c.redirectUri, c.codeChallenge, c.scope, json(c.resource), c.authTime, c.expiresAt,
      );
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM authorization_codes WHERE id = ?', id);
      return r ? toCode(r) : null;
    },
    consume: async (id: string, now: number) => {
      // RFC 6749 §4.1.2: single use, decided by this one statement.
      const r = this.one('UPDATE authorization_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ? RETURNING *', now, id, now);
      return r ? toCode(r) : null;
    },
    recordIssued: async (id: string, familyId: string | null, jti: string, exp: number) => {
      this.run('UPDATE authorization_codes SET issued_family_id = ?, issued_jti = ?, issued_exp = ? WHERE id = ?', familyId, jti, exp, id);
    },
  };

  refresh = {
    insertFamily: async (f: FamilyRow, first: RefreshRow) => {
      this.db.transaction(() => {
        this.run(
          'INSERT INTO refresh_families (id, client_id, user_id, scope, resource, auth_time, created_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)',
          f.id, f.clientId, f.userId, f.scope, json(f.resource), f.authTime, f.createdAt, f.expiresAt,
        );
        this.insertRefresh(first);
      })();
    },
    getFamily: async (id: string) => {
      const r = this.one('SELECT * FROM refresh_families WHERE id = ?', id);
      return r ? toFamily(r) : null;
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM refresh_tokens WHERE id = ?', id);
      return r ? toRefresh(r) : null;
    },
    rotate: async (oldId: string, now: number, next: RefreshRow, familyExpiresAt: number) =>
      this.db.transaction(() => {
        const consumed = this.run(
          `UPDATE refresh_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ?
             AND EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = refresh_tokens.family_id AND f.revoked_at IS NULL)`,
          now, oldId, now,
        );
        if (consumed !== 1) return false;
        this.insertRefresh(next);
        this.run('UPDATE refresh_families SET expires_at = ? WHERE id = ?', familyExpiresAt, next.familyId);
        return true;
      })(),
    insertIntoFamily: async (next: RefreshRow, now: number, familyExpiresAt: number) =>
      this.db.transaction(() => {
        const live = this.run('UPDATE refresh_families SET expires_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ?', familyExpiresAt, next.familyId, now);
        if (live !== 1) return false;
        this.insertRefresh(next);
        return true;
      })(),
    setLastJti: async (id: string, jti: string, exp: number) => {
      this.run('UPDATE refresh_tokens SET last_jti = ?, last_exp = ? WHERE id = ?', jti, exp, id);
    },
    revokeFamily: async (id: string, now: number) =>
      this.db.transaction(() => {
        const n = this.run('UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, id);
        // Access tokens minted from this family's refresh tokens are remembered as revoked until they expire.
        this.run(
          `INSERT INTO revoked_access_tokens (jti, expires_at)
           SELECT last_jti, last_exp FROM refresh_tokens WHERE family_id = ? AND last_jti IS NOT NULL AND last_exp > ?
           ON CONFLICT (jti) DO NOTHING`,
          id, now,
        );
        return n > 0;
      })(),
    listLiveFamiliesForUser: async (userId: string, now: number) =>
      this.all('SELECT * FROM refresh_families WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at', userId, now).map(toFamily),
  };

  private insertRefresh(t: RefreshRow): void {
    this.run(
      'INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)',
      t.id, t.hash, t.familyId, t.scope, json(t.resource), t.createdAt, t.expiresAt, t.lastJti, t.lastExp,
    );
  }

  revokedAccessTokens = {
    add: async (jti: string, expiresAt: number) => {
      this.run('INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING', jti, expiresAt);
    },
    has: async (jti: string) => this.one('SELECT 1 AS x FROM revoked_access_tokens WHERE jti = ?', jti) !== null,
  };

  deviceCodes = {
    insert: async (d: DeviceCodeRow) => {
      try {
        this.run(
          `INSERT INTO device_codes (id, hash, user_code, client_id, scope, resource, poll_interval, last_polled_ms, status, user_id, auth_time, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          d.id, d.hash, d.userCode, d.clientId, d.scope, json(d.resource), d.pollInterval, d.lastPolledMs, d.status, d.userId, d.authTime, d.createdAt, d.expiresAt,
        );
        return true;
      } catch (e) {
        if (/UNIQUE constraint failed: device_codes.user_code/.test(String(e))) return false;
        throw e;
      }
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM device_codes WHERE id = ?', id);
      return r ? toDevice(r) : null;
    },
    getPendingByUserCode: async (userCode: string, now: number) => {
      const r = this.one("SELECT * FROM device_codes WHERE user_code = ? AND status = 'pending' AND expires_at > ?", userCode, now);
      return r ? toDevice(r) : null;
    },
    poll: async (id: string, nowMs: number) =>
      // One write transaction (BEGIN IMMEDIATE): concurrent polls, even from other processes, are serialised.
      this.db.transaction(() => {
        const r = this.one('SELECT * FROM device_codes WHERE id = ?', id);
        if (!r) return null;
        const before = toDevice(r);
        const tooFast = before.lastPolledMs !== null && nowMs - before.lastPolledMs < before.pollInterval * 1000;
        const interval = tooFast ? before.pollInterval + 5 : before.pollInterval;
        this.run('UPDATE device_codes SET poll_interval = ?, last_polled_ms = ? WHERE id = ?', interval, nowMs, id);
        return { row: { ...before, pollInterval: interval, lastPolledMs: nowMs }, tooFast };
      }).immediate(),
    decide: async (id: string, decision: 'approved' | 'denied', userId: string, authTime: number, now: number) =>
      this.run("UPDATE device_codes SET status = ?, user_id = ?, auth_time = ? WHERE id = ? AND status = 'pending' AND expires_at > ?", decision, userId, authTime, id, now) === 1,
    consume: async (id: string) => {
      const r = this.one("UPDATE device_codes SET status = 'consumed' WHERE id = ? AND status = 'approved' RETURNING *", id);
      return r ? toDevice(r) : null;
    },
  };

  tempTokens = {
    insert: async (t: TempTokenRow) => {
      this.run(
        'INSERT INTO temp_tokens (id, hash, scope, resource_id, created_at, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
        t.id, t.hash, t.scope, t.resourceId, t.createdAt, t.expiresAt,
      );
    },
    get: async (id: string) => {
      const r = this.one('SELECT * FROM temp_tokens WHERE id = ?', id);
      return r
        ? { id: r.id, hash: r.hash, scope: r.scope, resourceId: r.resource_id, createdAt: r.created_at, expiresAt: r.expires_at, consumedAt: r.consumed_at }
        : null;
    },
    consume: async (id: string, now: number) => this.run('UPDATE temp_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ?', now, id, now) === 1,
    deleteByResource: async (scope: string, resourceId: string) => this.run('DELETE FROM temp_tokens WHERE scope = ? AND resource_id = ?', scope, resourceId),
    deleteExpired: async (before: number) => this.run('DELETE FROM temp_tokens WHERE expires_at < ?', before),
  };

  upstreamLogins = {
    insert: async (r: UpstreamLoginRow) => {
      this.run(
        'INSERT INTO upstream_logins (state_hash, provider, nonce, code_verifier, next_path, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        r.stateHash, r.provider, r.nonce, r.codeVerifier, r.nextPath, r.expiresAt,
      );
    },
    take: async (stateHash: string, now: number) => {
      const r = this.one('DELETE FROM upstream_logins WHERE state_hash = ? AND expires_at > ? RETURNING *', stateHash, now);
      return r
        ? { stateHash: r.state_hash, provider: r.provider, nonce: r.nonce, codeVerifier: r.code_verifier, nextPath: r.next_path, expiresAt: r.expires_at }
        : null;
    },
  };
}
