// The Store's methods that are one statement and a row mapping, written once for both drivers: the SQL is
// in statements.ts, the mapping in rows.ts, and a driver only says how it runs a statement (SQLite
// synchronously on its connection, PostgreSQL on its pool). Methods a driver does differently — queued
// writes and transactions on SQLite, locking reads on PostgreSQL — stay in that driver.
import type { Row } from './rows.ts';
import * as R from './rows.ts';
import { Q } from './statements.ts';
import type { AuditQuery, ClientRow, ConsentRow, StoreStats, TempTokenRow, UpstreamLoginRow, UserProfile, UserRow } from './store.ts';

/** How a driver runs one statement: the first row, every row, or the number of rows changed. */
export interface StatementRunner {
  one(sql: string, ...params: unknown[]): Row | null | Promise<Row | null>;
  all(sql: string, ...params: unknown[]): Row[] | Promise<Row[]>;
  run(sql: string, ...params: unknown[]): number | Promise<number>;
}

export function singleStatements(x: StatementRunner) {
  const one = async <T>(map: (r: Row) => T, sql: string, ...params: unknown[]): Promise<T | null> => {
    const r = await x.one(sql, ...params);
    return r ? map(r) : null;
  };
  const all = async <T>(map: (r: Row) => T, sql: string, ...params: unknown[]): Promise<T[]> => (await x.all(sql, ...params)).map(map);
  const run = async (sql: string, ...params: unknown[]): Promise<number> => x.run(sql, ...params);

  return {
    clients: {
      insert: async (c: ClientRow) => void (await run(Q.clientInsert, ...R.clientParams(c))),
      get: (id: string) => one(R.toClient, Q.clientGet, id),
      list: () => all(R.toClient, Q.clientList),
      setSecretHash: async (id: string, hash: string) => (await run(Q.clientSetSecret, hash, id)) > 0,
      update: async (c: ClientRow) =>
        (await run(Q.clientUpdate, c.name, R.json(c.redirectUris), R.json(c.grantTypes), R.json(c.scopes), c.firstParty ? 1 : 0, c.id)) > 0,
      upsertDocument: async (c: ClientRow) =>
        void (await run(Q.clientUpsertDocument, c.id, c.name, R.json(c.redirectUris), R.json(c.grantTypes), R.json(c.scopes), R.json(c.metadata), c.createdAt)),
    },
    users: {
      insert: async (u: UserRow) => void (await run(Q.userInsert, ...R.userParams(u))),
      get: (id: string) => one(R.toUser, Q.userGet, id),
      getByUsername: (username: string) => one(R.toUser, Q.userByName, username),
      getByVerifiedEmail: (email: string) => one(R.toUser, Q.userByVerifiedEmail, email),
      list: () => all(R.toUser, Q.userList),
      count: async () => Number((await x.one(Q.userCount))?.n ?? 0),
      setPasswordHash: async (id: string, hash: string) => (await run(Q.userSetPassword, hash, id)) > 0,
      setProfile: async (id: string, profile: UserProfile, now: number) => (await run(Q.userSetProfile, R.json(profile), now, id)) > 0,
      setAdmin: async (id: string, admin: boolean) => (await run(Q.userSetAdmin, admin ? 1 : 0, id)) > 0,
      setDisabled: async (id: string, at: number | null) => (await run(Q.userSetDisabled, at, id)) > 0,
      linkIdentity: async (provider: string, subject: string, userId: string, email: string | null, now: number) =>
        void (await run(Q.identityLink, provider, subject, userId, email, now)),
      getByIdentity: (provider: string, subject: string) => one(R.toUser, Q.userByIdentity, provider, subject),
    },
    sessions: {
      get: (id: string) => one(R.toSession, Q.sessionGet, id),
      remove: async (id: string) => void (await run(Q.sessionRemove, id)),
      removeForUser: (userId: string) => run(Q.sessionRemoveForUser, userId),
      listForUser: (userId: string, now: number) => all(R.toSession, Q.sessionListForUser, userId, now),
      removeOwn: (userId: string, id: string) => run(Q.sessionRemoveOwn, id, userId),
      removeOthers: (userId: string, keepId: string) => run(Q.sessionRemoveOthers, userId, keepId),
    },
    consents: {
      get: (userId: string, clientId: string, resource: string) => one(R.toConsent, Q.consentGet, userId, clientId, resource),
      upsert: async (c: ConsentRow) => void (await run(Q.consentUpsert, c.userId, c.clientId, c.resource, c.scope, c.createdAt)),
      listForUser: (userId: string) => all(R.toConsent, Q.consentList, userId),
      remove: (userId: string, clientId: string) => run(Q.consentRemove, userId, clientId),
    },
    keys: {
      listPublished: (now: number) => all(R.toKey, Q.keyListPublished, now),
    },
    codes: {
      get: (id: string) => one(R.toCode, Q.codeGet, id),
    },
    refresh: {
      getFamily: (id: string) => one(R.toFamily, Q.familyGet, id),
      get: (id: string) => one(R.toRefresh, Q.refreshGet, id),
      listLiveFamiliesForUser: (userId: string, now: number) => all(R.toFamily, Q.familyLiveForUser, userId, now),
    },
    deviceCodes: {
      get: (id: string) => one(R.toDevice, Q.deviceGet, id),
      getPendingByUserCode: (userCode: string, now: number) => one(R.toDevice, Q.deviceByUserCode, userCode, now),
    },
    tempTokens: {
      insert: async (t: TempTokenRow) => void (await run(Q.tempInsert, ...R.tempTokenParams(t))),
      get: (id: string) => one(R.toTempToken, Q.tempGet, id),
      consume: async (id: string, now: number) => (await run(Q.tempConsume, now, id, now)) === 1,
      deleteByResource: (scope: string, resourceId: string) => run(Q.tempDeleteByResource, scope, resourceId),
      deleteExpired: (before: number) => run(Q.tempDeleteExpired, before),
    },
    audit: {
      list: (q: { since: number; userId?: string; limit: number }) =>
        q.userId ? all(R.toAudit, Q.auditListUser, q.since, q.userId, q.limit) : all(R.toAudit, Q.auditList, q.since, q.limit),
      deleteBefore: (time: number) => run(Q.auditDeleteBefore, time),
      search: (q: AuditQuery) => {
        const f = (v: string | undefined) => [v ?? null, v ?? null];
        return all(
          R.toAudit,
          Q.auditSearch,
          q.since,
          q.until ?? Number.MAX_SAFE_INTEGER,
          ...f(q.userId),
          ...f(q.clientId),
          ...f(q.event),
          q.limit,
          q.offset ?? 0,
        );
      },
    },
    stats: async (now: number): Promise<StoreStats> => {
      const r = (await x.one(Q.stats, now, now, now))!;
      return {
        users: Number(r.users),
        clients: Number(r.clients),
        sessions: Number(r.sessions),
        families: Number(r.families),
        deviceCodes: Number(r.device_codes),
      };
    },
    rateLimits: {
      hit: async (key: string, windowS: number, now: number) => {
        const r = (await x.one(Q.rateHit, key, now, now - windowS, now - windowS))!;
        return { count: Number(r.count), windowStart: Number(r.window_start) };
      },
      peek: async (key: string, windowS: number, now: number) => {
        const r = await x.one(Q.ratePeek, key, now - windowS);
        return r ? { count: Number(r.count), windowStart: Number(r.window_start) } : null;
      },
      reset: async (key: string) => void (await run(Q.rateReset, key)),
    },
    usedJtis: {
      use: async (key: string, expiresAt: number, now: number) => (await x.one(Q.jtiUse, key, expiresAt, now)) !== null,
    },
    upstreamLogins: {
      insert: async (r: UpstreamLoginRow) => void (await run(Q.upstreamInsert, ...R.upstreamLoginParams(r))),
      take: (stateHash: string, now: number) => one(R.toUpstreamLogin, Q.upstreamTake, stateHash, now),
    },
  };
}
