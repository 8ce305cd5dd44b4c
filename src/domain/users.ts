// Local accounts as the operator manages them — `auth users` and the admin console share these: create,
// password links (invitation and reset), the admin flag, disabling (which ends the account's sessions and
// grants at once), removal. Every change is audited; `actor` names the admin who made it (the console).
import { nowS } from '../clock.ts';
import { randomId } from '../security/random.ts';
import type { UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { SET_PASSWORD_SCOPE, TempTokenError } from './temp-tokens.ts';
import { revokeFamily } from './tokens.ts';

export const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** Input an operator got wrong: the message is for them. */
export class UserInputError extends Error {
  override name = 'UserInputError';
}

export interface NewUser {
  username: string;
  email?: string;
  /** A password to set now; none: the account signs in after a password link or upstream only. */
  password?: string;
  isAdmin?: boolean;
}

export async function createUser(deps: Pick<Deps, 'audit' | 'clock' | 'store'>, input: NewUser, actor?: string): Promise<UserRow> {
  if (!USERNAME_RE.test(input.username)) throw new UserInputError('a user name is 1–64 characters: letters, digits, . _ @ -');
  if (input.email !== undefined && !EMAIL_RE.test(input.email)) throw new UserInputError(`invalid email ${input.email}`);
  if (input.password !== undefined) {
    const problem = passwordProblem(input.password);
    if (problem) throw new UserInputError(problem);
  }
  if (await deps.store.users.getByUsername(input.username)) throw new UserInputError(`user ${input.username} exists`);
  const user: UserRow = {
    id: randomId(),
    username: input.username,
    email: input.email ?? null,
    // An operator-entered email is trusted as verified for account linking and the email_verified claim.
    emailVerified: input.email !== undefined,
    passwordHash: input.password !== undefined ? await hashPassword(input.password) : null,
    isAdmin: !!input.isAdmin,
    createdAt: nowS(deps.clock),
  };
  await deps.store.users.insert(user);
  deps.audit.record('user.created', { userId: user.id, details: { username: user.username, admin: user.isAdmin, ...(actor ? { actor } : {}) } });
  return user;
}

/**
 * A one-time link to choose a password (invitation) or set a new one (reset): a set_password temp token in
 * the URL fragment, which browsers never send to the server or in Referer.
 */
export async function passwordLink(
  deps: Pick<Deps, 'audit' | 'config' | 'tempTokens'>,
  user: UserRow,
  ttl: number,
  actor?: string,
): Promise<{ link: string; expiresAt: number }> {
  let minted: Awaited<ReturnType<typeof deps.tempTokens.mint>>;
  try {
    minted = await deps.tempTokens.mint(SET_PASSWORD_SCOPE.name, user.id, ttl);
  } catch (e) {
    if (e instanceof TempTokenError) throw new UserInputError(e.message);
    throw e;
  }
  deps.audit.record('user.link_created', { userId: user.id, details: { expires_at: minted.expiresAt, ...(actor ? { actor } : {}) } });
  return { link: `${deps.config.baseUrl}/set-password/${user.id}#t=${minted.token}`, expiresAt: minted.expiresAt };
}

export async function setAdmin(deps: Pick<Deps, 'audit' | 'store'>, user: UserRow, admin: boolean, actor?: string): Promise<void> {
  await deps.store.users.setAdmin(user.id, admin);
  deps.audit.record('user.updated', { userId: user.id, details: { admin, ...(actor ? { actor } : {}) } });
}

/**
 * Disable or enable an account. Disabling ends it everywhere at once: its sessions are removed and every
 * live refresh family is revoked (with the access tokens minted under them); sign-in is refused while
 * disabled. Access tokens of grants without refresh tokens live out their short lifetime.
 */
export async function setDisabled(deps: Pick<Deps, 'audit' | 'clock' | 'store'>, user: UserRow, disabled: boolean, actor?: string): Promise<void> {
  const now = nowS(deps.clock);
  await deps.store.users.setDisabled(user.id, disabled ? now : null);
  if (disabled) {
    await deps.store.sessions.removeForUser(user.id);
    for (const f of await deps.store.refresh.listLiveFamiliesForUser(user.id, now)) await revokeFamily(deps, f.id, now);
  }
  deps.audit.record('user.updated', { userId: user.id, details: { disabled, ...(actor ? { actor } : {}) } });
}

/** Remove an account with its sessions, consents, identities and grants (foreign keys). */
export async function removeUser(deps: Pick<Deps, 'audit' | 'store'>, user: UserRow, actor?: string): Promise<boolean> {
  const removed = await deps.store.users.remove(user.username);
  if (removed) deps.audit.record('user.removed', { userId: user.id, details: { username: user.username, ...(actor ? { actor } : {}) } });
  return removed;
}
