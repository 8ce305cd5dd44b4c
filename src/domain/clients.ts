// Clients: creation by operators, secret rotation, and client authentication at the token endpoint
// (RFC 6749 §2.3.1: client_secret_basic and client_secret_post; public clients use `none`; RFC 7523 §2.2
// client assertions in client-assertions.ts).
import { nowS } from '../clock.ts';
import { matchesHash } from '../security/compare.ts';
import { fromBase64, utf8Text } from '../security/encoding.ts';
import { sha256Hex } from '../security/hash.ts';
import { randomToken } from '../security/random.ts';
import { checkRedirectUri } from '../security/redirect-uri.ts';
import type { AuthMethod, ClientRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { InvalidClient, InvalidRequest } from './errors.ts';
import { type AssertionDeps, authenticateByAssertion } from './client-assertions.ts';
import { EXTENSION_GRANTS, GRANT_TYPES, JWT_BEARER_ASSERTION, TOKEN_EXCHANGE_GRANT } from './grant-types.ts';
import { JwksError, parseJwks } from './jwks.ts';
import { isHttpsOrLoopback, isLoopbackHost } from '../security/loopback.ts';
import { ClientDocumentError } from './client-documents.ts';
import { loadClient } from './client-lookup.ts';

export { loadClient };

export interface NewClientInput {
  name: string;
  redirectUris: string[];
  isPublic: boolean;
  grantTypes?: string[];
  scopes?: string[];
  firstParty?: boolean;
  authMethod?: AuthMethod;
  /** RP-Initiated Logout 1.0 §3.1: where /end-session may send the browser back. */
  postLogoutRedirectUris?: string[];
  /** private_key_jwt (RFC 7523 §2.2): the client's public keys, inline or by URL. */
  jwks?: unknown;
  jwksUri?: string;
  /** RFC 8693: the audiences (resource URIs) this client may exchange tokens for. */
  exchangeAudiences?: string[];
  /** RFC 9449 §5.2 dpop_bound_access_tokens: every token request must carry a DPoP proof. */
  requireDpop?: boolean;
}

export class ClientInputError extends Error {
  override name = 'ClientInputError';
}

/** A confidential client's secret: 256 bits, shown once, stored as SHA-256 (it is random, so no KDF needed). */
function newSecret(): { secret: string; hash: string } {
  const secret = `cs_${randomToken(32)}`;
  return { secret, hash: sha256Hex(secret) };
}

/** The settings of an operator's client, checked (shared by create and the admin console's edit). */
function checkedSettings(config: Deps['config'], input: Omit<NewClientInput, 'authMethod' | 'postLogoutRedirectUris'>) {
  const name = input.name.trim();
  if (!name || name.length > 200) throw new ClientInputError('a name is required (at most 200 characters)');
  const grants = input.grantTypes?.length ? [...new Set(input.grantTypes)] : ['authorization_code', 'refresh_token'];
  const known: readonly string[] = [...GRANT_TYPES, ...EXTENSION_GRANTS];
  for (const g of grants) if (!known.includes(g)) throw new ClientInputError(`unknown grant type ${g}; known: ${known.join(', ')}`);
  if (input.isPublic && grants.includes('client_credentials')) throw new ClientInputError('a public client cannot use client_credentials');
  for (const g of EXTENSION_GRANTS) if (input.isPublic && grants.includes(g)) throw new ClientInputError(`a public client cannot use ${g}`);
  if (grants.includes('authorization_code') && input.redirectUris.length === 0)
    throw new ClientInputError('--redirect-uri is required for the authorization_code grant');
  for (const u of input.redirectUris) {
    const problem = checkRedirectUri(u);
    if (problem) throw new ClientInputError(`invalid redirect URI ${u}: ${problem.replace(/_/g, ' ')}`);
  }
  const scopes = [...new Set(input.scopes ?? [])];
  for (const s of scopes) if (!config.scopes.includes(s)) throw new ClientInputError(`unknown scope ${s}; SCOPES is ${config.scopes.join(' ')}`);
  return { name, grants, scopes, redirectUris: [...new Set(input.redirectUris)] };
}

export async function createClient(
  deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'store'>,
  input: NewClientInput,
  actor?: string,
): Promise<{ client: ClientRow; secret: string | null }> {
  const { name, grants, scopes, redirectUris } = checkedSettings(deps.config, input);
  const postLogout = [...new Set(input.postLogoutRedirectUris ?? [])];
  for (const u of postLogout) {
    const problem = checkRedirectUri(u);
    if (problem) throw new ClientInputError(`invalid post-logout redirect URI ${u}: ${problem.replace(/_/g, ' ')}`);
  }
  const keys = keyMaterial(deps.config, input);
  const exchange = exchangeAudiences(input, grants);
  const authMethod: AuthMethod = input.isPublic ? 'none' : keys ? 'private_key_jwt' : (input.authMethod ?? 'client_secret_basic');
  if (authMethod === 'private_key_jwt' && !keys) throw new ClientInputError('private_key_jwt needs --jwks-uri or --jwks');
  const secret = input.isPublic || authMethod === 'private_key_jwt' ? null : newSecret();
  const client: ClientRow = {
    id: `c_${randomToken(12)}`,
    secretHash: secret?.hash ?? null,
    name,
    redirectUris,
    grantTypes: grants,
    scopes,
    tokenEndpointAuthMethod: authMethod,
    firstParty: !!input.firstParty,
    origin: 'operator',
    metadata: {
      ...(postLogout.length ? { post_logout_redirect_uris: postLogout } : {}),
      ...(keys ?? {}),
      ...(exchange.length ? { exchange_audiences: exchange } : {}),
      ...(input.requireDpop ? { dpop_bound_access_tokens: true } : {}),
    },
    createdAt: nowS(deps.clock),
    lastUsedAt: null,
  };
  await deps.store.clients.insert(client);
  deps.audit.record('client.created', { clientId: client.id, details: { name, public: input.isPublic, grant_types: grants, ...(actor ? { actor } : {}) } });
  return { client, secret: secret?.secret ?? null };
}

/** The keys of a private_key_jwt client, checked: a JWKS of public keys, or an https jwks_uri. */
function keyMaterial(config: Deps['config'], input: NewClientInput): { jwks: unknown } | { jwks_uri: string } | null {
  if (input.jwks === undefined && input.jwksUri === undefined) return null;
  if (!config.privateKeyJwt) throw new ClientInputError('private_key_jwt is not enabled on this server (PRIVATE_KEY_JWT=true)');
  if (input.isPublic) throw new ClientInputError('a public client has no keys to authenticate with');
  if (input.jwks !== undefined && input.jwksUri !== undefined) throw new ClientInputError('give --jwks or --jwks-uri, not both'); // RFC 7591 §2
  if (input.jwks !== undefined) {
    try {
      return { jwks: parseJwks(input.jwks, 'the JWKS') };
    } catch (e) {
      if (e instanceof JwksError) throw new ClientInputError(e.message);
      throw e;
    }
  }
  const u = URL.parse(input.jwksUri!);
  if (!u || !(u.protocol === 'https:' || (config.jwksAllowLoopback && u.protocol === 'http:' && isLoopbackHost(u.hostname))))
    throw new ClientInputError('--jwks-uri must be an https URL');
  return { jwks_uri: input.jwksUri! };
}

/** RFC 8693: the audiences a client may exchange tokens for — absolute https (or loopback) URIs, and only with the grant. */
function exchangeAudiences(input: NewClientInput, grants: string[]): string[] {
  const list = [...new Set(input.exchangeAudiences ?? [])];
  if (list.length && !grants.includes(TOKEN_EXCHANGE_GRANT)) throw new ClientInputError(`--exchange-audience needs --grant-type ${TOKEN_EXCHANGE_GRANT}`);
  if (grants.includes(TOKEN_EXCHANGE_GRANT) && !list.length) throw new ClientInputError('the token-exchange grant needs at least one --exchange-audience');
  for (const a of list) {
    const u = URL.parse(a);
    if (!u || !isHttpsOrLoopback(u) || a.includes('#')) throw new ClientInputError(`--exchange-audience ${a} must be an https URL without a fragment`);
  }
  return list;
}

/** Change a client's name, redirect URIs, grants, scopes and first-party flag (the admin console). */
export async function updateClient(
  deps: Pick<Deps, 'audit' | 'clientCache' | 'config' | 'store'>,
  client: ClientRow,
  input: { name: string; redirectUris: string[]; grantTypes: string[]; scopes: string[]; firstParty: boolean },
  actor?: string,
): Promise<ClientRow> {
  const s = checkedSettings(deps.config, { ...input, isPublic: client.tokenEndpointAuthMethod === 'none' });
  const row: ClientRow = { ...client, name: s.name, redirectUris: s.redirectUris, grantTypes: s.grants, scopes: s.scopes, firstParty: input.firstParty };
  await deps.store.clients.update(row);
  deps.clientCache.invalidate(client.id);
  deps.audit.record('client.updated', { clientId: client.id, details: { name: s.name, grant_types: s.grants, ...(actor ? { actor } : {}) } });
  return row;
}

/** Remove a client with its grants and consent. */
export async function removeClient(deps: Pick<Deps, 'audit' | 'clientCache' | 'store'>, id: string, actor?: string): Promise<boolean> {
  const removed = await deps.store.clients.remove(id);
  deps.clientCache.invalidate(id);
  if (removed) deps.audit.record('client.removed', { clientId: id, details: actor ? { actor } : { by: 'auth clients remove' } });
  return removed;
}

export async function rotateClientSecret(deps: Pick<Deps, 'audit' | 'clientCache' | 'store'>, id: string, actor?: string): Promise<string | null> {
  const c = await deps.store.clients.get(id);
  if (!c) return null;
  if (c.tokenEndpointAuthMethod === 'none') throw new ClientInputError(`${id} is a public client; it has no secret`);
  const s = newSecret();
  await deps.store.clients.setSecretHash(id, s.hash);
  deps.clientCache.invalidate(id);
  deps.audit.record('client.secret_rotated', { clientId: id, details: actor ? { actor } : {} });
  return s.secret;
}

/** Stamp last_used_at (for idle reaping), at most once a minute per client: no write per request. */
export async function touchClient(deps: Pick<Deps, 'store'>, client: ClientRow, now: number): Promise<void> {
  if (client.lastUsedAt !== null && now - client.lastUsedAt < 60) return;
  client.lastUsedAt = now;
  await deps.store.clients.touch(client.id, now);
}

export interface ClientCredentials {
  /** From the Authorization: Basic header. */
  basic: { id: string; secret: string } | null;
  /** From the body. */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** The caller's address: metadata-document look-ups that miss the cache are limited per IP. */
  ip?: string;
  /** RFC 7523 §2.2: client_assertion_type and client_assertion. */
  assertionType?: string;
  assertion?: string;
  /** The path called (/token, /introspect, …): a client assertion may name its URL as its audience. */
  endpoint?: string;
}

/** Base64 to UTF-8 text without a Buffer (security/encoding.ts); what the strict decoder refuses gets Node's lenient one, as before. */
function decodeBase64Text(b64: string): string {
  try {
    return utf8Text(fromBase64(b64));
  } catch {
    return Buffer.from(b64, 'base64').toString('utf8');
  }
}

/** Parse `Authorization: Basic` (RFC 6749 §2.3.1: id and secret are form-urlencoded before base64). */
export function parseBasicAuth(header: string | null): { id: string; secret: string } | null | 'malformed' {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return header.toLowerCase().startsWith('basic') ? 'malformed' : null;
  const decoded = decodeBase64Text(m[1]!);
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  const formDecode = (v: string) => (v.indexOf('%') < 0 && v.indexOf('+') < 0 ? v : decodeURIComponent(v.replace(/\+/g, ' ')));
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return 'malformed';
  }
}

