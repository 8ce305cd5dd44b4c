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
import { CONTROL_CHARACTERS } from '../security/control.ts';

export class LoginFailed extends OAuthError {
  constructor(description = 'wrong user name or password') {
    super('access_denied', description, 401);
  }
}

/**
 * The typed user name as it may be written down for a failed sign-in: a keyed hash, never the text (people
 * type passwords into the user-name box). The key is random per process, so attempts on one name can be
 * told apart and counted in one process's log, but the hash cannot be tested against guesses afterwards.
 */
const NAME_KEY = crypto.getRandomValues(new Uint8Array(32));
export function typedNameHash(name: string): string {
  const h = new Bun.CryptoHasher('sha256', NAME_KEY);
  h.update(name.toLowerCase());
  return h.digest('hex').slice(0, 16);
}

/**
 * Verify a local password (the policy and its numbers: SECURITY.md, "Sign-in limits").
 *  - Per address: LOGIN_RATE_LIMIT failures in the window, then 429 for it, whatever the account.
 *  - Per account: failures from every address count against LOGIN_ACCOUNT_RATE_LIMIT (distributed
 *    guessing). Beyond it an address that has failed in the window is refused, but one without a failure
 *    may still try: the owner signing in from her own address is not locked out by someone else's
 *    guesses, and each guessing address gets one failure per window on that account, not LOGIN_RATE_LIMIT.
 */
export async function loginWithPassword(
  deps: Pick<Deps, 'audit' | 'limits' | 'log' | 'metrics' | 'store'>,
  input: { username: string; password: string; ip: string },
): Promise<UserRow> {
  const { loginIp, loginAccount } = deps.limits;
  const ipKey = input.ip;
  const accountKey = input.username.toLowerCase();
  const [ipWait, accountWait] = await Promise.all([loginIp.blockedFor(ipKey), loginAccount.blockedFor(accountKey)]);
  const wait = ipWait > 0 ? ipWait : accountWait > 0 && (await loginIp.count(ipKey)) > 0 ? accountWait : 0;
  if (wait > 0) {
    deps.metrics.rateLimited('login');
    deps.log.warn('login rate limited', { ip: input.ip, username_hash: typedNameHash(input.username), limit: ipWait > 0 ? 'address' : 'account' });
    throw new TooManyRequests(wait, 'too many failed sign-ins; try again later');
  }
  const user = input.username.length <= 64 ? await deps.store.users.getByUsername(input.username) : null;
  const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
  if (!ok || !user) {
    await Promise.all([loginIp.hit(ipKey), loginAccount.hit(accountKey)]);
    // An existing account is named by its id; a name that matches no account is never written in clear.
    const who = user ? { username: user.username } : { account: 'unknown', username_hash: typedNameHash(input.username) };
    deps.audit.record('login.failure', { userId: user?.id ?? null, ip: input.ip, details: { ...who, method: 'password' } });
    deps.log.info('login failed', { ip: input.ip, ...(user ? { user_id: user.id } : who) });
    throw new LoginFailed();
  }
  if (user.disabledAt) {
    // The right password for a disabled account: said plainly (the password was right), never a session.
    deps.audit.record('login.failure', { userId: user.id, ip: input.ip, details: { username: user.username, method: 'password', reason: 'disabled' } });
    throw new LoginFailed('this account is disabled; ask an administrator');
  }
  // Neither count is reset by a success: a guesser who signs in to an account of their own must not get a
  // fresh per-address budget, and the account's count must not reopen guessing.
  deps.audit.record('login.success', { userId: user.id, ip: input.ip, details: { method: 'password' } });
  deps.log.info('login', { user_id: user.id, method: 'password' });
  return user;
}

/** A local path to return to after sign-in: "/…" but never "//host" or "/\host" (no open redirect). */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 4096 || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || CONTROL_CHARACTERS.test(next)) return '/';
  return next;
}

/** Start an upstream sign-in: store state, nonce and PKCE verifier; return the provider URL and the state. */
export async function startUpstreamLogin(
  deps: Pick<Deps, 'clock' | 'log' | 'store' | 'upstreams'>,
  providerId: string,
  next: string,
): Promise<{ url: URL; state: string }> {
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
  await deps.store.upstreamLogins.insert({
    stateHash: sha256Hex(state),
    provider: providerId,
    nonce,
    codeVerifier,
    nextPath: safeNext(next),
    expiresAt: nowS(deps.clock) + 600,
  });
  return { url, state };
}

/** Finish an upstream sign-in: single-use state, code exchange, ID token checks, account linking. */
export async function finishUpstreamLogin(
  deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'log' | 'store' | 'upstreams'>,
  providerId: string,
  state: string,
  code: string,
  ip: string | null = null,
): Promise<{ user: UserRow; next: string }> {
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
    throw new OAuthError(
      timeout ? 'temporarily_unavailable' : 'access_denied',
      `sign-in with ${provider.label} failed; please start again`,
      timeout ? 503 : 400,
    );
  }
  const user = await linkOrCreateUser(deps, identity);
  if (user.disabledAt) {
    deps.audit.record('login.failure', { userId: user.id, ip, details: { method: providerId, reason: 'disabled' } });
    throw new OAuthError('access_denied', 'this account is disabled; ask an administrator', 403);
  }
  deps.audit.record('login.success', { userId: user.id, ip, details: { method: providerId } });
  deps.log.info('login', { user_id: user.id, method: providerId });
  return { user, next: row.nextPath };
}

export async function linkOrCreateUser(deps: Pick<Deps, 'clock' | 'config' | 'store'>, id: UpstreamIdentity): Promise<UserRow> {
  const { store, config, clock } = deps;
  const domains = config.allowedEmailDomains;
  if (domains.length) {
    const domain = id.email?.split('@').pop()?.toLowerCase();
    if (!id.email || !id.emailVerified || !domain || !domains.map((d) => d.toLowerCase()).includes(domain)) {
      throw new AccessDenied('this account is not allowed to sign in here');
    }
  }
  const now = nowS(clock);
  const linked = await store.users.getByIdentity(id.provider, id.subject);
  if (linked) return withProfile(store, linked, id, now);
  // Link to an existing account by email only when the provider vouches for it (AuthGate #99).
  const byEmail = id.email && id.emailVerified ? await store.users.getByVerifiedEmail(id.email) : null;
  if (byEmail) {
    await store.users.linkIdentity(id.provider, id.subject, byEmail.id, id.email, now);
    return withProfile(store, byEmail, id, now);
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
    profile: id.profile ?? {},
    updatedAt: now,
  };
  await store.users.insert(user);
  await store.users.linkIdentity(id.provider, id.subject, user.id, id.email, now);
  return user;
}

/** The provider's profile claims replace the stored ones when they changed (the `updated_at` claim moves). */
async function withProfile(store: Deps['store'], user: UserRow, id: UpstreamIdentity, now: number): Promise<UserRow> {
  if (!id.profile || JSON.stringify(id.profile) === JSON.stringify(user.profile ?? {})) return user;
  await store.users.setProfile(user.id, id.profile, now);
  return { ...user, profile: id.profile, updatedAt: now };
}
