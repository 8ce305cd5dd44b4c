// Signing in: local passwords (rate limited per IP and per account) and upstream identity providers
// (state + nonce + PKCE on the upstream leg; accounts linked by (provider, subject), or by email only
// when the provider says it is verified).
import { nowS } from '../clock.ts';
import { sha256Hex } from '../security/hash.ts';
import { randomId, randomToken } from '../security/random.ts';
import type { UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { AccessDenied, OAuthError, TooManyRequests } from './errors.ts';
import { verifyPassword } from './passwords.ts';
import { UpstreamError, type UpstreamIdentity } from './upstream.ts';

export class LoginFailed extends OAuthError {
  constructor(description = 'wrong user name or password') {
    super('access_denied', description, 401);
  }
}

/** Verify a local password. Failed attempts count against the IP and the account; success resets the account. */
export async function loginWithPassword(deps: Deps, input: { username: string; password: string; ip: string }): Promise<UserRow> {
  const limiter = deps.limits.login;
  const ipKey = `ip:${input.ip}`;
  const userKey = `user:${input.username.toLowerCase()}`;
  const wait = Math.max(limiter.blockedFor(ipKey), limiter.blockedFor(userKey));
  if (wait > 0) {
    deps.metrics.rateLimited('login');
    deps.log.warn('login rate limited', { ip: input.ip, username: input.username });
    throw new TooManyRequests(wait, 'too many failed sign-ins; try again later');
  }
  const user = input.username.length <= 64 ? await deps.store.users.getByUsername(input.username) : null;
  const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
  if (!ok || !user) {
    limiter.hit(ipKey);
    limiter.hit(userKey);
    deps.audit.record('login.failure', { userId: user?.id ?? null, ip: input.ip, details: { username: input.username.slice(0, 64), method: 'password' } });
    deps.log.info('login failed', { ip: input.ip, username: input.username });
    throw new LoginFailed();
  }
  limiter.reset(userKey);
  deps.audit.record('login.success', { userId: user.id, ip: input.ip, details: { method: 'password' } });
  deps.log.info('login', { user_id: user.id, method: 'password' });
  return user;
}

/** A local path to return to after sign-in: "/…" but never "//host" or "/\host" (no open redirect). */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 4096 || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\u0000-\u001f]/.test(next)) return '/';
  return next;
}

/** Start an upstream sign-in: store state, nonce and PKCE verifier; return the provider URL and the state. */
export async function startUpstreamLogin(deps: Deps, providerId: string, next: string): Promise<{ url: URL; state: string }> {
  const provider = deps.upstreams.get(providerId);
  if (!provider) throw new AccessDenied('unknown sign-in provider');
  const state = randomToken(32);
  const nonce = randomToken(24);
  const codeVerifier = randomToken(32);
  let url: URL;
  try {
    url = await provider.authorizationUrl(state, codeVerifier, nonce);
  } catch (e) {
    deps.log.warn('upstream unavailable', { provider: providerId, error: (e as Error).message });
    throw new OAuthError('temporarily_unavailable', `${provider.label} sign-in is unavailable right now; try again later`, 503);
  }
  await deps.store.upstreamLogins.insert({ stateHash: sha256Hex(state), provider: providerId, nonce, codeVerifier, nextPath: safeNext(next), expiresAt: nowS(deps.clock) + 600 });
  return { url, state };
}

/** Finish an upstream sign-in: single-use state, code exchange, ID token checks, account linking. */
export async function finishUpstreamLogin(deps: Deps, providerId: string, state: string, code: string, ip: string | null = null): Promise<{ user: UserRow; next: string }> {
  const row = await deps.store.upstreamLogins.take(sha256Hex(state), nowS(deps.clock));
  if (!row || row.provider !== providerId) throw new OAuthError('access_denied', 'this sign-in has expired or was already used; please start again', 400);
  const provider = deps.upstreams.get(providerId);
  if (!provider) throw new AccessDenied('unknown sign-in provider');
  let identity: UpstreamIdentity;
  try {
    identity = await provider.identify(code, row.codeVerifier, row.nonce);
  } catch (e) {
    deps.audit.record('login.failure', { ip, details: { method: providerId, reason: (e as Error).message.slice(0, 200) } });
    deps.log.warn('upstream sign-in failed', { provider: providerId, error: (e as Error).message });
    const timeout = e instanceof UpstreamError && /timed out/.test(e.message);
    throw new OAuthError(timeout ? 'temporarily_unavailable' : 'access_denied', `sign-in with ${provider.label} failed; please start again`, timeout ? 503 : 400);
  }
  const user = await linkOrCreateUser(deps, identity);
  deps.audit.record('login.success', { userId: user.id, ip, details: { method: providerId } });
  deps.log.info('login', { user_id: user.id, method: providerId });
  return { user, next: row.nextPath };
}

export async function linkOrCreateUser(deps: Deps, id: UpstreamIdentity): Promise<UserRow> {
  const { store, config, clock } = deps;
  const domains = config.allowedEmailDomains;
  if (domains.length) {
    const domain = id.email?.split('@').pop()?.toLowerCase();
    if (!id.email || !id.emailVerified || !domain || !domains.map((d) => d.toLowerCase()).includes(domain)) {
      throw new AccessDenied('this account is not allowed to sign in here');
    }
  }
  const linked = await store.users.getByIdentity(id.provider, id.subject);
  if (linked) return linked;
  const now = nowS(clock);
  // Link to an existing account by email only when the provider vouches for it (AuthGate #99).
  const byEmail = id.email && id.emailVerified ? await store.users.getByVerifiedEmail(id.email) : null;
  if (byEmail) {
    await store.users.linkIdentity(id.provider, id.subject, byEmail.id, id.email, now);
    return byEmail;
  }
  const base = (id.email?.split('@')[0] ?? `${id.provider}-${id.subject}`).replace(/[^A-Za-z0-9._-]/g, '').slice(0, 40) || id.provider;
  let username = base;
  for (let i = 2; await store.users.getByUsername(username); i++) username = `${base}${i}`;
  const user: UserRow = {
    id: randomId(),
    username,
    email: id.email,
    emailVerified: id.emailVerified,
    passwordHash: null,
    isAdmin: false,
    createdAt: now,
  };
  await store.users.insert(user);
  await store.users.linkIdentity(id.provider, id.subject, user.id, id.email, now);
  return user;
}