/**
 * Authenticate the client of a token, revocation or introspection request. Exactly one method may be
 * used (RFC 6749 §2.3); the method must be the client's registered one; public clients send only client_id.
 */
export async function authenticateClient(deps: AssertionDeps, creds: ClientCredentials): Promise<ClientRow> {
  const { basic } = creds;
  if (creds.assertionType !== undefined || creds.assertion !== undefined) {
    if (basic || creds.clientSecret !== undefined) throw new InvalidRequest('use one client authentication method only'); // RFC 6749 §2.3
    // RFC 7523 §2.2: the one assertion type defined for JWTs.
    if (creds.assertionType !== JWT_BEARER_ASSERTION) throw new InvalidClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`, false);
    if (!creds.assertion) throw new InvalidClient('client_assertion is missing', false);
    return authenticateByAssertion(deps, creds.assertion, creds.clientId, `${deps.config.baseUrl}${creds.endpoint ?? '/token'}`, creds.ip);
  }
  if (basic && (creds.clientSecret !== undefined || (creds.clientId !== undefined && creds.clientId !== basic.id))) {
    throw new InvalidRequest('use one client authentication method only'); // RFC 6749 §2.3
  }
  const id = basic?.id ?? creds.clientId;
  if (!id) throw new InvalidClient('client_id is required', false);
  let client: ClientRow | null;
  try {
    client = await loadClient(deps, id, creds.ip);
  } catch (e) {
    if (e instanceof ClientDocumentError) throw new InvalidClient(`client metadata document: ${e.message}`, !!basic);
    throw e;
  }
  if (!client) throw new InvalidClient('unknown client', !!basic);
  const method = basic ? 'client_secret_basic' : creds.clientSecret !== undefined ? 'client_secret_post' : 'none';
  if (client.tokenEndpointAuthMethod === 'private_key_jwt')
    throw new InvalidClient('this client authenticates with a client_assertion (private_key_jwt)', !!basic);
  if (client.tokenEndpointAuthMethod === 'none') {
    if (method !== 'none') throw new InvalidClient('this public client has no secret', !!basic);
    return client;
  }
  if (method === 'none') throw new InvalidClient('client authentication required', false);
  const secret = basic?.secret ?? creds.clientSecret!;
  // Constant-time comparison of hashes; basic and post are both accepted for confidential clients.
  if (!client.secretHash || !matchesHash(secret, client.secretHash)) throw new InvalidClient('client authentication failed', !!basic);
  return client;
}
