// The store contract: every Store implementation must pass this suite (SQLite now; PostgreSQL later).
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import type { ClientRow, CodeRow, FamilyRow, RefreshRow, Store } from '../src/store/store.ts';
import { SchemaTooNewError, LATEST_VERSION, MIGRATIONS } from '../src/store/migrations.ts';

export const NOW = 1_800_000_000;

export function client(id = 'c1', over: Partial<ClientRow> = {}): ClientRow {
  return {
    id,
    secretHash: null,
    name: 'Client',
    redirectUris: ['https://app.example/cb'],
    grantTypes: ['authorization_code'],
    scopes: [],
    tokenEndpointAuthMethod: 'none',
    firstParty: false,
    origin: 'operator',
    metadata: {},
    createdAt: NOW,
    lastUsedAt: null,
    ...over,
  };
}

export const user = (id = 'u1') => ({ id, username: id, email: `${id}@example.com`, emailVerified: true, passwordHash: null, isAdmin: false, createdAt: NOW });

const code = (id: string, over: Partial<CodeRow> = {}): CodeRow => ({
  id,
  hash: 'h',
  clientId: 'c1',
  userId: 'u1',
  redirectUri: 'https://app.example/cb',
  codeChallenge: null,
  scope: 'openid',
  resource: [],
  authTime: NOW,
  expiresAt: NOW + 60,
  consumedAt: null,
  issuedFamilyId: null,
  issuedJti: null,
  issuedExp: null,
  ...over,
});

export const family = (id: string): FamilyRow => ({
  id,
  clientId: 'c1',
  userId: 'u1',
  scope: 'openid',
  resource: [],
  authTime: NOW,
  createdAt: NOW,
  revokedAt: null,
  expiresAt: NOW + 1000,
  liveTokenId: null,
  liveParentId: null,
});
export const refresh = (id: string, familyId: string, over: Partial<RefreshRow> = {}): RefreshRow => ({
  id,
  hash: `hash-${id}`,
  familyId,
  scope: 'openid',
  resource: [],
  createdAt: NOW,
  expiresAt: NOW + 1000,
  consumedAt: null,
  lastJti: null,
  lastExp: null,
  ...over,
});

