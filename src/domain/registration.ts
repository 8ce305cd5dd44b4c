// Dynamic client registration (RFC 7591 §2–3): validate the metadata, create a public client (or a
// confidential one when allowed), answer with the full metadata. Unknown fields are ignored (§2).
// RFC 7591 §2 lets the server replace requested values with its own ("The authorization server MAY override
// any value that the client requests"), and §3.2.1 has the response carry what was registered: what real
// MCP clients send inconsistently (mcp-remote's device mode: the device grant with response_types
// ["code"]) or beyond this server's policy (a secret when only public clients may register, scopes it does
// not know, a non-https client_uri) is corrected and the client learns it from the answer. Only what no
// correction can make work is refused: redirect URIs, unknown grant or response types, no grant that
// issues a token.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { nowS } from '../clock.ts';
import { sha256Hex } from '../security/hash.ts';
import { randomToken } from '../security/random.ts';
import { isHttpsOrLoopback, isLoopbackHost } from '../security/loopback.ts';
import { checkRedirectUri } from '../security/redirect-uri.ts';
import type { AuthMethod, ClientRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { OAuthError, TooManyRequests } from './errors.ts';
import { DEVICE_GRANT, GRANT_TYPES, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from './grant-types.ts';
import { JwksError, parseJwks } from './jwks.ts';

export class InvalidClientMetadata extends OAuthError {
  constructor(description: string) {
    super('invalid_client_metadata', description, 400); // RFC 7591 §3.2.2
  }
}
export class InvalidRedirectUri extends OAuthError {
  constructor(description: string) {
    super('invalid_redirect_uri', description, 400); // RFC 7591 §3.2.2
  }
}

const AUTH_METHODS: AuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'];
/** Registrable grants: the token-exchange grant is given by operators only, with the audiences it may reach. */
const GRANTS: readonly string[] = [...GRANT_TYPES, JWT_BEARER_GRANT];

const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
const texts = Type.Optional(Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 20 }));

/**
 * The client metadata this server reads (RFC 7591 §2; `software_*` from §2.3): what each member must be.
 * Other members are ignored (§2: "The authorization server MUST ignore any client metadata sent by the
 * client that it does not understand"); what the values mean is decided in registerClient.
 */
export const ClientMetadata = Type.Object({
  redirect_uris: texts,
  token_endpoint_auth_method: text(64),
  grant_types: texts,
  response_types: texts,
  client_name: text(200),
  client_uri: text(2000),
  logo_uri: text(2000),
  scope: text(2000),
  application_type: text(16),
  software_id: text(200),
  software_version: text(200),
  // OpenID Connect Dynamic Client Registration 1.0 §2 and RP-Initiated Logout 1.0 §3.1.
  id_token_signed_response_alg: text(16),
  userinfo_signed_response_alg: text(16),
  post_logout_redirect_uris: texts,
  subject_type: text(16),
  sector_identifier_uri: text(2000),
  default_max_age: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  require_auth_time: Type.Optional(Type.Boolean()),
  // RFC 7591 §2: the client's public keys (private_key_jwt), by value or by reference — never both.
  jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 20 }) })),
  jwks_uri: text(2000),
  // RFC 9449 §5.2: every token request of this client must carry a DPoP proof.
  dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
  // Not registrable: an operator decides which audiences a client may exchange tokens for.
  exchange_audiences: Type.Optional(Type.Unknown()),
});
export type ClientMetadata = Static<typeof ClientMetadata>;

/** The body as metadata, or invalid_client_metadata naming the first member that is not what it must be. */
function readMetadata(body: unknown): ClientMetadata {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidClientMetadata('the body must be a JSON object');
  // A member sent as null is taken as absent.
  const m = Object.fromEntries(Object.entries(body).filter(([k, v]) => v !== null && k in ClientMetadata.properties));
  const error = Value.Errors(ClientMetadata, m).First();
  if (error) {
    const field = error.path.split('/')[1]!;
    const schema = ClientMetadata.properties[field as keyof ClientMetadata];
    const type = (schema as { type: string }).type;
    throw new InvalidClientMetadata(
      type === 'array'
        ? `${field} must be an array of strings`
        : type === 'integer'
          ? `${field} must be a whole number of seconds`
          : type === 'boolean'
            ? `${field} must be true or false`
            : type === 'object'
              ? `${field} must be a JSON Web Key Set: {"keys": [ … ]}`
              : `${field} must be a string of at most ${(schema as { maxLength: number }).maxLength} characters`,
    );
  }
  return m as ClientMetadata;
}

const unique = (xs: string[] | undefined) => (xs ? [...new Set(xs)] : undefined);

/** An https (or loopback http) URL, or undefined: anything else is not registered (and never shown). */
function httpsUrl(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    const u = new URL(v);
    if (isHttpsOrLoopback(u)) return v;
  } catch {
    // not a URL: dropped
  }
  return undefined;
}

/** Grants that obtain a token by themselves (refresh_token only renews one). */
const ISSUING_GRANTS = ['authorization_code', 'client_credentials', DEVICE_GRANT, JWT_BEARER_GRANT];

