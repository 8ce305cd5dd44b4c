// Row ↔ domain mapping shared by the SQLite and PostgreSQL stores. Numbers are coerced because
// PostgreSQL returns BIGINT as strings; JSON columns are TEXT.
import type {
  AuditRow,
  ClientRow,
  CodeRow,
  ConsentRow,
  DeviceCodeRow,
  FamilyRow,
  RefreshRow,
  SessionRow,
  SigningKeyRow,
  TempTokenRow,
  UpstreamLoginRow,
  UserRow,
} from './store.ts';

// biome-ignore lint/suspicious/noExplicitAny: a row as a driver returns it, read column by column in the mappers below
export type Row = Record<string, any>;

export const json = (v: unknown) => JSON.stringify(v);
export { jsonText };
const arr = (v: string): string[] => JSON.parse(v) as string[];
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const jsonOrNull = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : null);
const jsonText = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

export const toClient = (r: Row): ClientRow => ({
  id: r.id,
  secretHash: r.secret_hash,
  name: r.name,
  redirectUris: arr(r.redirect_uris),
  grantTypes: arr(r.grant_types),
  scopes: arr(r.scopes),
  tokenEndpointAuthMethod: r.token_endpoint_auth_method,
  firstParty: !!Number(r.first_party),
  origin: r.origin,
  metadata: JSON.parse(r.metadata),
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
});

export const toUser = (r: Row): UserRow => ({
  id: r.id,
  username: r.username,
  email: r.email,
  emailVerified: !!Number(r.email_verified),
  passwordHash: r.password_hash,
  isAdmin: !!Number(r.is_admin),
  createdAt: num(r.created_at),
  profile: r.profile ? JSON.parse(r.profile) : {},
  updatedAt: numOrNull(r.updated_at),
  disabledAt: numOrNull(r.disabled_at),
});

export const toSession = (r: Row): SessionRow => ({
  id: r.id,
  hash: r.hash,
  userId: r.user_id,
  authTime: num(r.auth_time),
  lastSeenAt: num(r.last_seen_at),
  expiresAt: num(r.expires_at),
  amr: jsonOrNull<string[]>(r.amr),
  userAgent: r.user_agent ?? null,
  ip: r.ip ?? null,
});

export const toConsent = (r: Row): ConsentRow => ({
  userId: r.user_id,
  clientId: r.client_id,
  resource: r.resource,
  scope: r.scope,
  createdAt: num(r.created_at),
});

export const toKey = (r: Row): SigningKeyRow => ({
  kid: r.kid,
  alg: r.alg,
  privateJwk: r.private_jwk,
  publicJwk: r.public_jwk,
  createdAt: num(r.created_at),
  retiredAt: numOrNull(r.retired_at),
  expiresAt: numOrNull(r.expires_at),
});

export const toCode = (r: Row): CodeRow => ({
  id: r.id,
  hash: r.hash,
  clientId: r.client_id,
  userId: r.user_id,
  redirectUri: r.redirect_uri,
  codeChallenge: r.code_challenge,
  scope: r.scope,
  resource: arr(r.resource),
  authTime: num(r.auth_time),
  expiresAt: num(r.expires_at),
  consumedAt: numOrNull(r.consumed_at),
  issuedFamilyId: r.issued_family_id,
  issuedJti: r.issued_jti,
  issuedExp: numOrNull(r.issued_exp),
  oidc: jsonOrNull(r.oidc),
  dpopJkt: r.dpop_jkt ?? null,
});

export const toFamily = (r: Row): FamilyRow => ({
  id: r.id,
  clientId: r.client_id,
  userId: r.user_id,
  scope: r.scope,
  resource: arr(r.resource),
  authTime: num(r.auth_time),
  createdAt: num(r.created_at),
  revokedAt: numOrNull(r.revoked_at),
  expiresAt: num(r.expires_at),
  liveTokenId: r.live_token_id ?? null,
  liveParentId: r.live_parent_id ?? null,
  oidc: jsonOrNull(r.oidc),
  userAgent: r.user_agent ?? null,
  ip: r.ip ?? null,
  lastUsedAt: numOrNull(r.last_used_at),
  dpopJkt: r.dpop_jkt ?? null,
});

export const toRefresh = (r: Row): RefreshRow => ({
  id: r.id,
  hash: r.hash,
  familyId: r.family_id,
  scope: r.scope,
  resource: arr(r.resource),
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
  consumedAt: numOrNull(r.consumed_at),
  lastJti: r.last_jti,
  lastExp: numOrNull(r.last_exp),
});