export function storeContract(name: string, open: () => Promise<Store>, rawExec: (s: Store, sql: string) => Promise<void>) {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
      await store.migrate();
      await store.clients.insert(client());
      await store.users.insert(user());
    });
    afterEach(async () => {
      await store.close();
    });

    test('migrations are idempotent: a second run applies nothing', async () => {
      expect(await store.migrate()).toEqual([]);
    });

    test('a database newer than the binary is refused', async () => {
      await rawExec(store, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${LATEST_VERSION + 1}, 'future', 0)`);
      await expect(store.migrate()).rejects.toBeInstanceOf(SchemaTooNewError);
    });

    test('clients round-trip with JSON fields and flags', async () => {
      await store.clients.insert(client('c2', { redirectUris: ['a', 'b'], firstParty: true, metadata: { x: 1 }, secretHash: 'ab' }));
      const c = await store.clients.get('c2');
      expect(c).toMatchObject({ redirectUris: ['a', 'b'], firstParty: true, metadata: { x: 1 }, secretHash: 'ab' });
      expect(await store.clients.setSecretHash('c2', 'cd')).toBe(true);
      expect((await store.clients.get('c2'))!.secretHash).toBe('cd');
      await store.clients.touch('c2', NOW + 5);
      expect((await store.clients.get('c2'))!.lastUsedAt).toBe(NOW + 5);
      expect((await store.clients.list()).map((x) => x.id).filter((id) => id !== 'auth-cli')).toEqual(['c1', 'c2']);
      expect(await store.clients.remove('c2')).toBe(true);
      expect(await store.clients.remove('c2')).toBe(false);
      expect(await store.clients.get('c2')).toBeNull();
    });

    test('duplicate usernames are refused', async () => {
      await expect(store.users.insert({ ...user('u2'), username: 'u1' })).rejects.toThrow();
    });

    test('identities link by (provider, subject); verified email lookup ignores unverified', async () => {
      await store.users.linkIdentity('oidc', 'sub-1', 'u1', 'u1@example.com', NOW);
      expect((await store.users.getByIdentity('oidc', 'sub-1'))!.id).toBe('u1');
      expect(await store.users.getByIdentity('oidc', 'sub-2')).toBeNull();
      expect((await store.users.getByVerifiedEmail('U1@EXAMPLE.com'))!.id).toBe('u1');
      await store.users.insert({ ...user('u3'), email: 'x@example.com', emailVerified: false });
      expect(await store.users.getByVerifiedEmail('x@example.com')).toBeNull();
    });

    test('an authorization code is consumed exactly once, even by concurrent callers', async () => {
      await store.codes.insert(code('k1'));
      const none = { jti: 'j', exp: NOW + 60, family: null };
      const results = await Promise.all(Array.from({ length: 10 }, () => store.codes.redeem('k1', NOW, none)));
      expect(results.filter(Boolean).length).toBe(1);
      expect(await store.codes.redeem('k1', NOW, none)).toBe(false);
    });

    test('an expired code cannot be consumed', async () => {
      await store.codes.insert(code('k2', { expiresAt: NOW - 1 }));
      expect(await store.codes.redeem('k2', NOW, { jti: 'j', exp: NOW + 60, family: null })).toBe(false);
    });

    test('redeeming a code creates its refresh family and records what was issued, once', async () => {
      await store.codes.insert(code('k3'));
      const issued = (n: string) => ({ jti: `jti-${n}`, exp: NOW + 60, family: { row: family(`fam-${n}`), first: refresh(`rt-${n}`, `fam-${n}`) } });
      const results = await Promise.all(['a', 'b', 'c'].map((n) => store.codes.redeem('k3', NOW, issued(n))));
      expect(results.filter(Boolean).length).toBe(1);
      const winner = ['a', 'b', 'c'][results.findIndex(Boolean)]!;
      const row = (await store.codes.get('k3'))!;
      expect(row.consumedAt).toBe(NOW);
      expect(row.issuedFamilyId).toBe(`fam-${winner}`);
      expect(row.issuedJti).toBe(`jti-${winner}`);
      expect(await store.refresh.getFamily(`fam-${winner}`)).not.toBeNull();
      expect((await store.refresh.get(`rt-${winner}`))!.familyId).toBe(`fam-${winner}`);
      // The losers wrote nothing.
      for (const n of ['a', 'b', 'c'].filter((x) => x !== winner)) {
        expect(await store.refresh.getFamily(`fam-${n}`)).toBeNull();
        expect(await store.refresh.get(`rt-${n}`)).toBeNull();
      }
    });

    test('refresh rotation has one winner and slides the family expiry', async () => {
      await store.refresh.insertFamily(family('f1'), refresh('r1', 'f1'));
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.refresh.rotate('r1', NOW, refresh(`r1-next-${i}`, 'f1'), NOW + 5000)));
      expect(outcomes.filter(Boolean).length).toBe(1);
      expect((await store.refresh.get('r1'))!.consumedAt).toBe(NOW);
      const family1 = (await store.refresh.getFamily('f1'))!;
      expect(family1.expiresAt).toBe(NOW + 5000);
      // The winner's token is the family's live one; the losers wrote nothing.
      const winner = outcomes.findIndex(Boolean);
      expect(family1.liveTokenId).toBe(`r1-next-${winner}`);
      for (let i = 0; i < 10; i++) {
        if (i === winner) expect((await store.refresh.get(`r1-next-${i}`))!.familyId).toBe('f1');
        else expect(await store.refresh.get(`r1-next-${i}`)).toBeNull();
      }
    });

    // Many requests in one event-loop turn: SQLite group-commits them, PostgreSQL sends the turn's reads and
    // rotations as one statement each (store/turn-batch.ts). Every caller still gets its own answer.
    test('rotations of many families in one turn: each rotates once, a token presented twice in it rotates once', async () => {
      for (let i = 0; i < 20; i++) await store.refresh.insertFamily({ ...family(`m${i}`), liveTokenId: `m${i}-0` }, refresh(`m${i}-0`, `m${i}`));
      const tries = Array.from({ length: 30 }, (_, k) => ({ i: k % 20, k }));
      const outcomes = await Promise.all(tries.map(({ i, k }) => store.refresh.rotate(`m${i}-0`, NOW + 1, refresh(`m${i}-n${k}`, `m${i}`), NOW + 4000)));
      for (let i = 0; i < 20; i++) {
        const won = tries.filter((t, n) => t.i === i && outcomes[n]);
        expect(won.length).toBe(1);
        const f = (await store.refresh.getFamily(`m${i}`))!;
        expect(f).toMatchObject({ liveTokenId: `m${i}-n${won[0]!.k}`, liveParentId: `m${i}-0`, expiresAt: NOW + 4000 });
        for (const t of tries.filter((x) => x.i === i && x.k !== won[0]!.k)) expect(await store.refresh.get(`m${i}-n${t.k}`)).toBeNull();
      }
    });

    test('a rotation refused in its turn fails alone; the others of that turn rotate', async () => {
      for (const id of ['x1', 'x2', 'x3']) await store.refresh.insertFamily({ ...family(`fx-${id}`), liveTokenId: id }, refresh(id, `fx-${id}`));
      // x2's successor takes an id that exists (x3): the database refuses that insert.
      const outcomes = await Promise.allSettled([
        store.refresh.rotate('x1', NOW, refresh('x1b', 'fx-x1'), NOW + 2000),
        store.refresh.rotate('x2', NOW, refresh('x3', 'fx-x2'), NOW + 2000),
        store.refresh.rotate('x3', NOW, refresh('x3b', 'fx-x3'), NOW + 2000),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual([true, true]);
      expect((await store.refresh.get('x2'))!.consumedAt).toBeNull(); // nothing of x2's rotation stayed
      expect((await store.refresh.getFamily('fx-x2'))!.liveTokenId).toBe('x2');
      expect((await store.refresh.getFamily('fx-x3'))!.liveTokenId).toBe('x3b');
      expect(await store.refresh.rotate('x2', NOW + 1, refresh('x2b', 'fx-x2'), NOW + 2000)).toBe(true);
    });

    test('reads of many tokens in one turn: each caller gets its own answer', async () => {
      await store.refresh.insertFamily(family('fr1'), refresh('rr1', 'fr1'));
      await store.refresh.insertFamily({ ...family('fr2'), clientId: 'c1', scope: 'b' }, refresh('rr2', 'fr2', { scope: 'b' }));
      await store.revokedAccessTokens.add('gone-1', NOW + 100);
      await store.revokedAccessTokens.add('fr2.*', NOW + 100);
      const ids = ['rr1', 'missing', 'rr2', 'rr1'];
      const found = await Promise.all(ids.map((id) => store.refresh.getWithFamily(id)));
      expect(found.map((f) => f && [f.row.id, f.family.id, f.family.scope])).toEqual([
        ['rr1', 'fr1', 'openid'],
        null,
        ['rr2', 'fr2', 'b'],
        ['rr1', 'fr1', 'openid'],
      ]);
      const asked: ([string] | [string, string])[] = [['gone-1'], ['kept'], ['fr1.x', 'fr1.*'], ['fr2.x', 'fr2.*'], ['gone-1']];
      expect(await Promise.all(asked.map((k) => store.revokedAccessTokens.has(k)))).toEqual([true, false, false, true, true]);
    });

    test('one live token per family: a rotation makes the new token live; a retry of its parent replaces it, once per retry', async () => {
      await store.refresh.insertFamily({ ...family('f9'), liveTokenId: 'r9' }, refresh('r9', 'f9'));
      expect(await store.refresh.rotate('r9', NOW, refresh('r9a', 'f9'), NOW + 2000)).toBe(true);
      expect(await store.refresh.getFamily('f9')).toMatchObject({ liveTokenId: 'r9a', liveParentId: 'r9', expiresAt: NOW + 2000 });
      // Twenty concurrent retries of r9: each replaces the one before; exactly one successor ends up live.
      const retries = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.refresh.replaceLive('r9', refresh(`r9-retry-${i}`, 'f9'), NOW + 1, NOW + 3000)),
      );
      expect(retries.every(Boolean)).toBe(true);
      const live = (await store.refresh.getFamily('f9'))!;
      expect(live.liveParentId).toBe('r9');
      expect(live.liveTokenId).toMatch(/^r9-retry-\d+$/);
      // A replaced successor (unconsumed) cannot rotate; the live one can, once.
      expect(await store.refresh.rotate('r9a', NOW + 2, refresh('r9x', 'f9'), NOW + 3000)).toBe(false);
      for (const i of Array.from({ length: 20 }, (_, k) => k)) {
        if (`r9-retry-${i}` !== live.liveTokenId)
          expect(await store.refresh.rotate(`r9-retry-${i}`, NOW + 2, refresh(`r9y-${i}`, 'f9'), NOW + 3000)).toBe(false);
      }
      expect(await store.refresh.rotate(live.liveTokenId!, NOW + 2, refresh('r9b', 'f9'), NOW + 3000)).toBe(true);
      // Once the successor was used, a retry of the old parent replaces nothing.
      expect(await store.refresh.replaceLive('r9', refresh('r9z', 'f9'), NOW + 3, NOW + 3000)).toBe(false);
      expect(await store.refresh.get('r9z')).toBeNull();
    });

    test('a revoked family cannot rotate; its mark and the access tokens recorded on its old tokens are revoked', async () => {
      const mark = { jti: 'f2.*', expiresAt: NOW + 100 };
      // r2 as minted before migration 9 (last_jti recorded); r2-new as minted since (none).
      await store.refresh.insertFamily(family('f2'), refresh('r2', 'f2', { lastJti: 'jti-2', lastExp: NOW + 100, consumedAt: NOW }));
      expect(await store.refresh.replaceLive('r2', refresh('r2-new', 'f2'), NOW, NOW + 1000)).toBe(true);
      await store.refresh.insertFamily(family('f2-old'), refresh('r2-old', 'f2-old', { lastJti: 'jti-old', lastExp: NOW - 1 }));
      expect(await store.revokedAccessTokens.has(['f2.a', 'f2.*'])).toBe(false);
      expect(await store.refresh.revokeFamily('f2', NOW, mark)).toBe(true);
      expect(await store.refresh.revokeFamily('f2', NOW, mark)).toBe(false);
      expect(await store.refresh.revokeFamily('missing', NOW, { jti: 'missing.*', expiresAt: NOW + 100 })).toBe(false);
      expect(await store.revokedAccessTokens.has(['missing.*'])).toBe(false); // nothing written for it
      expect(await store.revokedAccessTokens.has(['f2.a', 'f2.*'])).toBe(true);
      expect(await store.revokedAccessTokens.has(['f2.a'])).toBe(false); // the mark, not the jti
      expect(await store.revokedAccessTokens.has(['jti-2'])).toBe(true);
      expect(await store.refresh.revokeFamily('f2-old', NOW, { jti: 'f2-old.*', expiresAt: NOW + 100 })).toBe(true);
      expect(await store.revokedAccessTokens.has(['jti-old'])).toBe(false); // expired already: not recorded
      expect(await store.refresh.rotate('r2-new', NOW, refresh('r2b', 'f2'), NOW + 10)).toBe(false);
      expect(await store.refresh.replaceLive('r2', refresh('r2c', 'f2'), NOW, NOW + 10)).toBe(false);
    });

    test('consent upsert replaces the scope; remove deletes', async () => {
      await store.consents.upsert({ userId: 'u1', clientId: 'c1', resource: '', scope: 'a', createdAt: NOW });
      await store.consents.upsert({ userId: 'u1', clientId: 'c1', resource: '', scope: 'a b', createdAt: NOW });
      expect((await store.consents.get('u1', 'c1', ''))!.scope).toBe('a b');
      expect(await store.consents.remove('u1', 'c1')).toBe(1);
    });

    test('signing keys: retired keys stay published until their expiry', async () => {
      const k = (kid: string, createdAt: number) => ({ kid, alg: 'ES256', privateJwk: '{}', publicJwk: '{}', createdAt, retiredAt: null, expiresAt: null });
      expect(await store.keys.insert(k('a', NOW))).toBe(true);
      expect(await store.keys.insert(k('b', NOW + 1))).toBe(false); // one active key at a time
      await store.keys.rotate(k('b', NOW + 1), NOW + 1, NOW + 100);
      const keys = await store.keys.listPublished(NOW + 50);
      expect(keys.map((x) => [x.kid, x.retiredAt])).toEqual([
        ['b', null],
        ['a', NOW + 1],
      ]);
      expect((await store.keys.listPublished(NOW + 101)).map((x) => x.kid)).toEqual(['b']);
    });

    test('upstream login state is taken once and only before expiry', async () => {
      const row = { stateHash: 's', provider: 'oidc', nonce: 'n', codeVerifier: 'v', nextPath: '/', expiresAt: NOW + 10 };
      await store.upstreamLogins.insert(row);
      expect(await store.upstreamLogins.take('s', NOW)).toEqual(row);
      expect(await store.upstreamLogins.take('s', NOW)).toBeNull();
      await store.upstreamLogins.insert({ ...row, stateHash: 't' });
      expect(await store.upstreamLogins.take('t', NOW + 11)).toBeNull();
    });

    test('sweep deletes expired rows and idle dynamic clients only', async () => {
      await store.clients.insert(client('dyn-old', { origin: 'dynamic', createdAt: NOW - 1000 }));
      await store.clients.insert(client('dyn-used', { origin: 'dynamic', createdAt: NOW - 1000, lastUsedAt: NOW }));
      await store.clients.insert(client('op-old', { origin: 'operator', createdAt: NOW - 1000 }));
      await store.sessions.insert({ id: 's1', hash: 'h', userId: 'u1', authTime: NOW, lastSeenAt: NOW, expiresAt: NOW - 1 });
      await store.revokedAccessTokens.add('old', NOW - 1);
      await store.revokedAccessTokens.add('live', NOW + 100);
      const r = await store.sweep(NOW, NOW - 500);
      expect(r.idleClients).toBe(1);
      expect(r.sessions).toBe(1);
      expect(r.revokedAccessTokens).toBe(1);
      expect(await store.clients.get('dyn-old')).toBeNull();
      expect(await store.clients.get('dyn-used')).not.toBeNull();
      expect(await store.clients.get('op-old')).not.toBeNull();
      expect(await store.revokedAccessTokens.has(['live'])).toBe(true);
    });

    test('removing a client removes its refresh families and their tokens', async () => {
      await store.clients.insert(client('c2'));
      await store.refresh.insertFamily({ ...family('f4'), clientId: 'c2', liveTokenId: 'r4' }, refresh('r4', 'f4'));
      expect(await store.refresh.rotate('r4', NOW, refresh('r4b', 'f4'), NOW + 1000)).toBe(true); // r4: the live token's parent
      await store.refresh.insertFamily(family('f5'), refresh('r5', 'f5')); // client c1's: stays
      expect(await store.clients.remove('c2')).toBe(true);
      expect(await store.refresh.getFamily('f4')).toBeNull();
      expect(await store.refresh.get('r4')).toBeNull();
      expect(await store.refresh.get('r4b')).toBeNull();
      expect((await store.refresh.getWithFamily('r5'))?.family.id).toBe('f5');
    });

    test('removing a client with many families: every family and its usable tokens go; rotated ones are refused and swept', async () => {
      await store.clients.insert(client('c3'));
      // More families than one removal batch (SQLite removes them 25 at a time).
      for (let i = 0; i < 60; i++) await store.refresh.insertFamily({ ...family(`g${i}`), clientId: 'c3', liveTokenId: `q${i}` }, refresh(`q${i}`, `g${i}`));
      expect(await store.refresh.rotate('q0', NOW, refresh('q0b', 'g0'), NOW + 1000)).toBe(true);
      expect(await store.refresh.rotate('q0b', NOW + 1, refresh('q0c', 'g0'), NOW + 1000)).toBe(true);
      expect(await store.clients.remove('c3')).toBe(true);
      for (let i = 0; i < 60; i++) expect(await store.refresh.getFamily(`g${i}`)).toBeNull();
      for (const id of ['q1', 'q59', 'q0c']) expect(await store.refresh.get(id)).toBeNull();
      // A token rotated away before the removal stays until its expiry, refused like an unknown one.
      expect(await store.refresh.getWithFamily('q0')).toBeNull();
      expect(await store.clients.get('c3')).toBeNull();
    });

    test('a token whose family is gone is refused, and swept at its own expiry', async () => {
      // A revoked family is swept a day after its revocation; its tokens stay until they expire.
      await store.refresh.insertFamily(family('f6'), refresh('r6', 'f6', { expiresAt: NOW + 200_000 }));
      await store.refresh.revokeFamily('f6', NOW, { jti: 'f6.*', expiresAt: NOW + 86400 });
      const swept = await store.sweep(NOW + 86400 + 2, NOW - 1e9);
      expect(swept.families).toBe(1);
      expect(await store.refresh.getFamily('f6')).toBeNull();
      expect(await store.refresh.get('r6')).not.toBeNull();
      expect(await store.refresh.getWithFamily('r6')).toBeNull(); // what a rotation or introspection reads
      expect(await store.refresh.rotate('r6', NOW + 86400 + 2, refresh('r6b', 'f6'), NOW + 300_000)).toBe(false);
      expect(await store.refresh.replaceLive('r6', refresh('r6c', 'f6'), NOW + 86400 + 2, NOW + 300_000)).toBe(false);
      expect((await store.sweep(NOW + 200_001, NOW - 1e9)).refreshTokens).toBeGreaterThanOrEqual(1);
      expect(await store.refresh.get('r6')).toBeNull();
    });

    test("migration 9 keeps a version-8 database's tokens, and their recorded access tokens revocable", async () => {
      const old = await open(); // empty: brought to version 8 by hand, with rows as version 8 wrote them
      await rawExec(old, 'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of MIGRATIONS.filter((x) => x.version <= 8)) {
        await rawExec(old, m.postgres ?? m.sql);
        await rawExec(old, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, '${m.name}', 0)`);
      }
      await old.clients.insert(client());
      // As version 8 wrote a user (the profile columns came with migration 12).
      await rawExec(
        old,
        `INSERT INTO users (id, username, email, email_verified, password_hash, is_admin, created_at) VALUES ('u1', 'u1', 'u1@example.com', 1, NULL, 0, ${NOW})`,
      );
      await rawExec(
        old,
        `INSERT INTO refresh_families (id, client_id, user_id, scope, resource, auth_time, created_at, revoked_at, expires_at)
        VALUES ('f8', 'c1', 'u1', 'openid', '[]', ${NOW}, ${NOW}, NULL, ${NOW + 1000})`,
      );
      await rawExec(
        old,
        `INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp) VALUES
        ('r8a', 'h', 'f8', 'openid', '[]', ${NOW}, ${NOW + 1000}, ${NOW}, 'jti-8a', ${NOW + 100}),
        ('r8b', 'h', 'f8', 'openid', '[]', ${NOW}, ${NOW + 1000}, NULL, 'jti-8b', ${NOW + 100})`,
      );
      expect(await old.migrate()).toEqual(MIGRATIONS.filter((x) => x.version > 8).map((x) => x.version));
      const found = await old.refresh.getWithFamily('r8b');
      expect(found?.row).toMatchObject({ familyId: 'f8', consumedAt: null, lastJti: 'jti-8b', lastExp: NOW + 100 });
      expect(await old.refresh.rotate('r8b', NOW, refresh('r8c', 'f8'), NOW + 1000)).toBe(true);
      expect(await old.refresh.revokeFamily('f8', NOW, { jti: 'f8.*', expiresAt: NOW + 86400 })).toBe(true);
      for (const jti of ['jti-8a', 'jti-8b']) expect(await old.revokedAccessTokens.has([jti])).toBe(true);
      expect(await old.revokedAccessTokens.has(['f8.x', 'f8.*'])).toBe(true);
      // No foreign key left: a family row can go while its tokens stay (the sweep's order of deletion).
      await rawExec(old, "DELETE FROM refresh_families WHERE id = 'f8'");
      expect(await old.refresh.get('r8c')).not.toBeNull();
      await old.close();
    });

    test('removing a user removes its sessions, consents and grants (foreign keys, and the live tokens by key)', async () => {
      await store.sessions.insert({ id: 's2', hash: 'h', userId: 'u1', authTime: NOW, lastSeenAt: NOW, expiresAt: NOW + 100 });
      await store.refresh.insertFamily({ ...family('f3'), liveTokenId: 'r3' }, refresh('r3', 'f3'));
      expect(await store.users.remove('u1')).toBe(true);
      expect(await store.sessions.get('s2')).toBeNull();
      expect(await store.refresh.get('r3')).toBeNull();
    });

    test('a JWT id is used once until it expires, even by concurrent callers; the sweep removes expired ones', async () => {
      const now = 1_000_000;
      const uses = await Promise.all(Array.from({ length: 20 }, () => store.usedJtis.use('client:c1:j1', now + 60, now)));
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect(await store.usedJtis.use('client:c1:j1', now + 60, now + 59)).toBe(false);
      expect(await store.usedJtis.use('client:c1:j2', now + 60, now)).toBe(true); // another id
      // Past its expiry the id may be used again (the JWT it named can no longer be accepted anyway).
      expect(await store.usedJtis.use('client:c1:j1', now + 200, now + 61)).toBe(true);
      const swept = await store.sweep(now + 10_000, 0);
      expect(swept.usedJtis).toBe(2);
    });

    test('the sweep deletes in bounded batches and reports the longest one', async () => {
      const now = 2_000_000;
      await Promise.all(Array.from({ length: 1_234 }, (_, i) => store.usedJtis.use(`bulk:${i}`, now - 1, now - 10)));
      const swept = await store.sweep(now, 0, now - 86400);
      expect(swept.usedJtis).toBe(1_234);
      expect(swept.batches!).toBeGreaterThanOrEqual(7 + 12); // seven batches of 200 here, at least one for every other kind
      expect(swept.maxBatchMs!).toBeGreaterThan(0);
      expect((await store.sweep(now, 0)).usedJtis).toBe(0);
    });

    test('ping answers', async () => {
      await store.ping();
    });
  });
}