/** private_key_jwt: exactly one of jwks and jwks_uri (RFC 7591 §2), public keys only, an https jwks_uri. */
function registeredKeys(deps: Pick<Deps, 'config'>, m: ClientMetadata, method: AuthMethod): Record<string, unknown> {
  if (method !== 'private_key_jwt') {
    if (m.jwks !== undefined || m.jwks_uri !== undefined)
      throw new InvalidClientMetadata('jwks and jwks_uri go with token_endpoint_auth_method private_key_jwt');
    return {};
  }
  if (!deps.config.privateKeyJwt) throw new InvalidClientMetadata('private_key_jwt is not enabled on this server');
  if ((m.jwks === undefined) === (m.jwks_uri === undefined)) throw new InvalidClientMetadata('private_key_jwt needs exactly one of jwks and jwks_uri');
  if (m.jwks !== undefined) {
    try {
      return { jwks: parseJwks(m.jwks, 'jwks') };
    } catch (e) {
      if (e instanceof JwksError) throw new InvalidClientMetadata(e.message);
      throw e;
    }
  }
  const u = URL.parse(m.jwks_uri!);
  if (!u || !(u.protocol === 'https:' || (deps.config.jwksAllowLoopback && u.protocol === 'http:' && isLoopbackHost(u.hostname))))
    throw new InvalidClientMetadata('jwks_uri must be an https URL');
  return { jwks_uri: m.jwks_uri };
}

export interface RegisteredClient {
  client: ClientRow;
  secret: string | null;
  response: Record<string, unknown>;
}

