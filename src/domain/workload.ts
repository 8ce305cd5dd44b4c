// Workload identity federation: a CI job or a pod presents the JWT its platform minted for it (GitHub
// Actions OIDC, a Kubernetes service-account token, any OIDC issuer) instead of a stored client secret.
// WORKLOAD_ISSUERS rules say which issuer, audience and claim values (repository, ref, namespace, …) are
// trusted, and which client and scopes such a token stands for. Used as client authentication
// (client_assertion, RFC 7523 §2.2) and as a grant (assertion, RFC 7523 §2.1). Platform tokens are bearer
// credentials meant to be presented more than once within their short life, so their jti is not single-use.
import type { WorkloadRule } from '../config.ts';
import type { ClientRow } from '../store/store.ts';
import { AssertionError, verifyAssertion, type VerifiedAssertion } from './assertions.ts';
import { loadClient } from './client-lookup.ts';
import type { Deps } from './deps.ts';

export interface WorkloadMatch {
  rule: WorkloadRule;
  client: ClientRow;
  assertion: VerifiedAssertion;
}

/** Rules for this issuer, or none: the caller decides whether the JWT is a workload token at all. */
export function workloadRulesFor(deps: Pick<Deps, 'config'>, iss: string | null): WorkloadRule[] {
  return iss ? (deps.config.workloadIssuers ?? []).filter((r) => r.issuer === iss) : [];
}

/** A claim value against a rule: equal, one of a list, or a prefix when the rule ends in `*`. */
export function claimMatches(value: unknown, expected: string | string[]): boolean {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
  const v = String(value);
  return (Array.isArray(expected) ? expected : [expected]).some((e) => (e.endsWith('*') ? v.startsWith(e.slice(0, -1)) : v === e));
}

/**
 * The first rule of `rules` the token satisfies — signature by the rule's JWKS, issuer, audience, lifetime
 * and every required claim — with its client. Throws AssertionError naming what failed for the last rule.
 */
export async function matchWorkload(
  deps: Pick<Deps, 'clientCache' | 'clientDocuments' | 'clock' | 'jwks' | 'store'>,
  jwt: string,
  rules: WorkloadRule[],
): Promise<WorkloadMatch> {
  let failure = 'no WORKLOAD_ISSUERS rule names this issuer';
  for (const rule of rules) {
    let assertion: VerifiedAssertion;
    try {
      assertion = await verifyAssertion(
        jwt,
        { what: 'the workload token', key: deps.jwks.resolver(rule.jwks_uri), issuer: rule.issuer, audience: rule.audience },
        deps.clock,
      );
    } catch (e) {
      if (!(e instanceof AssertionError)) throw e;
      failure = e.message;
      continue;
    }
    const unmet = Object.entries(rule.claims ?? {}).find(([claim, expected]) => !claimMatches(assertion.payload[claim], expected));
    if (unmet) {
      failure = `the workload token's ${unmet[0]} claim does not match the rule (${JSON.stringify(unmet[1])})`;
      continue;
    }
    const client = await loadClient(deps, rule.client_id);
    if (!client) throw new AssertionError(`the WORKLOAD_ISSUERS rule names client ${rule.client_id}, which does not exist`);
    return { rule, client, assertion };
  }
  throw new AssertionError(failure);
}
