// grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693 §2): a service — an MCP server, a
// gateway — that holds a user's access token trades it for a new one for the downstream API it calls, so it
// never passes the user's token along. The client must be confidential, hold the grant, and name only
// audiences its registration allows (operator configuration: `auth clients add --exchange-audience URL`).
//
// The subject is an access token of ours (RFC 8693 §3 access_token type), an ID token of ours issued to this
// client (id_token type), or an ID token of an ID_JAG_ISSUERS identity provider naming us as its audience
// (jwt / id_token type). The new token: the subject's user and scopes (narrowed only, §2.1 `scope`), `aud` =
// the requested resources, `act` = the exchanging client with the subject's own `act` nested (§4.1, a
// delegation chain), an expiry no later than the subject's, and — for a subject under a refresh family — a
// jti in that family, so revoking the family (logout, reuse detection, /account) revokes it too. No refresh
// token is issued (§2.2.1 allows it; a delegated credential should not outlive the subject).
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { nowS } from '../../clock.ts';
import type { ClientRow } from '../../store/store.ts';
import { AssertionError, peek, verifyAssertion } from '../assertions.ts';
import type { Deps } from '../deps.ts';
import { InvalidGrant, InvalidRequest, InvalidTarget, OAuthError, UnauthorizedClient } from '../errors.ts';
import { TOKEN_EXCHANGE_GRANT, TOKEN_TYPE } from '../grant-types.ts';
import type { Actor } from '../keys.ts';
import { subjectFor } from '../oidc.ts';
import { narrowScopes, parseScope, validateResources } from '../scopes.ts';
import { revocationKeys } from '../tokens.ts';
import { randomId } from '../../security/random.ts';
import { idJagProvider } from './jwt-bearer.ts';

type GrantDeps = Pick<Deps, 'audit' | 'clientCache' | 'clientDocuments' | 'clock' | 'config' | 'jwks' | 'keys' | 'store'>;

export interface TokenExchangeInput {
  subjectToken: string | undefined;
  subjectTokenType: string | undefined;
  actorToken: string | undefined;
  actorTokenType: string | undefined;
  requestedTokenType: string | undefined;
  resources: string[];
  audiences: string[];
  scope: string | undefined;
  ip?: string;
  /** RFC 9449: the DPoP key of the request, which the new token is bound to. */
  jkt?: string | null;
}

export interface TokenExchangeResponse {
  access_token: string;
  issued_token_type: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
}

/** What the subject token says: who, with which scopes, until when, under which grant. */
interface Subject {
  userId: string | null;
  scopes: string[];
  exp: number;
  /** The refresh family of the subject, when it has one (jti "<family>.<random>"). */
  familyId: string | null;
  act?: Actor;
}

export async function tokenExchange(deps: GrantDeps, client: ClientRow, input: TokenExchangeInput): Promise<TokenExchangeResponse> {
  try {
    return await exchange(deps, client, input);
  } catch (e) {
    if (e instanceof OAuthError)
      deps.audit.record('assertion.refused', {
        clientId: client.id,
        ip: input.ip,
        details: { kind: 'token-exchange', grant: TOKEN_EXCHANGE_GRANT, error: e.error, reason: e.description },
      });
    throw e;
  }
}

async function exchange(deps: GrantDeps, client: ClientRow, input: TokenExchangeInput): Promise<TokenExchangeResponse> {
  if (client.tokenEndpointAuthMethod === 'none') throw new UnauthorizedClient('a public client cannot exchange tokens');
  if (!client.grantTypes.includes(TOKEN_EXCHANGE_GRANT)) throw new UnauthorizedClient(`this client may not use ${TOKEN_EXCHANGE_GRANT}`);
  // RFC 8693 §2.1: subject_token and subject_token_type are REQUIRED.
  if (!input.subjectToken) throw new InvalidRequest('subject_token is missing');
  if (!input.subjectTokenType) throw new InvalidRequest('subject_token_type is missing');
  if (input.actorToken !== undefined && !input.actorTokenType) throw new InvalidRequest('actor_token_type is required with actor_token'); // §2.1
  if (input.actorToken === undefined && input.actorTokenType !== undefined) throw new InvalidRequest('actor_token_type without actor_token');
  if (input.requestedTokenType !== undefined && input.requestedTokenType !== TOKEN_TYPE.accessToken) {
    throw new InvalidRequest(
      input.requestedTokenType === TOKEN_TYPE.refreshToken
        ? 'token exchange issues access tokens only, not refresh tokens'
        : `requested_token_type ${input.requestedTokenType} is not supported (${TOKEN_TYPE.accessToken} only)`,
    );
  }

  // §2.1 resource and audience: where the new token will be used; each must be allowed for this client.
  const targets = [...new Set([...input.resources, ...input.audiences])];
  if (!targets.length) throw new InvalidTarget('resource or audience is required: the API the new token is for');
  const allowedTargets = Array.isArray(client.metadata.exchange_audiences) ? (client.metadata.exchange_audiences as string[]) : [];
  for (const t of targets) if (!allowedTargets.includes(t)) throw new InvalidTarget(`this client may not exchange tokens for ${t}`);
  const resources = validateResources(deps.config, targets);

  const subject = await readSubject(deps, client, input.subjectToken, input.subjectTokenType);
  const actor = input.actorToken !== undefined ? await readActor(deps, client, input.actorToken, input.actorTokenType!) : client.id;
  const scopes = narrowScopes(subject.scopes, input.scope); // invalid_scope when widened
  const now = nowS(deps.clock);

  const act: Actor = { sub: actor, client_id: client.id, ...(subject.act ? { act: subject.act } : {}) };
  const jti = subject.familyId ? `${subject.familyId}.${randomId(16)}` : randomId(16);
  const aud = resources.length === 1 ? resources[0]! : resources;
  const { token, exp } = deps.keys.signAccessToken(
    { sub: subject.userId ?? client.id, client_id: client.id, scope: scopes.join(' '), aud, jti, act, ...(input.jkt ? { cnf: { jkt: input.jkt } } : {}) },
    subject.exp, // never outlives the subject token
  );
  deps.audit.record('token.exchanged', {
    userId: subject.userId,
    clientId: client.id,
    ip: input.ip,
    details: { audience: aud, scope: scopes.join(' '), subject_token_type: input.subjectTokenType, actor },
  });
  deps.audit.tokenIssued('token-exchange', client.id, subject.userId);
  return {
    access_token: token,
    issued_token_type: TOKEN_TYPE.accessToken,
    token_type: input.jkt ? 'DPoP' : 'Bearer',
    expires_in: Math.max(0, exp - now),
    scope: scopes.join(' '),
  };
}

