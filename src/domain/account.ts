// The signed-in person's own grants, for /account: the apps that hold access (remembered consent, live
// refresh-token families) and revoking them — a whole app, or one session. Only one's own: a foreign or
// unknown id changes nothing.
import { nowS } from '../clock.ts';
import type { FamilyRow, UserRow } from '../store/store.ts';
import { TooManyRequests } from './errors.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { describeUserAgent } from './user-agent.ts';
import type { Deps } from './deps.ts';
import { DEVICE_GRANT } from './grant-types.ts';
import { revokeFamily } from './tokens.ts';

export interface ConnectedApp {
  clientId: string;
  clientName: string;
  scope: string;
  consented: boolean;
  /** The latest use of any of its sessions (a refresh or the sign-in); null when it has none. */
  lastUsed: number | null;
  sessions: AppSession[];
}

/** One refresh-token family: one sign-in of an app (or device) and its refreshes since. */
export interface AppSession {
  familyId: string;
  scope: string;
  since: number;
  until: number;
  lastUsed: number;
  device: boolean;
  /** The User-Agent of the client software, summarised; the address it signed in from. */
  userAgent: string;
  ip: string | null;
}

/** Every app with remembered consent or a live refresh family, by client; each family as a session. */
export async function connectedApps(deps: Pick<Deps, 'store' | 'clock'>, userId: string): Promise<ConnectedApp[]> {
  const { store } = deps;
  const apps = new Map<string, ConnectedApp>();
  const clients = new Map<string, Awaited<ReturnType<typeof store.clients.get>>>();
  const client = async (id: string) => {
    if (!clients.has(id)) clients.set(id, await store.clients.get(id));
    return clients.get(id) ?? null;
  };
  const app = async (clientId: string) => {
    let a = apps.get(clientId);
    if (!a) {
      a = { clientId, clientName: (await client(clientId))?.name ?? clientId, scope: '', consented: false, lastUsed: null, sessions: [] };
      apps.set(clientId, a);
    }
    return a;
  };
  for (const c of await store.consents.listForUser(userId)) {
    const a = await app(c.clientId);
    a.consented = true;
    a.scope = c.scope;
  }
  for (const f of await store.refresh.listLiveFamiliesForUser(userId, nowS(deps.clock))) {
    const a = await app(f.clientId);
    const c = await client(f.clientId);
    const lastUsed = f.lastUsedAt ?? f.createdAt;
    a.sessions.push({
      familyId: f.id,
      scope: f.scope,
      since: f.createdAt,
      until: f.expiresAt,
      lastUsed,
      device: !c?.redirectUris.length && !!c?.grantTypes.includes(DEVICE_GRANT),
      userAgent: describeUserAgent(f.userAgent),
      ip: f.ip ?? null,
    });
    a.lastUsed = Math.max(a.lastUsed ?? 0, lastUsed);
  }
  return [...apps.values()];
}

export interface BrowserSession {
  id: string;
  current: boolean;
  userAgent: string;
  ip: string | null;
  since: number;
  lastUsed: number;
}

/** The user's signed-in browsers (this one first), for /account. */
export async function browserSessions(deps: Pick<Deps, 'store' | 'clock'>, userId: string, currentId: string): Promise<BrowserSession[]> {
  const rows = await deps.store.sessions.listForUser(userId, nowS(deps.clock));
  return rows
    .map((s) => ({
      id: s.id,
      current: s.id === currentId,
      userAgent: describeUserAgent(s.userAgent),
      ip: s.ip ?? null,
      since: s.authTime,
      lastUsed: s.lastSeenAt,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/** Sign one of the user's other browsers out; false when the id is not theirs (or is gone). */
export async function endOwnBrowserSession(deps: Pick<Deps, 'audit' | 'store'>, userId: string, sessionId: string, ip: string): Promise<boolean> {
  const removed = (await deps.store.sessions.removeOwn(userId, sessionId)) > 0;
  if (removed) deps.audit.record('session.revoked', { userId, ip, details: { reason: 'account', session: 'browser' } });
  return removed;
}

export class PasswordChangeRefused extends Error {}

/**
 * Change one's own password: the current one must be right (it counts against the same sign-in limits as
 * the sign-in form, so the form cannot be used to guess it), the new one must meet the policy. Every other
 * browser session ends; app grants stay (the page lists them for revoking).
 */
export async function changeOwnPassword(
  deps: Pick<Deps, 'audit' | 'limits' | 'log' | 'metrics' | 'store'>,
  input: { user: UserRow; sessionId: string; current: string; next: string; repeat: string; ip: string },
): Promise<void> {
  const { loginIp, loginAccount } = deps.limits;
  const accountKey = input.user.username.toLowerCase();
  const wait = Math.max(await loginIp.blockedFor(input.ip), await loginAccount.blockedFor(accountKey));
  if (wait > 0) {
    deps.metrics.rateLimited('login');
    throw new TooManyRequests(wait, 'too many wrong passwords; try again later');
  }
  const fresh = await deps.store.users.get(input.user.id);
  if (!fresh || !(await verifyPassword(input.current, fresh.passwordHash))) {
    await Promise.all([loginIp.hit(input.ip), loginAccount.hit(accountKey)]);
    deps.audit.record('login.failure', {
      userId: input.user.id,
      ip: input.ip,
      details: { username: input.user.username, method: 'password', reason: 'password_change' },
    });
    throw new PasswordChangeRefused(
      fresh?.passwordHash ? 'the current password is not right' : 'this account has no password yet; use an invitation or reset link',
    );
  }
  const problem = passwordProblem(input.next);
  if (problem) throw new PasswordChangeRefused(problem);
  if (input.next !== input.repeat) throw new PasswordChangeRefused('the two new passwords differ');
  await deps.store.users.setPasswordHash(fresh.id, await hashPassword(input.next));
  const ended = await deps.store.sessions.removeOthers(fresh.id, input.sessionId);
  deps.audit.record('password.set', { userId: fresh.id, ip: input.ip, details: { via: 'account', other_sessions_ended: ended } });
  deps.log.info('password changed', { user_id: fresh.id });
}

/** End one of the user's sessions (a refresh family); the family when it was theirs, else null. */
export async function revokeOwnSession(deps: Pick<Deps, 'audit' | 'clock' | 'store'>, userId: string, familyId: string, ip: string): Promise<FamilyRow | null> {
  const fam = await deps.store.refresh.getFamily(familyId);
  if (!fam || fam.userId !== userId) return null;
  await revokeFamily(deps, fam.id, nowS(deps.clock));
  deps.audit.record('refresh.family_revoked', { userId, clientId: fam.clientId, ip, details: { reason: 'account', family_id: fam.id } });
  return fam;
}

/** Take an app's access away: its remembered consent and every live family of this user with it. */
export async function revokeOwnApp(deps: Pick<Deps, 'audit' | 'clock' | 'store'>, userId: string, clientId: string, ip: string): Promise<void> {
  const now = nowS(deps.clock);
  await deps.store.consents.remove(userId, clientId);
  for (const fam of await deps.store.refresh.listLiveFamiliesForUser(userId, now)) {
    if (fam.clientId === clientId) await revokeFamily(deps, fam.id, now);
  }
  deps.audit.record('consent.revoked', { userId, clientId, ip });
}