export async function registerClient(deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'keys' | 'log' | 'store'>, body: unknown): Promise<RegisteredClient> {
  const m = readMetadata(body);

  const allowConfidential = deps.config.registrationAllowConfidential;
  let method = (m.token_endpoint_auth_method ?? (allowConfidential ? 'client_secret_basic' : 'none')) as AuthMethod;
  if (!AUTH_METHODS.includes(method)) throw new InvalidClientMetadata(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
  if (m.exchange_audiences !== undefined)
    throw new InvalidClientMetadata('exchange_audiences cannot be registered; an operator sets them (auth clients add --exchange-audience)');
  const keys = registeredKeys(deps, m, method);
  // Only public clients may register here: a request for a secret is registered as public (no secret in
  // the answer, "none" in it), which PKCE protects and every MCP client handles. A client that proves
  // itself with its own keys holds no secret of ours, so PRIVATE_KEY_JWT alone allows it.
  if (method !== 'none' && method !== 'private_key_jwt' && !allowConfidential) method = 'none';

  const grants = unique(m.grant_types) ?? ['authorization_code'];
  for (const g of grants) {
    if (g === TOKEN_EXCHANGE_GRANT) throw new InvalidClientMetadata('the token-exchange grant cannot be registered; an operator gives it (auth clients add)');
    if (!GRANTS.includes(g)) throw new InvalidClientMetadata(`unsupported grant type ${g}`);
  }
  if (method === 'none' && grants.includes(JWT_BEARER_GRANT)) throw new InvalidClientMetadata(`a public client cannot use ${JWT_BEARER_GRANT}`);
  if (method === 'none' && grants.includes('client_credentials')) throw new InvalidClientMetadata('a public client cannot use client_credentials');
  if (!grants.some((g) => ISSUING_GRANTS.includes(g))) throw new InvalidClientMetadata(`grant_types must include one of ${ISSUING_GRANTS.join(', ')}`);
  const requestedTypes = m.response_types ?? [];
  for (const r of requestedTypes) if (r !== 'code') throw new InvalidClientMetadata(`unsupported response type ${r}`);
  // RFC 7591 §2.1: response type "code" goes with the authorization_code grant and only with it; the
  // grants decide and the response types follow them.
  const responseTypes = grants.includes('authorization_code') ? ['code'] : [];

  const redirectUris = unique(m.redirect_uris) ?? [];
  if (grants.includes('authorization_code') && redirectUris.length === 0)
    throw new InvalidRedirectUri('redirect_uris is required for the authorization_code grant');
  for (const u of redirectUris) {
    const problem = checkRedirectUri(u);
    if (problem) throw new InvalidRedirectUri(`${u.slice(0, 200)}: ${problem.replace(/_/g, ' ')}`);
  }

  // Scopes this server does not know are left out of the registration (the answer lists what was kept).
  const scope = m.scope;
  const scopes = scope ? [...new Set(scope.split(' ').filter((s) => s && deps.config.scopes.includes(s)))] : [];

  const name = m.client_name?.trim() || 'Unnamed client';
  const clientUri = httpsUrl(m.client_uri);
  const logoUri = httpsUrl(m.logo_uri);
  let applicationType = m.application_type ?? 'web';
  if (applicationType !== 'web' && applicationType !== 'native') throw new InvalidClientMetadata('application_type must be web or native');
  // Cursor and others send "web" with loopback or private-use redirects: those are native apps (MCP SEP-837).
  if (redirectUris.length && redirectUris.every((u) => !u.startsWith('https:'))) applicationType = 'native';

  const oidc = openIdMetadata(deps, m, redirectUris);

  const secret = method === 'none' || method === 'private_key_jwt' ? null : `cs_${randomToken(32)}`;
  const now = nowS(deps.clock);
  const metadata: Record<string, unknown> = { application_type: applicationType, response_types: responseTypes, ...oidc, ...keys };
  if (clientUri) metadata.client_uri = clientUri;
  if (logoUri) metadata.logo_uri = logoUri;
  if (m.software_id) metadata.software_id = m.software_id;
  if (m.software_version) metadata.software_version = m.software_version;
  if (m.dpop_bound_access_tokens) metadata.dpop_bound_access_tokens = true;
  const client: ClientRow = {
    id: `c_${randomToken(12)}`,
    secretHash: secret ? sha256Hex(secret) : null,
    name,
    redirectUris,
    grantTypes: grants,
    scopes,
    tokenEndpointAuthMethod: method,
    firstParty: false,
    origin: 'dynamic',
    metadata,
    createdAt: now,
    lastUsedAt: null,
  };
  await deps.store.clients.insert(client);
  deps.log.info('client registered', { client_id: client.id, auth_method: method });
  deps.audit.record('client.registered', { clientId: client.id, details: { name, auth_method: method, redirect_uris: redirectUris } });
  // RFC 7591 §3.2.1: the response carries every registered metadata value.
  const response: Record<string, unknown> = {
    client_id: client.id,
    client_id_issued_at: now,
    client_name: name,
    redirect_uris: redirectUris,
    grant_types: grants,
    response_types: responseTypes,
    token_endpoint_auth_method: method,
    application_type: applicationType,
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
    ...(clientUri ? { client_uri: clientUri } : {}),
    ...(logoUri ? { logo_uri: logoUri } : {}),
    ...oidc,
    ...keys,
    ...(m.dpop_bound_access_tokens ? { dpop_bound_access_tokens: true } : {}),
  };
  // Honour "none": never answer a public client with a secret.
  if (secret) Object.assign(response, { client_secret: secret, client_secret_expires_at: 0 });
  return { client, secret, response };
}

/**
 * The OpenID Connect members (Dynamic Client Registration 1.0 §2; RP-Initiated Logout §3.1), checked: ID
 * tokens signed with an algorithm we have; userinfo answers are JSON only; post-logout redirect URIs follow
 * the redirect URI rules; pairwise subjects need PAIRWISE_SALT and one redirect host (no
 * sector_identifier_uri: refused, §8.1 would need it fetched and checked).
 */
export function openIdMetadata(deps: Pick<Deps, 'config' | 'keys'>, m: ClientMetadata, redirectUris: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.id_token_signed_response_alg !== undefined) {
    const algs: string[] = deps.keys.idTokenAlgs;
    if (!algs.includes(m.id_token_signed_response_alg)) throw new InvalidClientMetadata(`id_token_signed_response_alg must be one of ${algs.join(', ')}`);
    out.id_token_signed_response_alg = m.id_token_signed_response_alg;
  }
  if (m.userinfo_signed_response_alg !== undefined) throw new InvalidClientMetadata('userinfo_signed_response_alg is not supported: userinfo answers are JSON');
  if (m.sector_identifier_uri !== undefined) throw new InvalidClientMetadata('sector_identifier_uri is not supported');
  if (m.subject_type !== undefined) {
    if (m.subject_type !== 'public' && m.subject_type !== 'pairwise') throw new InvalidClientMetadata('subject_type must be public or pairwise');
    if (m.subject_type === 'pairwise') {
      if (!deps.config.pairwiseSalt) throw new InvalidClientMetadata('pairwise subjects are not enabled on this server (PAIRWISE_SALT)');
      if (new Set(redirectUris.map((u) => (URL.canParse(u) ? new URL(u).host : u))).size > 1)
        throw new InvalidClientMetadata('pairwise subjects need every redirect URI on one host');
    }
    out.subject_type = m.subject_type;
  }
  const logout = unique(m.post_logout_redirect_uris);
  if (logout?.length) {
    for (const u of logout) {
      const problem = checkRedirectUri(u);
      if (problem) throw new InvalidClientMetadata(`post_logout_redirect_uris: ${u.slice(0, 200)}: ${problem.replace(/_/g, ' ')}`);
    }
    out.post_logout_redirect_uris = logout;
  }
  if (m.default_max_age !== undefined) out.default_max_age = m.default_max_age;
  if (m.require_auth_time !== undefined) out.require_auth_time = m.require_auth_time;
  return out;
}

/** The per-IP limit on registrations, kept in the store so that it holds across instances; 429 when over. */
export async function enforceRegistrationLimit(deps: Pick<Deps, 'store' | 'clock' | 'config' | 'metrics' | 'log'>, ip: string): Promise<void> {
  const now = nowS(deps.clock);
  const window = deps.config.registrationRateWindow;
  const { count, windowStart } = await deps.store.rateLimits.hit(`register:${ip}`, window, now);
  if (count > deps.config.registrationRateLimit) {
    deps.metrics.rateLimited('registration');
    deps.log.warn('registration rate limited', { ip });
    throw new TooManyRequests(windowStart + window - now, 'registration rate limit exceeded; retry later');
  }
}
