// Device authorization grant (RFC 8628): the device asks for codes (§3.1–3.2), the person enters the user
// code on another screen and approves or denies (§3.3), the device polls the token endpoint (§3.4–3.5).
// Improves on AuthGate: slow_down is enforced, Deny exists, device codes are stored only as hashes.
import { nowS } from '../clock.ts';
import { randomFromCharset } from '../security/random.ts';
import { mintSecret } from '../security/token-format.ts';
import type { ClientRow, DeviceCodeRow, SessionRow, UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { OAuthError, UnauthorizedClient } from './errors.ts';
import { resolveScopes, validateResources } from './scopes.ts';
import { DEVICE_GRANT } from './grant-types.ts';
import { OPENID, sessionSid } from './oidc.ts';

export const DEVICE_PREFIX = 'dc_';
/** node-oidc-provider's base-20 alphabet: no vowels (no words), no look-alikes. */
export const USER_CODE_CHARSET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

// RFC 8628 §3.5 error codes for polling.
export const AuthorizationPending = class extends OAuthError {
  constructor() {
    super('authorization_pending', 'the user has not yet approved this device');
  }
};
export const SlowDown = class extends OAuthError {
  constructor(interval: number) {
    super('slow_down', `polling too fast; wait at least ${interval} seconds between requests`);
  }
};
export const ExpiredToken = class extends OAuthError {
  constructor() {
    super('expired_token', 'the device code has expired; start again');
  }
};

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** "XXXX-XXXX" for display. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Case-, dash- and space-insensitive: "bcdf ghjk", "BCDF-GHJK" → "BCDFGHJK"; null when it cannot be one. */
export function normalizeUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const ch of code) if (!USER_CODE_CHARSET.includes(ch)) return null;
  return code;
}

/** POST /device_authorization (RFC 8628 §3.1–3.2). */
export async function startDeviceAuthorization(
  deps: Pick<Deps, 'clock' | 'config' | 'store'>,
  client: ClientRow,
  input: { scope: string | undefined; resources: string[] },
): Promise<DeviceAuthorizationResponse> {
  if (!client.grantTypes.includes(DEVICE_GRANT)) throw new UnauthorizedClient('this client may not use the device authorization grant');
  const scopes = resolveScopes(deps.config, client, input.scope);
  const resources = validateResources(deps.config, input.resources);
  const now = nowS(deps.clock);
  const secret = mintSecret(DEVICE_PREFIX);
  const row: DeviceCodeRow = {
    id: secret.id,
    hash: secret.hash,
    userCode: '',
    clientId: client.id,
    scope: scopes.join(' '),
    resource: resources,
    pollInterval: deps.config.devicePollInterval,
    lastPolledMs: null,
    status: 'pending',
    userId: null,
    authTime: null,
    createdAt: now,
    expiresAt: now + deps.config.deviceCodeTtl,
  };
  // 20^8 ≈ 2.6e10 codes: a collision is rare; the UNIQUE index decides, and we draw again.
  for (let attempt = 0; ; attempt++) {
    row.userCode = randomFromCharset(USER_CODE_CHARSET, USER_CODE_LENGTH);
    if (await deps.store.deviceCodes.insert(row)) break;
    if (attempt === 10) throw new OAuthError('server_error', 'could not allocate a user code', 500);
  }
  const display = formatUserCode(row.userCode);
  const verificationUri = `${deps.config.baseUrl}/device`;
  return {
    device_code: secret.token,
    user_code: display,
    verification_uri: verificationUri,
    verification_uri_complete: `${verificationUri}?user_code=${display}`,
    expires_in: deps.config.deviceCodeTtl,
    interval: deps.config.devicePollInterval,
  };
}

/** The pending code a person typed, with its client; null when there is none (wrong, used or expired). */
export async function findPendingDevice(deps: Pick<Deps, 'clock' | 'store'>, typed: string): Promise<{ row: DeviceCodeRow; client: ClientRow } | null> {
  const code = normalizeUserCode(typed);
  if (!code) return null;
  const row = await deps.store.deviceCodes.getPendingByUserCode(code, nowS(deps.clock));
  if (!row) return null;
  const client = await deps.store.clients.get(row.clientId);
  return client ? { row, client } : null;
}

/** Approve or deny; approval also remembers consent for the client (the device page is always shown). */
export async function decideDevice(
  deps: Pick<Deps, 'audit' | 'clock' | 'store'>,
  row: DeviceCodeRow,
  user: UserRow,
  session: SessionRow,
  approve: boolean,
): Promise<boolean> {
  // With openid asked for, the approving session is what the ID token describes (sid, amr; no nonce here).
  const oidc = approve && row.scope.split(' ').includes(OPENID) ? { sid: sessionSid(session.id), ...(session.amr ? { amr: session.amr } : {}) } : null;
  const ok = await deps.store.deviceCodes.decide(row.id, approve ? 'approved' : 'denied', user.id, session.authTime, nowS(deps.clock), oidc);
  if (ok) deps.audit.record(approve ? 'device.approved' : 'device.denied', { userId: user.id, clientId: row.clientId });
  return ok;
}
