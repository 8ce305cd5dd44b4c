// The authorization endpoint (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2, RFC 9207). Checks run in a
// fixed order: client → redirect_uri first, so that every error before both are verified is shown as a
// page and never redirected (RFC 6749 §4.1.2.1); then response_type → grant → scope → PKCE → resource →
// prompt, whose errors are redirected with state and iss.
import { nowS } from '../clock.ts';
import { isValidChallenge } from '../security/pkce.ts';
import { isLoopbackRedirect } from '../security/loopback.ts';
import { matchRedirectUri } from '../security/redirect-uri.ts';
import { mintSecret } from '../security/token-format.ts';
import type { ClientRow, OidcGrant, SessionRow, UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { loadClient, touchClient } from './clients.ts';
import { ClientDocumentError } from './client-documents.ts';
import { AuthorizeError, InvalidRequest, OAuthError } from './errors.ts';
import { OPENID, parseClaimsParameter, sessionSid } from './oidc.ts';
import { resolveScopes, validateResources } from './scopes.ts';

export interface AuthorizationRequest {
  client: ClientRow;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  resources: string[];
  codeChallenge: string | null;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to. */
  dpopJkt: string | null;
  prompt: Set<string>;
  /** OpenID Connect (OIDC Core §3.1.2.1), when `openid` is among the granted scopes. */
  oidc: OidcRequest | null;
}

export interface OidcRequest {
  nonce?: string;
  /** Seconds since the last active sign-in after which the user signs in again (request or default_max_age). */
  maxAge?: number;
  /** The verified `id_token_hint`'s subject (the user id, or its pairwise form for this client). */
  hintSubject?: string;
  loginHint?: string;
  claims?: OidcGrant['claims'];
}

/** The parameters as read by the HTTP layer (repetition already rejected). */
export interface AuthorizationParams {
  get(name: string): string | undefined;
  all(name: string): string[];
}

export const CODE_PREFIX = 'ac_';

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/** Read a parameter before the client and redirect URI are verified: any error is a page. */
function early(p: AuthorizationParams, name: string): string | undefined {
  try {
    return p.get(name);
  } catch (e) {
    if (e instanceof OAuthError) throw new AuthorizeError(e.error, e.description, false);
    throw e;
  }
}

export async function validateAuthorizationRequest(
  deps: Pick<Deps, 'clientCache' | 'clientDocuments' | 'config' | 'keys' | 'store'>,
  p: AuthorizationParams,
  ip?: string,
): Promise<AuthorizationRequest> {
  // 1. Client — unverified: errors are pages.
  const clientId = early(p, 'client_id');
  if (!clientId) throw new AuthorizeError('invalid_request', 'client_id is missing', false);
  let client: ClientRow | null;
  try {
    client = await loadClient(deps, clientId, ip);
  } catch (e) {
    if (e instanceof ClientDocumentError) throw new AuthorizeError('invalid_client', `the client's metadata document could not be used: ${e.message}`, false);
    throw e;
  }
  if (!client) throw new AuthorizeError('invalid_client', 'unknown client_id', false);

  // 2. redirect_uri — exact match, loopback any port (RFC 8252 §7.3). OAuth 2.1 §4.1.1 lets it be
  //    omitted only when the client has exactly one, non-loopback URI.
  const requested = early(p, 'redirect_uri');
  let redirectUri: string;
  if (requested === undefined) {
    const only = client.redirectUris.length === 1 ? client.redirectUris[0]! : null;
    if (!only || isLoopbackRedirect(only)) {
      throw new AuthorizeError('invalid_request', 'redirect_uri is missing', false);
    }
    redirectUri = only;
  } else {
    if (!matchRedirectUri(client.redirectUris, requested)) throw new AuthorizeError('invalid_request', 'redirect_uri is not registered for this client', false);
    redirectUri = requested;
  }

  // From here on, errors go back to the client.
  let state: string | undefined;
  try {
    state = p.get('state');
  } catch {
    throw new AuthorizeError('invalid_request', 'parameter state is repeated', true, redirectUri);
  }
  const fail = (error: string, description: string) => new AuthorizeError(error, description, true, redirectUri, state);
  try {
    // OIDC Core §6: request objects are not supported; the errors §6.1/§6.2 define say so.
    if (p.get('request') !== undefined) throw fail('request_not_supported', 'request objects are not supported');
    if (p.get('request_uri') !== undefined) throw fail('request_uri_not_supported', 'request_uri is not supported');
    const responseType = p.get('response_type');
    if (!responseType) throw fail('invalid_request', 'response_type is missing');
    if (responseType !== 'code') throw fail('unsupported_response_type', 'only response_type=code is supported');
    if (!client.grantTypes.includes('authorization_code')) throw fail('unauthorized_client', 'this client may not use the authorization code grant');

    const scopes = resolveScopes(deps.config, client, p.get('scope'));

    // RFC 7636 §4.3 / OAuth 2.1 §4.1.1: S256 only; required for public clients.
    const method = p.get('code_challenge_method');
    const challenge = p.get('code_challenge');
    if (method !== undefined && method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
    if (challenge === undefined) {
      if (method !== undefined) throw fail('invalid_request', 'code_challenge is missing');
      if (client.tokenEndpointAuthMethod === 'none') throw fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
    } else if (!isValidChallenge(challenge)) {
      throw fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
    }

    const resources = validateResources(deps.config, p.all('resource'));

    // RFC 9449 §10: dpop_jkt binds the code to a DPoP key; its value is a JWK SHA-256 thumbprint (RFC 7638).
    const dpopJkt = p.get('dpop_jkt');
    if (dpopJkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(dpopJkt))
      throw fail('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)');

    const prompt = new Set((p.get('prompt') ?? '').split(' ').filter(Boolean));
    for (const v of prompt) if (!PROMPTS.has(v)) throw fail('invalid_request', `unsupported prompt value ${v}`);
    if (prompt.has('none') && prompt.size > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values');

    const oidc = scopes.includes(OPENID) ? await oidcParameters(deps, client, p) : null;
    return { client, redirectUri, state, scopes, resources, codeChallenge: challenge ?? null, dpopJkt: dpopJkt ?? null, prompt, oidc };
  } catch (e) {
    if (e instanceof AuthorizeError) throw e;
    if (e instanceof OAuthError) throw fail(e.error, e.description);
    throw e;
  }
}

/** OIDC Core §3.1.2.1 parameters of a request whose scopes include openid (errors go back to the client). */
async function oidcParameters(deps: Pick<Deps, 'keys'>, client: ClientRow, p: AuthorizationParams): Promise<OidcRequest> {
  const out: OidcRequest = {};
  const nonce = p.get('nonce');
  if (nonce !== undefined) out.nonce = nonce;
  const maxAge = p.get('max_age') ?? (typeof client.metadata.default_max_age === 'number' ? String(client.metadata.default_max_age) : undefined);
  if (maxAge !== undefined) {
    if (!/^\d{1,9}$/.test(maxAge)) throw new InvalidRequest('max_age must be a number of seconds');
    out.maxAge = Number(maxAge);
  }
  const hint = p.get('id_token_hint');
  if (hint !== undefined) {
    // Signed by us; an expired one still names the user (§3.1.2.1).
    const claims = await deps.keys.verifyIdTokenHint(hint);
    if (!claims?.sub) throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
    out.hintSubject = claims.sub;
  }
  const loginHint = p.get('login_hint');
  if (loginHint !== undefined) out.loginHint = loginHint;
  const claims = parseClaimsParameter(p.get('claims'));
  if (claims) out.claims = claims;
  return out;
}

/** The consent key of a request: resources joined, so consent is remembered per resource set. */
export function consentResourceKey(resources: string[]): string {
  return resources.join(' ');
}

/** Whether the user must be asked: not first-party, and no remembered consent covering these scopes. */
export async function needsConsent(deps: Pick<Deps, 'store'>, req: AuthorizationRequest, user: UserRow): Promise<boolean> {
  if (req.client.firstParty) return false;
  if (req.prompt.has('consent')) return true;
  const c = await deps.store.consents.get(user.id, req.client.id, consentResourceKey(req.resources));
  if (!c) return true;
  const granted = new Set(c.scope.split(' ').filter(Boolean));
  return !req.scopes.every((s) => granted.has(s));
}

/** Remember consent: the union of what was granted before and now. */
export async function rememberConsent(
  deps: Pick<Deps, 'audit' | 'clock' | 'store'>,
  req: Pick<AuthorizationRequest, 'client' | 'scopes' | 'resources'>,
  user: UserRow,
): Promise<void> {
  const key = consentResourceKey(req.resources);
  const prior = await deps.store.consents.get(user.id, req.client.id, key);
  const scopes = new Set([...(prior?.scope.split(' ').filter(Boolean) ?? []), ...req.scopes]);
  await deps.store.consents.upsert({ userId: user.id, clientId: req.client.id, resource: key, scope: [...scopes].join(' '), createdAt: nowS(deps.clock) });
  deps.audit.record('consent.granted', { userId: user.id, clientId: req.client.id, details: { scope: [...scopes].join(' '), resource: req.resources } });
}

/**
 * Issue the code (hashed, AUTH_CODE_TTL, single use, bound to client, redirect URI, PKCE challenge, user,
 * scopes, resource) and build the redirect with code, state and iss (RFC 9207 §2).
 */
export async function issueAuthorizationCode(
  deps: Pick<Deps, 'clock' | 'config' | 'store'>,
  req: AuthorizationRequest,
  user: UserRow,
  session: SessionRow,
): Promise<string> {
  const authTime = session.authTime;
  const now = nowS(deps.clock);
  const code = mintSecret(CODE_PREFIX);
  await deps.store.codes.insert({
    id: code.id,
    hash: code.hash,
    clientId: req.client.id,
    userId: user.id,
    redirectUri: req.redirectUri,
    codeChallenge: req.codeChallenge,
    dpopJkt: req.dpopJkt,
    scope: req.scopes.join(' '),
    resource: req.resources,
    authTime,
    expiresAt: now + deps.config.authCodeTtl,
    consumedAt: null,
    issuedFamilyId: null,
    issuedJti: null,
    issuedExp: null,
    // What the ID token will say about this sign-in (OIDC Core §2): nonce, session, method, claims asked for.
    oidc: req.oidc
      ? {
          ...(req.oidc.nonce !== undefined ? { nonce: req.oidc.nonce } : {}),
          sid: sessionSid(session.id),
          ...(session.amr ? { amr: session.amr } : {}),
          ...(req.oidc.claims ? { claims: req.oidc.claims } : {}),
        }
      : null,
  });
  await touchClient(deps, req.client, now);
  return redirectWith(req.redirectUri, { code: code.token, state: req.state, iss: deps.config.baseUrl });
}

export function redirectWith(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}
