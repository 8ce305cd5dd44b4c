// grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4–3.5): the device polls until the
// person has approved or denied; slow_down when it polls faster than its interval.
import { matchesHash } from '../../security/compare.ts';
import { parseSecret } from '../../security/token-format.ts';
import type { ClientRow } from '../../store/store.ts';
import { touchClient } from '../clients.ts';
import type { Deps } from '../deps.ts';
import { AuthorizationPending, DEVICE_PREFIX, ExpiredToken, SlowDown } from '../device.ts';
import { InvalidGrant, InvalidRequest, OAuthError, UnauthorizedClient } from '../errors.ts';
import { DEVICE_GRANT } from '../grant-types.ts';
import { issueUserTokens, type RequestOrigin, type TokenResponse } from '../tokens.ts';

/** grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4–3.5). */
export async function pollDeviceCode(
  deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'keys' | 'store'>,
  client: ClientRow,
  deviceCode: string | undefined,
  origin?: RequestOrigin,
  jkt: string | null = null,
): Promise<TokenResponse> {
  if (!client.grantTypes.includes(DEVICE_GRANT)) throw new UnauthorizedClient('this client may not use the device authorization grant');
  if (!deviceCode) throw new InvalidRequest('device_code is missing');
  const parsed = parseSecret(DEVICE_PREFIX, deviceCode);
  const stored = parsed ? await deps.store.deviceCodes.get(parsed.id) : null;
  if (!stored || !matchesHash(deviceCode, stored.hash)) throw new InvalidGrant('invalid device code');
  if (stored.clientId !== client.id) throw new InvalidGrant('the device code was issued to another client');
  const nowMs = deps.clock.nowMs();
  if (stored.expiresAt <= Math.floor(nowMs / 1000)) throw new ExpiredToken();
  if (stored.status === 'consumed') throw new InvalidGrant('the device code was already used');
  if (stored.status === 'denied') throw new OAuthError('access_denied', 'the user denied the request');
  const polled = await deps.store.deviceCodes.poll(stored.id, nowMs);
  if (!polled) throw new InvalidGrant('invalid device code');
  if (polled.row.status === 'pending') {
    // §3.5: a client polling faster than its interval gets slow_down, and its interval grows by 5 s.
    if (polled.tooFast) throw new SlowDown(polled.row.pollInterval);
    throw new AuthorizationPending();
  }
  // Approved: exactly one poll wins the consume; the others see the code as used.
  const row = await deps.store.deviceCodes.consume(stored.id);
  if (!row?.userId) throw new InvalidGrant('the device code was already used');
  const now = Math.floor(nowMs / 1000);
  const issued = await issueUserTokens(
    deps,
    {
      client,
      userId: row.userId,
      scopes: row.scope.split(' ').filter(Boolean),
      resources: row.resource,
      authTime: row.authTime ?? now,
      oidc: row.oidc,
      origin,
      jkt, // RFC 9449: the polling request's proof binds the tokens
    },
    now,
  );
  await touchClient(deps, client, now);
  deps.audit.tokenIssued(DEVICE_GRANT, client.id, row.userId);
  return issued.response;
}