/** A refreshWithFamilyAny row → the token and its family. */
export const toRefreshWithFamily = (r: Row): { row: RefreshRow; family: FamilyRow } => ({
  row: toRefresh(r),
  family: toFamily({
    id: r.family_id,
    client_id: r.f_client_id,
    user_id: r.f_user_id,
    scope: r.f_scope,
    resource: r.f_resource,
    auth_time: r.f_auth_time,
    created_at: r.f_created_at,
    revoked_at: r.f_revoked_at,
    expires_at: r.f_expires_at,
    live_token_id: r.f_live_token_id,
    live_parent_id: r.f_live_parent_id,
    oidc: r.f_oidc,
    dpop_jkt: r.f_dpop_jkt,
  }),
});

export const toAudit = (r: Row): AuditRow => ({
  id: r.id,
  time: num(r.time),
  event: r.event,
  userId: r.user_id,
  clientId: r.client_id,
  ip: r.ip,
  details: JSON.parse(r.details),
  count: num(r.count),
});
export const auditParams = (a: AuditRow) => [a.id, a.time, a.event, a.userId, a.clientId, a.ip, json(a.details), a.count];

export const toDevice = (r: Row): DeviceCodeRow => ({
  id: r.id,
  hash: r.hash,
  userCode: r.user_code,
  clientId: r.client_id,
  scope: r.scope,
  resource: arr(r.resource),
  pollInterval: num(r.poll_interval),
  lastPolledMs: numOrNull(r.last_polled_ms),
  status: r.status,
  userId: r.user_id,
  authTime: numOrNull(r.auth_time),
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
  oidc: jsonOrNull(r.oidc),
});

export const toTempToken = (r: Row): TempTokenRow => ({
  id: r.id,
  hash: r.hash,
  scope: r.scope,
  resourceId: r.resource_id,
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
  consumedAt: numOrNull(r.consumed_at),
});

export const toUpstreamLogin = (r: Row): UpstreamLoginRow => ({
  stateHash: r.state_hash,
  provider: r.provider,
  nonce: r.nonce,
  codeVerifier: r.code_verifier,
  nextPath: r.next_path,
  expiresAt: num(r.expires_at),
});

// Parameter lists in column order, so both stores bind the same way.
export const clientParams = (c: ClientRow) => [
  c.id,
  c.secretHash,
  c.name,
  json(c.redirectUris),
  json(c.grantTypes),
  json(c.scopes),
  c.tokenEndpointAuthMethod,
  c.firstParty ? 1 : 0,
  c.origin,
  json(c.metadata),
  c.createdAt,
  c.lastUsedAt,
];
export const userParams = (u: UserRow) => [
  u.id,
  u.username,
  u.email,
  u.emailVerified ? 1 : 0,
  u.passwordHash,
  u.isAdmin ? 1 : 0,
  u.createdAt,
  json(u.profile ?? {}),
  u.updatedAt ?? null,
  u.disabledAt ?? null,
];
export const sessionParams = (s: SessionRow) => [
  s.id,
  s.hash,
  s.userId,
  s.authTime,
  s.lastSeenAt,
  s.expiresAt,
  jsonText(s.amr),
  s.userAgent ?? null,
  s.ip ?? null,
];
export const keyParams = (k: SigningKeyRow) => [k.kid, k.alg, k.privateJwk, k.publicJwk, k.createdAt, k.retiredAt, k.expiresAt];
export const codeParams = (c: CodeRow) => [
  c.id,
  c.hash,
  c.clientId,
  c.userId,
  c.redirectUri,
  c.codeChallenge,
  c.scope,
  json(c.resource),
  c.authTime,
  c.expiresAt,
  jsonText(c.oidc),
  c.dpopJkt ?? null,
];
export const familyParams = (f: FamilyRow) => [
  f.id,
  f.clientId,
  f.userId,
  f.scope,
  json(f.resource),
  f.authTime,
  f.createdAt,
  f.expiresAt,
  f.liveTokenId ?? null,
  f.liveParentId ?? null,
  jsonText(f.oidc),
  f.userAgent ?? null,
  f.ip ?? null,
  f.lastUsedAt ?? f.createdAt,
  f.dpopJkt ?? null,
];
export const refreshParams = (t: RefreshRow) => [t.id, t.hash, t.familyId, t.scope, json(t.resource), t.createdAt, t.expiresAt, t.lastJti, t.lastExp];
export const deviceParams = (d: DeviceCodeRow) => [
  d.id,
  d.hash,
  d.userCode,
  d.clientId,
  d.scope,
  json(d.resource),
  d.pollInterval,
  d.lastPolledMs,
  d.status,
  d.userId,
  d.authTime,
  d.createdAt,
  d.expiresAt,
  jsonText(d.oidc),
];
export const tempTokenParams = (t: TempTokenRow) => [t.id, t.hash, t.scope, t.resourceId, t.createdAt, t.expiresAt];
export const upstreamLoginParams = (r: UpstreamLoginRow) => [r.stateHash, r.provider, r.nonce, r.codeVerifier, r.nextPath, r.expiresAt];
