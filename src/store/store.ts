// The Store: a small async interface per aggregate, implemented by SQLite (sqlite/store.ts) and PostgreSQL
// (postgres.ts) alike; the domain sees only this. Times are unix seconds. Secrets arrive already hashed.
// Every single-use operation is one conditional UPDATE … RETURNING, never read-then-write.

export type ClientOrigin = 'operator' | 'seed' | 'dynamic' | 'metadata_document';
export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ClientRow {
  id: string;
  secretHash: string | null;
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  tokenEndpointAuthMethod: AuthMethod;
  firstParty: boolean;
  origin: ClientOrigin;
  metadata: Record<string, unknown>;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface UserRow {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  passwordHash: string | null;
  isAdmin: boolean;
  createdAt: number;
  /** OIDC profile claims an upstream provider or the operator gave (OIDC Core §5.1). */
  profile?: UserProfile;
  /** When the profile last changed (the `updated_at` claim); null: never. */
  updatedAt?: number | null;
  /** When an admin disabled the account (no sign-in, no sessions, no grants); null: enabled. */
  disabledAt?: number | null;
}

/** What the admin console's dashboard counts. */
export interface StoreStats {
  users: number;
  clients: number;
  sessions: number;
  families: number;
  deviceCodes: number;
}

/** An audit search (admin console): every filter optional, newest first. */
export interface AuditQuery {
  since: number;
  until?: number;
  userId?: string;
  clientId?: string;
  event?: string;
  limit: number;
  offset?: number;
}

export interface UserProfile {
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
}

/** What an ID token needs beyond the grant (OIDC Core §2, §3.1.2.1), kept with a grant that included `openid`. */
export interface OidcGrant {
  nonce?: string;
  /** The browser session that signed in (the `sid` claim). */
  sid?: string;
  /** How the user signed in (RFC 8176). */
  amr?: string[];
  /** The `claims` request parameter (OIDC Core §5.5): members asked for in the ID token and at userinfo. */
  claims?: { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> };
}

export interface SessionRow {
  id: string;
  hash: string;
  userId: string;
  authTime: number;
  lastSeenAt: number;
  expiresAt: number;
  /** How the session signed in (RFC 8176 values); null when not known. */
  amr?: string[] | null;
  /** The browser (User-Agent, at most 256 characters) and address it signed in from; null when not known. */
  userAgent?: string | null;
  ip?: string | null;
}

export interface ConsentRow {
  userId: string;
  clientId: string;
  resource: string;
  scope: string;
  createdAt: number;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
}

export interface CodeRow {
  id: string;
  hash: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string | null;
  scope: string;
  resource: string[];
  authTime: number;
  expiresAt: number;
  consumedAt: number | null;
  issuedFamilyId: string | null;
  issuedJti: string | null;
  issuedExp: number | null;
  /** Set when `openid` was granted. */
  oidc?: OidcGrant | null;
  /** RFC 9449 §10: the DPoP key thumbprint the code is bound to (dpop_jkt at /authorize). */
  dpopJkt?: string | null;
}

export interface FamilyRow {
  id: string;
  clientId: string;
  userId: string;
  scope: string;
  resource: string[];
  authTime: number;
  createdAt: number;
  revokedAt: number | null;
  expiresAt: number;
  /** The family's one live refresh token (null: a family from before migration 10, any unconsumed token). */
  liveTokenId: string | null;
  /** The token whose rotation made the live one: a retry with it inside the grace replaces the live one. */
  liveParentId: string | null;
  /** Set when `openid` was granted: a refresh then issues a new ID token (OIDC Core §12.2). */
  oidc?: OidcGrant | null;
  /** The client software (User-Agent of the token request that started it) and its address; null when not known. */
  userAgent?: string | null;
  ip?: string | null;
  /** The last rotation (or the start); null for families from before migration 14. */
  lastUsedAt?: number | null;
  /** RFC 9449 §5: the DPoP key thumbprint a public client's refresh tokens are bound to; null: not bound. */
  dpopJkt?: string | null;
}

export interface RefreshRow {
  id: string;
  hash: string;
  familyId: string;
  scope: string;
  resource: string[];
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** Tokens minted before migration 9 only: the access token issued with this one (revoked with the family). */
  lastJti: string | null;
  lastExp: number | null;
}

export interface UpstreamLoginRow {
  stateHash: string;
  provider: string;
  nonce: string;
  codeVerifier: string;
  nextPath: string;
  expiresAt: number;
}

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceCodeRow {
  id: string;
  hash: string;
  userCode: string;
  clientId: string;
  scope: string;
  resource: string[];
  pollInterval: number;
  lastPolledMs: number | null;
  status: DeviceStatus;
  userId: string | null;
  authTime: number | null;
  createdAt: number;
  expiresAt: number;
  /** Set at approval when `openid` was asked for (the approving session's sid and amr). */
  oidc?: OidcGrant | null;
}

export interface TempTokenRow {
  id: string;
  hash: string;
  scope: string;
  resourceId: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface SweepResult {
  codes: number;
  refreshTokens: number;
  families: number;
  sessions: number;
  revokedAccessTokens: number;
  upstreamLogins: number;
  idleClients: number;
  deviceCodes: number;
  tempTokens: number;
  rateLimits: number;
  usedJtis: number;
  /** Audit rows older than AUDIT_RETENTION. */
  auditEntries: number;
  /** Batches run, and the longest one (ms): how long the sweeper held the write lock at most, and on what. */
  batches?: number;
  maxBatchMs?: number;
  maxBatchKind?: string;
}

export interface AuditRow {
  id: string;
  time: number;
  event: string;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  count: number;
}

export interface IdentityRow {
  provider: string;
  subject: string;
  userId: string;
  email: string | null;
  createdAt: number;
}

/** What a code exchange issues: the access token's jti/exp and the new refresh family, if any. */
export interface IssuedForCode {
  jti: string;
  exp: number;
  family: { row: FamilyRow; first: RefreshRow } | null;
}

/** What `auth export` writes and `auth import` reads: enough to move a deployment between stores. */
export interface StoreDump {
  clients: ClientRow[];
  users: UserRow[];
  identities: IdentityRow[];
  keys: SigningKeyRow[];
  /** Live refresh families and their live (unconsumed, unexpired) tokens. */
  families: FamilyRow[];
  refreshTokens: RefreshRow[];
}

/** A store that cannot be reached right now (connection lost, locked, read-only, full): 503, not 500. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Apply pending migrations; refuses a database newer than this binary. Returns versions applied. */
  migrate(): Promise<number[]>;
  /** Cheap query that proves the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Delete rows that expired before `now`; dynamic clients idle since before `idleBefore`. */
  /** Delete what has expired, in bounded batches (store/sweep.ts); audit rows too when `auditBefore` is given. */
  sweep(now: number, idleBefore: number, auditBefore?: number): Promise<SweepResult>;

  clients: {
    insert(c: ClientRow): Promise<void>;
    get(id: string): Promise<ClientRow | null>;
    list(): Promise<ClientRow[]>;
    remove(id: string): Promise<boolean>;
    setSecretHash(id: string, hash: string): Promise<boolean>;
    /** Name, redirect URIs, grants, scopes, first party. */
    update(c: ClientRow): Promise<boolean>;
    touch(id: string, now: number): Promise<void>;
    /** Insert or refresh a metadata-document client (name, redirects, grants, scopes, metadata). */
    upsertDocument(c: ClientRow): Promise<void>;
    /** Remove the least recently used metadata-document clients (and their grants) beyond `keep`; how many went. */
    reapDocuments(keep: number): Promise<number>;
  };

  users: {
    insert(u: UserRow): Promise<void>;
    get(id: string): Promise<UserRow | null>;
    getByUsername(username: string): Promise<UserRow | null>;
    getByVerifiedEmail(email: string): Promise<UserRow | null>;
    list(): Promise<UserRow[]>;
    count(): Promise<number>;
    remove(username: string): Promise<boolean>;
    setPasswordHash(id: string, hash: string): Promise<boolean>;
    /** Replace the profile claims (and the email when given), stamping updated_at. */
    setProfile(id: string, profile: UserProfile, now: number): Promise<boolean>;
    setAdmin(id: string, admin: boolean): Promise<boolean>;
    /** Disable (at `at`) or enable (null). */
    setDisabled(id: string, at: number | null): Promise<boolean>;
    linkIdentity(provider: string, subject: string, userId: string, email: string | null, now: number): Promise<void>;
    getByIdentity(provider: string, subject: string): Promise<UserRow | null>;
  };

  sessions: {
    insert(s: SessionRow): Promise<void>;
    get(id: string): Promise<SessionRow | null>;
    touch(id: string, now: number): Promise<void>;
    remove(id: string): Promise<void>;
    removeForUser(userId: string): Promise<number>;
    /** The user's sessions not past their absolute end, most recently used first. */
    listForUser(userId: string, now: number): Promise<SessionRow[]>;
    /** Remove a session if it is this user's; how many were removed. */
    removeOwn(userId: string, id: string): Promise<number>;
    /** Remove every session of the user but one (a password change keeps the browser that made it). */
    removeOthers(userId: string, keepId: string): Promise<number>;
  };

  consents: {
    get(userId: string, clientId: string, resource: string): Promise<ConsentRow | null>;
    upsert(c: ConsentRow): Promise<void>;
    listForUser(userId: string): Promise<ConsentRow[]>;
    remove(userId: string, clientId: string): Promise<number>;
  };

  keys: {
    /** Insert; false when another active key exists already (one active key at a time). */
    insert(k: SigningKeyRow): Promise<boolean>;
    /** Retire every active key (published until `expiresAt`) and insert `k`, in one transaction. */
    rotate(k: SigningKeyRow, now: number, expiresAt: number): Promise<void>;
    /** Keys still published (not past expires_at), newest first. */
    listPublished(now: number): Promise<SigningKeyRow[]>;
  };

  codes: {
    insert(c: CodeRow): Promise<void>;
    get(id: string): Promise<CodeRow | null>;
    /**
     * Single use, in one transaction: mark the code consumed iff unconsumed and unexpired, create the refresh
     * family (when given) and record what was issued (revoked if the code is replayed). False when the code
     * was already used or has expired — and then nothing is written.
     */
    redeem(id: string, now: number, issued: IssuedForCode): Promise<boolean>;
  };

  refresh: {
    /** Create a family and its first token in one transaction. */
    insertFamily(f: FamilyRow, first: RefreshRow): Promise<void>;
    getFamily(id: string): Promise<FamilyRow | null>;
    get(id: string): Promise<RefreshRow | null>;
    /** The token and its family in one read. */
    getWithFamily(id: string): Promise<{ row: RefreshRow; family: FamilyRow } | null>;
    /**
     * Rotation in one transaction: consume `oldId` iff unconsumed, unexpired, its family's live token and the
     * family is live; insert `next` and make it the live token (parent `oldId`); slide the family's expiry.
     * Returns false (and changes nothing) if it lost the race.
     */
    rotate(oldId: string, now: number, next: RefreshRow, familyExpiresAt: number): Promise<boolean>;
    /**
     * A retry with the spent token `parentId` (inside the reuse grace): insert `next` as the family's live
     * token in place of the one `parentId`'s rotation made, iff that is still the live one's parent and the
     * family is live. The replaced token can no longer rotate. False (nothing written) otherwise.
     */
    replaceLive(parentId: string, next: RefreshRow, now: number, familyExpiresAt: number): Promise<boolean>;
    /**
     * Revoke a family, in one transaction: its tokens can no longer rotate, `mark` is recorded in
     * revoked_access_tokens (the key that revokes the access tokens minted under the family), and so are the
     * access tokens recorded on tokens from before migration 9. False (and nothing written) when the family
     * was revoked already or is gone.
     */
    revokeFamily(id: string, now: number, mark: { jti: string; expiresAt: number }): Promise<boolean>;
    listLiveFamiliesForUser(userId: string, now: number): Promise<FamilyRow[]>;
  };

  revokedAccessTokens: {
    add(jti: string, expiresAt: number): Promise<void>;
    /** Whether any of `keys` (an access token's jti, and its family's mark) is recorded. */
    has(keys: readonly [string] | readonly [string, string]): Promise<boolean>;
  };

  deviceCodes: {
    /** Insert; false when the user code is already taken (the caller draws another). */
    insert(r: DeviceCodeRow): Promise<boolean>;
    get(id: string): Promise<DeviceCodeRow | null>;
    /** The pending, unexpired code with this (normalised) user code. */
    getPendingByUserCode(userCode: string, now: number): Promise<DeviceCodeRow | null>;
    /**
     * Record a poll atomically. When the previous poll was less than the interval ago, the interval grows by
     * 5 s (RFC 8628 §3.5 slow_down) and `tooFast` is true. Returns the row after the update.
     */
    poll(id: string, nowMs: number): Promise<{ row: DeviceCodeRow; tooFast: boolean } | null>;
    /** pending → approved | denied, only while unexpired. */
    decide(id: string, decision: 'approved' | 'denied', userId: string, authTime: number, now: number, oidc?: OidcGrant | null): Promise<boolean>;
    /** approved → consumed exactly once; returns the row, else null. */
    consume(id: string): Promise<DeviceCodeRow | null>;
  };

  tempTokens: {
    insert(t: TempTokenRow): Promise<void>;
    get(id: string): Promise<TempTokenRow | null>;
    /** Single use: mark consumed iff unconsumed and unexpired; true for the one caller that won. */
    consume(id: string, now: number): Promise<boolean>;
    deleteByResource(scope: string, resourceId: string): Promise<number>;
    deleteExpired(before: number): Promise<number>;
  };

  audit: {
    /** Append rows in one transaction. */
    append(rows: AuditRow[]): Promise<void>;
    /** Newest first, at most `limit`, optionally one user's. */
    list(q: { since: number; userId?: string; limit: number }): Promise<AuditRow[]>;
    /** Newest first with every filter of the admin console's audit page. */
    search(q: AuditQuery): Promise<AuditRow[]>;
    deleteBefore(time: number): Promise<number>;
  };

  rateLimits: {
    /** Count one event for `key` in a fixed window of `windowS`; returns the count and the window start. */
    hit(key: string, windowS: number, now: number): Promise<{ count: number; windowStart: number }>;
    /** The current window of `key` without counting; null when none is open. */
    peek(key: string, windowS: number, now: number): Promise<{ count: number; windowStart: number } | null>;
    reset(key: string): Promise<void>;
  };

  usedJtis: {
    /**
     * Record a JWT id as used until `expiresAt`. True on its first use (or after an earlier use expired);
     * false for a replay. One statement, so two instances racing on the same id get one true.
     */
    use(key: string, expiresAt: number, now: number): Promise<boolean>;
  };

  /** Counts of live things for the admin dashboard. */
  stats(now: number): Promise<StoreStats>;

  /** Everything `auth export` carries (see StoreDump). */
  dump(now: number): Promise<StoreDump>;
  /** Insert a dump; rows that already exist are kept. Returns how many rows of each kind were inserted. */
  restore(d: StoreDump): Promise<Record<keyof StoreDump, number>>;

  upstreamLogins: {
    insert(r: UpstreamLoginRow): Promise<void>;
    /** Single use: delete and return iff unexpired. */
    take(stateHash: string, now: number): Promise<UpstreamLoginRow | null>;
  };
}
