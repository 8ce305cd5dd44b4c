// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523 §2.1, §3) with two kinds of assertion:
//
// - An identity assertion (ID-JAG, `typ: oauth-id-jag+jwt`; draft-ietf-oauth-identity-assertion-authz-grant,
//   MCP Enterprise-Managed Authorization) from an enterprise IdP named in ID_JAG_ISSUERS: the IdP has decided
//   that this user may use this client with this resource. The client authenticates; the assertion must be
//   for it (client_id), for us (aud = our issuer), for a resource we serve, and is used once (jti, until exp,
//   shared by every instance). The user is the one linked to (iss, sub), else the one with that verified
//   email (then linked). Scopes: the intersection of the requested and the asserted ones. No refresh token:
//   the IdP issues a new assertion when the access token expires, so it stays in control.
// - A workload token (workload.ts) from a WORKLOAD_ISSUERS issuer: the client is the one its rule names;
//   no client authentication is needed (the token is the credential). Issued like client_credentials.
//
// Every refusal says which check failed, is audited, and stores nothing.
import type { IdJagIssuerRule } from '../../config.ts';
import { nowS } from '../../clock.ts';
import type { ClientRow, UserRow } from '../../store/store.ts';
import { AssertionError, peek, verifyAssertion } from '../assertions.ts';
import type { Deps } from '../deps.ts';
import { InvalidClient, InvalidGrant, InvalidRequest, InvalidScope, OAuthError, UnauthorizedClient } from '../errors.ts';
import { ID_JAG_TYP, JWT_BEARER_GRANT } from '../grant-types.ts';
import { allowedScopes, parseScope, validateResources } from '../scopes.ts';
import { accessToken, tokenResponse, type TokenResponse } from '../tokens.ts';
import { matchWorkload, workloadRulesFor } from '../workload.ts';

type GrantDeps = Pick<Deps, 'audit' | 'clientCache' | 'clientDocuments' | 'clock' | 'config' | 'jwks' | 'keys' | 'store'>;

export interface JwtBearerInput {
  assertion: string | undefined;
  scope: string | undefined;
  resources: string[];
  ip?: string;
  /** RFC 9449: the DPoP key of the request, which the access token is bound to. */
  jkt?: string | null;
  /**
   * Called once the assertion is verified and the request otherwise accepted, before anything is issued:
   * where a request without client authentication spends its DPoP proof (RFC 9449 §4.3 item 11), so a
   * refused assertion leaves the proof unspent.
   */
  accepted?: () => Promise<void>;
}

/** The provider name identities from an ID-JAG issuer are linked under. */
export const idJagProvider = (issuer: string) => `id-jag:${issuer}`;

/** The grant is on when an ID-JAG or workload issuer is configured. */
export function jwtBearerEnabled(config: Deps['config']): boolean {
  return !!(config.idJagIssuers?.length || config.workloadIssuers?.length);
}

/**
 * `client` is the authenticated client, or null when the request carried no client authentication (allowed
 * for workload tokens only).
 */