async function readSubject(deps: GrantDeps, client: ClientRow, token: string, type: string): Promise<Subject> {
  if (type === TOKEN_TYPE.accessToken) {
    const claims = await deps.keys.verifyAccessToken(token);
    if (!claims) throw new InvalidGrant('the subject token is not a valid, unexpired access token of this server');
    if (await deps.store.revokedAccessTokens.has(revocationKeys(claims.jti))) throw new InvalidGrant('the subject token has been revoked');
    const userId = claims.sub === claims.client_id ? null : claims.sub;
    if (userId) await activeUser(deps, userId);
    const dot = claims.jti.indexOf('.');
    return {
      userId,
      scopes: parseScope(claims.scope),
      exp: claims.exp,
      familyId: dot > 0 ? claims.jti.slice(0, dot) : null,
      ...(claims.act ? { act: claims.act as Actor } : {}),
    };
  }
  if (type === TOKEN_TYPE.idToken || type === TOKEN_TYPE.jwt) {
    const iss = peek(token)?.iss ?? null;
    if (iss === deps.config.baseUrl) return ownIdToken(deps, client, token);
    const rule = (deps.config.idJagIssuers ?? []).find((r) => r.issuer === iss);
    if (!rule) throw new InvalidGrant(`the subject token's issuer ${iss ?? '(none)'} is neither this server nor in ID_JAG_ISSUERS`);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await verifyAssertion(
        token,
        { what: 'the subject token', key: deps.jwks.resolver(rule.jwks_uri), issuer: rule.issuer, audience: deps.config.baseUrl },
        deps.clock,
      ));
    } catch (e) {
      if (e instanceof AssertionError) throw new InvalidGrant(e.message);
      throw e;
    }
    const user = typeof payload.sub === 'string' ? await deps.store.users.getByIdentity(idJagProvider(rule.issuer), payload.sub) : null;
    if (!user) throw new InvalidGrant('no user here is linked to the subject token’s subject');
    await activeUser(deps, user.id);
    const scopes = typeof payload.scope === 'string' ? parseScope(payload.scope) : [];
    return { userId: user.id, scopes, exp: payload.exp as number, familyId: null };
  }
  throw new InvalidRequest(`subject_token_type ${type} is not supported (access_token, id_token or jwt)`);
}

/** An ID token we issued to this client: the user it names (public subjects only), the scopes of its consent. */
async function ownIdToken(deps: GrantDeps, client: ClientRow, token: string): Promise<Subject> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await verifyAssertion(
      token,
      {
        what: 'the subject ID token',
        key: createLocalJWKSet(JSON.parse(deps.keys.jwksJson()) as JSONWebKeySet),
        issuer: deps.config.baseUrl,
        audience: client.id, // only the client it was issued to may exchange it
      },
      deps.clock,
    ));
  } catch (e) {
    if (e instanceof AssertionError) throw new InvalidGrant(e.message);
    throw e;
  }
  const sub = String(payload.sub ?? '');
  const user = await deps.store.users.get(sub);
  if (!user || subjectFor(deps.config, client, user.id) !== sub)
    throw new InvalidGrant('the subject ID token names no user here (pairwise subjects cannot be exchanged)');
  await activeUser(deps, user.id);
  // An ID token carries no scopes: the exchange may grant what the user consented to for this client.
  const consents = (await deps.store.consents.listForUser(user.id)).filter((c) => c.clientId === client.id);
  const scopes = [...new Set(consents.flatMap((c) => parseScope(c.scope)))];
  return { userId: user.id, scopes, exp: payload.exp as number, familyId: null };
}

/** RFC 8693 §2.1 actor_token: the exchanging party itself — its own access token, or an assertion it signed. */
async function readActor(deps: GrantDeps, client: ClientRow, token: string, type: string): Promise<string> {
  if (type !== TOKEN_TYPE.accessToken) throw new InvalidRequest(`actor_token_type ${type} is not supported (${TOKEN_TYPE.accessToken})`);
  const claims = await deps.keys.verifyAccessToken(token);
  if (!claims || (await deps.store.revokedAccessTokens.has(revocationKeys(claims.jti))))
    throw new InvalidGrant('the actor token is not an active access token of this server');
  if (claims.client_id !== client.id) throw new InvalidGrant('the actor token was issued to another client');
  return claims.sub;
}

async function activeUser(deps: GrantDeps, userId: string): Promise<void> {
  const user = await deps.store.users.get(userId);
  if (!user) throw new InvalidGrant('the subject token’s user no longer exists');
  if (user.disabledAt) throw new InvalidGrant('the subject token’s user is disabled');
}
