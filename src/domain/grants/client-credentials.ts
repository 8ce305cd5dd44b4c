// grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself.
import type { ClientRow } from '../../store/store.ts';
import type { Deps } from '../deps.ts';
import { UnauthorizedClient } from '../errors.ts';
import { resolveScopes, validateResources } from '../scopes.ts';
import { accessToken, tokenResponse, type TokenResponse } from '../tokens.ts';

/** client_credentials (RFC 6749 §4.4): confidential clients only, no refresh token. */
export async function clientCredentials(
  deps: Pick<Deps, 'audit' | 'config' | 'keys'>,
  client: ClientRow,
  input: { scope: string | undefined; resources: string[]; jkt?: string | null },
): Promise<TokenResponse> {
  if (client.tokenEndpointAuthMethod === 'none') throw new UnauthorizedClient('public clients cannot use client_credentials');
  if (!client.grantTypes.includes('client_credentials')) throw new UnauthorizedClient('this client may not use client_credentials');
  const scopes = resolveScopes(deps.config, client, input.scope);
  const resources = validateResources(deps.config, input.resources);
  const at = accessToken(deps, { client, userId: null, scopes, resources, jkt: input.jkt });
  deps.audit.tokenIssued('client_credentials', client.id, null);
  return tokenResponse(deps, at, scopes);
}