export async function jwtBearer(deps: GrantDeps, client: ClientRow | null, input: JwtBearerInput): Promise<TokenResponse> {
  const seen = input.assertion ? peek(input.assertion) : null;
  const kind = seen?.typ?.toLowerCase().replace(/^application\//, '') === ID_JAG_TYP ? 'id-jag' : 'workload';
  try {
    if (!input.assertion) throw new InvalidRequest('assertion is missing');
    if (!seen) throw new InvalidGrant('the assertion is not a JWT');
    if (kind === 'id-jag') return await identityAssertion(deps, client, input.assertion, seen.iss, input);
    const rules = workloadRulesFor(deps, seen.iss);
    if (rules.length) return await workload(deps, client, input.assertion, input);
    throw new InvalidGrant(
      `the assertion's issuer ${seen.iss ?? '(none)'} is trusted for nothing here: an identity assertion needs typ ${ID_JAG_TYP} and an ID_JAG_ISSUERS entry; a workload token a WORKLOAD_ISSUERS rule`,
    );
  } catch (e) {
    if (e instanceof OAuthError)
      deps.audit.record('assertion.refused', {
        clientId: client?.id ?? null,
        ip: input.ip,
        details: { kind, grant: JWT_BEARER_GRANT, error: e.error, reason: e.description },
      });
    throw e;
  }
}

async function identityAssertion(deps: GrantDeps, client: ClientRow | null, jwt: string, iss: string | null, input: JwtBearerInput): Promise<TokenResponse> {
  if (!client) throw new InvalidClient('client authentication is required with an identity assertion', false);
  if (client.tokenEndpointAuthMethod === 'none') throw new UnauthorizedClient('a public client cannot use identity assertions');
  if (!client.grantTypes.includes(JWT_BEARER_GRANT)) throw new UnauthorizedClient(`this client may not use ${JWT_BEARER_GRANT}`);
  const rule = (deps.config.idJagIssuers ?? []).find((r) => r.issuer === iss);
  if (!rule) throw new InvalidGrant(`the identity assertion's issuer ${iss ?? '(none)'} is not in ID_JAG_ISSUERS`);
  if (rule.allowed_clients && !rule.allowed_clients.includes(client.id))
    throw new InvalidGrant(`ID_JAG_ISSUERS does not allow ${rule.issuer} to grant to this client`);

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await verifyAssertion(
      jwt,
      {
        what: 'the identity assertion',
        key: deps.jwks.resolver(rule.jwks_uri),
        issuer: rule.issuer,
        audience: deps.config.baseUrl, // the ID-JAG is for this authorization server
        typ: ID_JAG_TYP,
        requireJti: true,
      },
      deps.clock,
    ));
  } catch (e) {
    if (e instanceof AssertionError) throw new InvalidGrant(e.message);
    throw e;
  }
  if (typeof payload.sub !== 'string' || !payload.sub) throw new InvalidGrant('the identity assertion has no sub');
  if (payload.client_id !== client.id)
    throw new InvalidGrant(`the identity assertion was issued to client ${String(payload.client_id ?? '(none)')}, not to this client`);

  // The resource: the one asserted (a string or a list), which must be ours; a requested one must be among them.
  const asserted = typeof payload.resource === 'string' ? [payload.resource] : Array.isArray(payload.resource) ? payload.resource.map(String) : [];
  const resources = validateResources(deps.config, input.resources.length ? input.resources : asserted);
  for (const r of input.resources) if (!asserted.includes(r)) throw new InvalidGrant(`the identity assertion does not grant the resource ${r}`);

  // Scopes: requested ∩ asserted ∩ what the client may have.
  const assertedScopes = typeof payload.scope === 'string' ? parseScope(payload.scope) : [];
  const requested = input.scope !== undefined ? parseScope(input.scope) : assertedScopes;
  const allowed = allowedScopes(deps.config, client);
  const scopes = requested.filter((s) => assertedScopes.includes(s) && allowed.includes(s));
  if (requested.length && !scopes.length) throw new InvalidScope('none of the requested scopes is both asserted and allowed for this client');

  const { user, link } = await userFor(deps, rule, payload);
  const now = nowS(deps.clock);
  // Single use until it expires (shared by instances); last, so a refusal above leaves no trace.
  if (!(await deps.store.usedJtis.use(`id-jag:${rule.issuer}:${payload.jti}`, payload.exp as number, now)))
    throw new InvalidGrant('the identity assertion was used before (jti)');
  if (link) await deps.store.users.linkIdentity(idJagProvider(rule.issuer), payload.sub, user.id, user.email, now);

  const at = accessToken(deps, { client, userId: user.id, scopes, resources, jkt: input.jkt });
  deps.audit.tokenIssued('jwt-bearer:id-jag', client.id, user.id);
  return tokenResponse(deps, at, scopes);
}

/** The user an ID-JAG names: linked by (iss, sub), else by a verified email (to be linked). */
async function userFor(deps: GrantDeps, rule: IdJagIssuerRule, payload: Record<string, unknown>): Promise<{ user: UserRow; link: boolean }> {
  const linked = await deps.store.users.getByIdentity(idJagProvider(rule.issuer), payload.sub as string);
  let user = linked;
  if (!user && typeof payload.email === 'string' && payload.email_verified !== false)
    user = await deps.store.users.getByVerifiedEmail(payload.email.toLowerCase());
  if (!user) throw new InvalidGrant('no user here is linked to the asserted subject or has its verified email');
  if (user.disabledAt) throw new InvalidGrant('the user is disabled');
  return { user, link: !linked };
}

async function workload(deps: GrantDeps, client: ClientRow | null, jwt: string, input: JwtBearerInput): Promise<TokenResponse> {
  let match: Awaited<ReturnType<typeof matchWorkload>>;
  try {
    match = await matchWorkload(deps, jwt, workloadRulesFor(deps, peek(jwt)?.iss ?? null));
  } catch (e) {
    if (e instanceof AssertionError) throw new InvalidGrant(e.message);
    throw e;
  }
  const { rule } = match;
  if (client && client.id !== match.client.id) throw new InvalidGrant(`the workload token maps to client ${match.client.id}, not to the authenticated one`);
  const target = match.client;
  const allowed = (rule.scopes ?? allowedScopes(deps.config, target)).filter((s) => deps.config.scopes.includes(s));
  const requested = input.scope !== undefined ? parseScope(input.scope) : allowed;
  const extra = requested.filter((s) => !allowed.includes(s));
  if (extra.length) throw new InvalidScope(`scope not allowed for this workload: ${extra.join(' ')}`);
  const resources = validateResources(deps.config, input.resources);
  await input.accepted?.();
  const at = accessToken(deps, { client: target, userId: null, scopes: requested, resources, jkt: input.jkt });
  deps.audit.tokenIssued('jwt-bearer:workload', target.id, null);
  return tokenResponse(deps, at, requested);
}
