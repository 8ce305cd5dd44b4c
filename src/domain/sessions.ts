// Browser sessions: a random `<id>.<secret>` in a cookie, only its SHA-256 stored, with an idle and an
// absolute lifetime. last_seen_at is written at most once a minute so reads stay reads.
import { nowS } from '../clock.ts';
import { matchesHash } from '../security/compare.ts';
import { mintSecret, parseSecret } from '../security/token-format.ts';
import type { SessionRow, UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';

const PREFIX = 'ss_';

export interface ActiveSession {
  session: SessionRow;
  user: UserRow;
}

/** A new session; `amr` says how the user signed in (RFC 8176: `pwd` for a password), when known. */
export async function createSession(
  deps: Pick<Deps, 'clock' | 'config' | 'store'>,
  userId: string,
  amr: string[] | null = null,
  origin: { ip: string; userAgent: string | null } | null = null,
): Promise<{ cookie: string; session: SessionRow }> {
  const s = mintSecret(PREFIX);
  const now = nowS(deps.clock);
  const session: SessionRow = {
    id: s.id,
    hash: s.hash,
    userId,
    authTime: now,
    lastSeenAt: now,
    expiresAt: now + deps.config.sessionTtl,
    amr,
    userAgent: origin?.userAgent ?? null,
    ip: origin?.ip ?? null,
  };
  await deps.store.sessions.insert(session);
  return { cookie: s.token, session };
}

/** The live session named by a cookie value, or null (unknown, wrong secret, idle or expired). */
export async function validateSession(deps: Pick<Deps, 'clock' | 'config' | 'store'>, cookie: string | undefined): Promise<ActiveSession | null> {
  if (!cookie) return null;
  const parsed = parseSecret(PREFIX, cookie);
  if (!parsed) return null;
  const session = await deps.store.sessions.get(parsed.id);
  if (!session || !matchesHash(cookie, session.hash)) return null;
  const now = nowS(deps.clock);
  if (session.expiresAt <= now || session.lastSeenAt + deps.config.sessionIdleTtl <= now) {
    await deps.store.sessions.remove(session.id);
    return null;
  }
  const user = await deps.store.users.get(session.userId);
  if (!user || user.disabledAt) return null;
  if (now - session.lastSeenAt >= 60) await deps.store.sessions.touch(session.id, now);
  return { session, user };
}

export async function endSession(deps: Pick<Deps, 'store'>, cookie: string | undefined): Promise<void> {
  const parsed = cookie ? parseSecret(PREFIX, cookie) : null;
  if (!parsed) return;
  const session = await deps.store.sessions.get(parsed.id);
  if (session && matchesHash(cookie!, session.hash)) await deps.store.sessions.remove(session.id);
}
