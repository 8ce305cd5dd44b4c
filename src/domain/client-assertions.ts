// Client authentication with a signed JWT instead of a secret (RFC 7523 §2.2, §3; OIDC Core §9
// `private_key_jwt`): `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and
// `client_assertion=<JWT>`. The JWT is either the client's own — signed with a key from its registered
// `jwks` or `jwks_uri`, iss = sub = client_id, aud = our issuer or the endpoint, a short exp and a jti used
// once — or a workload token that a WORKLOAD_ISSUERS rule maps to a client (workload.ts).
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { nowS } from '../clock.ts';
import type { ClientRow } from '../store/store.ts';
import { AssertionError, peek, verifyAssertion } from './assertions.ts';
import { loadClient } from './client-lookup.ts';
import type { Deps } from './deps.ts';
import { InvalidClient } from './errors.ts';
import { JwksError, parseJwks } from './jwks.ts';
import { matchWorkload, workloadRulesFor } from './workload.ts';

/** RFC 7523 §3 item 4 leaves the bound to us: client assertions are made per request, so 5 minutes is plenty. */
export const CLIENT_ASSERTION_MAX_LIFETIME_S = 300;

export type AssertionDeps = Pick<Deps, 'audit' | 'clientCache' | 'clientDocuments' | 'clock' | 'config' | 'jwks' | 'store'>;

/** The keys a client registered: an inline `jwks`, or its `jwks_uri`. */
export function clientKeys(deps: Pick<Deps, 'jwks'>, client: ClientRow): JWTVerifyGetKey | null {
  const m = client.metadata;
  if (m.jwks) {
    try {
      return createLocalJWKSet(parseJwks(m.jwks, "the client's jwks"));
    } catch (e) {
      if (e instanceof JwksError) return null;
      throw e;
    }
  }
  return typeof m.jwks_uri === 'string' ? deps.jwks.resolver(m.jwks_uri) : null;
}

/**
 * The client a `client_assertion` authenticates. `clientId` is the request's client_id, when sent (it must
 * then name the same client); `endpoint` is the URL called, accepted as the audience beside the issuer.
 */
export async function authenticateByAssertion(
  deps: AssertionDeps,
  jwt: string,
  clientId: string | undefined,
  endpoint: string,
  ip?: string,
): Promise<ClientRow> {
  const refuse = (reason: string, client?: string | null): never => {
    deps.audit.record('assertion.refused', { clientId: client ?? clientId ?? null, ip, details: { kind: 'client_assertion', reason } });
    throw new InvalidClient(reason, false);
  };
  const seen = peek(jwt);
  if (!seen) return refuse('client_assertion is not a JWT');

  const rules = workloadRulesFor(deps, seen.iss);
  if (rules.length) {
    try {
      const { client } = await matchWorkload(deps, jwt, rules);
      if (clientId !== undefined && clientId !== client.id) return refuse(`the workload token maps to client ${client.id}, not ${clientId}`);
      return client;
    } catch (e) {
      if (e instanceof AssertionError) return refuse(e.message);
      throw e;
    }
  }

  if (!deps.config.privateKeyJwt) return refuse('private_key_jwt is not enabled on this server (PRIVATE_KEY_JWT)');
  const id = clientId ?? seen.iss;
  if (!id) return refuse('the client assertion names no client (iss)');
  const client = await loadClient(deps, id, ip);
  if (!client) return refuse('unknown client');
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt') return refuse('this client is not registered for private_key_jwt', client.id);
  const key = clientKeys(deps, client);
  if (!key) return refuse('this client has no usable jwks or jwks_uri', client.id);
  const base = deps.config.baseUrl;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await verifyAssertion(
      jwt,
      {
        what: 'the client assertion',
        key,
        issuer: client.id, // RFC 7523 §3 items 1–2: iss and sub are the client_id
        subject: client.id,
        audience: [base, `${base}/token`, endpoint], // §3 item 3: the token endpoint or the issuer
        requireJti: true,
        maxLifetimeS: CLIENT_ASSERTION_MAX_LIFETIME_S,
      },
      deps.clock,
    ));
  } catch (e) {
    if (e instanceof AssertionError) return refuse(e.message, client.id);
    throw e;
  }
  // §3 item 7: a jti used once. Recorded last: a refused assertion leaves nothing behind.
  if (!(await deps.store.usedJtis.use(`client:${client.id}:${payload.jti}`, payload.exp as number, nowS(deps.clock))))
    return refuse('the client assertion was used before (jti)', client.id);
  return client;
}
