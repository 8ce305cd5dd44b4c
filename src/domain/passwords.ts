// Human passwords: argon2id via Bun.password (never on the token path: ≈100 ms per hash).
import type { UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { SET_PASSWORD_SCOPE } from './temp-tokens.ts';

// A real argon2id hash to verify against when the account does not exist, made on first need (not at
// start-up: one hash costs ~100 ms).
let dummy: Promise<string> | null = null;
const dummyHash = () => (dummy ??= Bun.password.hash('not a real password, only for constant work', { algorithm: 'argon2id' }));

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' });
}

/** Verify; when there is no stored hash, still spend the same work so timing does not reveal the account. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const ok = await Bun.password.verify(password, hash ?? (await dummyHash())).catch(() => false);
  return ok && hash !== null;
}

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/**
 * Set a password from an invitation or reset link (the caller has checked the link's temp token, which
 * names `userId`). Every other link for the account dies, and so do its sessions: a reset ends old sign-ins.
 * The user, or null when the account is gone or is not the one the page was opened for.
 */
export async function setPasswordFromLink(
  deps: Pick<Deps, 'store' | 'tempTokens' | 'audit' | 'log'>,
  input: { userId: string; pageUserId: string; password: string; ip: string },
): Promise<UserRow | null> {
  const user = await deps.store.users.get(input.userId);
  if (!user || user.id !== input.pageUserId) return null;
  await deps.store.users.setPasswordHash(user.id, await hashPassword(input.password));
  await deps.tempTokens.deleteByResource(SET_PASSWORD_SCOPE.name, user.id);
  await deps.store.sessions.removeForUser(user.id);
  deps.audit.record('password.set', { userId: user.id, ip: input.ip, details: { via: 'link' } });
  deps.log.info('password set from link', { user_id: user.id });
  return user;
}
