// Signing keys (RFC 9068, RFC 7517): created on first start, kept in the store, rotated with
// `auth keys rotate`; old keys stay published until their tokens expire.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { join } from 'node:path';
import { KeyRing, rotateSigningKey } from '../src/domain/keys.ts';
import { addIdToken } from '../src/domain/tokens.ts';
import { createClient } from '../src/domain/clients.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger, type Logger, silentLogger } from '../src/log.ts';
import { startServer } from '../src/server.ts';
import { openSqlite, type SqliteStore } from '../src/store/sqlite/store.ts';
import { TestClock } from './helpers/clock.ts';
import { addClient, basic, postForm } from './helpers/oauth.ts';
import { runAuth } from './helpers/cli.ts';
import { startTestServer, tempDir, type TestServer } from './helpers/server.ts';

let srv: TestServer;
let m2m: Awaited<ReturnType<typeof addClient>>;
beforeAll(async () => {
  srv = await startTestServer();
  m2m = await addClient(srv, { name: 'svc', redirectUris: [], grantTypes: ['client_credentials'] });
});
afterAll(() => srv.close());

const issue = async () =>
  (await (await postForm(`${srv.base}/token`, { grant_type: 'client_credentials' }, basic(m2m.client.id, m2m.secret!))).json()).access_token as string;
const jwks = async () => (await (await fetch(`${srv.base}/jwks.json`)).json()) as { keys: { kid: string; alg: string }[] };
/** The access-token keys of the set (the RS256 key signs ID tokens and rotates on its own). */
const accessKids = (set: { keys: { kid: string; alg: string }[] }) => set.keys.filter((k) => k.alg !== 'RS256').map((k) => k.kid);

describe('key rotation', () => {
  test('after rotation new tokens use the new key; the old key stays published until its tokens expire', async () => {
    const before = await issue();
    const oldKid = decodeProtectedHeader(before).kid!;
    const row = await rotateSigningKey(srv.deps.store, srv.clock, 'ES256', srv.deps.config.accessTokenTtl);
    await srv.deps.keys.load('ES256'); // what the 30 s reload timer does
    const after = await issue();
    expect(decodeProtectedHeader(after).kid).toBe(row.kid);
    const set = await jwks();
    expect(accessKids(set)).toEqual([row.kid, oldKid]);
    // Both tokens verify against the published set.
    const local = createLocalJWKSet(set as never);
    for (const t of [before, after]) await jwtVerify(t, local, { issuer: srv.base, currentDate: new Date(srv.clock.nowMs()) });
    // After the old tokens' lifetime (+5 min) the old key is no longer published.
    srv.clock.advance(3600 + 301);
    await srv.deps.keys.load('ES256');
    expect(accessKids(await jwks())).toEqual([row.kid]);
  });

  test('a token signed by an unpublished key, or with another typ, does not verify', async () => {
    const t = await issue();
    const [h, p, s] = t.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...header, typ: 'JWT' })).toString('base64url')}.${p}.${s}`;
    expect(await srv.deps.keys.verifyAccessToken(forged)).toBeNull();
    expect(await srv.deps.keys.verifyAccessToken(t)).not.toBeNull();
    expect(await srv.deps.keys.verifyAccessToken('not.a.jwt')).toBeNull();
  });

  test('segments that are not base64url, JSON or a 64-byte signature do not verify (and do not throw)', async () => {
    const t = await issue();
    const [h, p, s] = t.split('.') as [string, string, string];
    const bad = [
      `${h}x.${p}.${s}`, // a header of 4n+1 characters is not base64 at all
      `${h}.${p}.${s}x`,
      `${h}.${p}.${s.slice(0, -4)}`, // 61 bytes of signature
      `${Buffer.from('{"alg":').toString('base64url')}.${p}.${s}`, // not JSON
      `${h}.${Buffer.from('[1,2]').toString('base64url')}.${s}`, // JSON, not an object (and a wrong signature)
      `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`, // the signature changed (its first 6 bits: the last character also carries padding bits)
    ];
    for (const token of bad) expect(await srv.deps.keys.verifyAccessToken(token)).toBeNull();
    // Non-ASCII claims round-trip: the payload is UTF-8 (RFC 7519 §7.1) and the signature covers its bytes.
    const signed = srv.deps.keys.signAccessToken({ sub: 'usér-✓', client_id: 'c', scope: 'a', aud: 'https://api.example', jti: 'j' });
    const back = await srv.deps.keys.verifyAccessToken(signed.token);
    expect(back?.sub).toBe('usér-✓');
    const set = await jwks();
    const { payload } = await jwtVerify(signed.token, createLocalJWKSet(set as never), { issuer: srv.base, currentDate: new Date(srv.clock.nowMs()) });
    expect(payload.sub).toBe('usér-✓');
  });

  test('EdDSA keys work when SIGNING_ALG=EdDSA', async () => {
    const ed = await startTestServer({ SIGNING_ALG: 'EdDSA' });
    try {
      const c = await addClient(ed, { name: 'svc', redirectUris: [], grantTypes: ['client_credentials'] });
      const t = (await (await postForm(`${ed.base}/token`, { grant_type: 'client_credentials' }, basic(c.client.id, c.secret!))).json()).access_token;
      expect(decodeProtectedHeader(t).alg).toBe('EdDSA');
      const set = await (await fetch(`${ed.base}/jwks.json`)).json();
      await jwtVerify(t, createLocalJWKSet(set), { issuer: ed.base, currentDate: new Date(ed.clock.nowMs()) });
    } finally {
      await ed.close();
    }
  });
});

describe('auth keys (CLI)', () => {
  test('keys list shows the signing keys; keys rotate adds one of each kind and keeps the old ones published', async () => {
    const d = tempDir();
    const env = { DATA_DIR: d };
    expect((await runAuth(['migrate'], { env })).code).toBe(0);
    const empty = await runAuth(['keys', 'list', '--json'], { env });
    expect(JSON.parse(empty.stdout)).toEqual([]);
    expect((await runAuth(['keys', 'rotate'], { env })).code).toBe(0);
    const r = await runAuth(['keys', 'rotate'], { env });
    expect(r.stdout).toContain('new signing key');
    const keys = JSON.parse((await runAuth(['keys', 'list', '--json'], { env })).stdout) as { status: string; alg: string; published_until: string | null }[];
    // Two rotations of both kinds: the access-token key (ES256) and the ID-token key (RS256).
    expect(keys.map((k) => `${k.status} ${k.alg}`).sort()).toEqual(['published ES256', 'published RS256', 'signing ES256', 'signing RS256']);
    expect(keys.filter((k) => k.status === 'published').every((k) => k.published_until !== null)).toBe(true);
    expect((await runAuth(['keys', 'spin'], { env })).code).toBe(2);
    expect(join(d, 'auth.db')).toBeTruthy();
  });
});

describe("a fresh server's first ID-token key", () => {
  // The RS256 key takes 30–130 ms to generate: a server on a fresh database answers first and makes it on a
  // worker thread; the JWKS and ID tokens wait for it.
  /** The real server on port 0 with its data in `dir` (a fresh one by default). */
  const startIn = (dir: string, log: Logger = silentLogger) =>
    startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', BASE_URL: 'http://127.0.0.1:0', DATA_DIR: dir }), log);
  /** `startIn` keeping the server's log lines. */
  const startLogged = async (dir: string) => {
    const lines: string[] = [];
    const running = await startIn(
      dir,
      createLogger('debug', 'json', (l) => lines.push(l)),
    );
    return { running, lines };
  };
  /**
   * A data directory whose database is migrated and holds a user, so no first-admin seeding (an argon2 hash)
   * runs at start; `prepare` gets the database before the server opens it.
   */
  const dirWithUser = async (prepare?: (db: SqliteStore['db']) => void) => {
    const dir = tempDir();
    const before = openSqlite(join(dir, 'auth.db'));
    await before.migrate();
    await before.users.insert({ id: 'u0', username: 'root', email: null, emailVerified: false, passwordHash: null, isAdmin: true, createdAt: 0 });
    prepare?.(before.db);
    await before.close();
    return dir;
  };
  test('KeyRing.load with deferIdKey returns before the RS256 key exists; idKeyPending resolves once it does', async () => {
    const store = openSqlite(join(tempDir(), 'auth.db'));
    await store.migrate();
    const ring = new KeyRing(store, new TestClock(), 'http://issuer.example', 3600);
    await ring.load('ES256', { deferIdKey: true });
    const pending = ring.idKeyPending;
    expect(pending).not.toBeNull();
    expect((JSON.parse(ring.jwksJson()).keys as { alg: string }[]).map((k) => k.alg)).toEqual(['ES256']);
    expect(() => ring.signIdToken({ sub: 'u' })).toThrow('no RS256 signing key loaded');
    expect(ring.signAccessToken({ sub: 'c', client_id: 'c', scope: '', aud: 'x', jti: 'j' }).token).toContain('.'); // access tokens at once
    await pending;
    expect(ring.idKeyPending).toBeNull();
    expect((JSON.parse(ring.jwksJson()).keys as { alg: string }[]).map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(decodeProtectedHeader(ring.signIdToken({ sub: 'u' })).alg).toBe('RS256');
    // A later load finds both keys and starts nothing.
    await ring.load('ES256', { deferIdKey: true });
    expect(ring.idKeyPending).toBeNull();
    await store.close();
  });

  test('over HTTP: the server answers before the key exists, and its first JWKS already holds the RS256 key', async () => {
    const running = await startIn(tempDir());
    try {
      expect(running.deps.keys.idKeyPending).not.toBeNull(); // started without it
      expect((await fetch(`${running.deps.config.baseUrl}/health`)).status).toBe(200);
      const set = (await (await fetch(`${running.deps.config.baseUrl}/jwks.json`)).json()) as { keys: { alg: string }[] };
      expect(set.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
      expect(running.deps.keys.idKeyPending).toBeNull();
    } finally {
      await running.seeded;
      await running.stop(1);
    }
  });

  test('the first ID-token key cannot be stored: the JWKS answers 503 or the ES256 key alone, the failure is logged, the key reload makes it', async () => {
    // The database refuses the RS256 key with SQLite's message for a full disk (a store that cannot serve: 503).
    const dir = await dirWithUser((db) =>
      db.exec("CREATE TRIGGER refuse_rs256 BEFORE INSERT ON signing_keys WHEN NEW.alg = 'RS256' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"),
    );
    const { running, lines } = await startLogged(dir);
    const algs = async (r: Response) => ((await r.json()) as { keys: { alg: string }[] }).keys.map((k) => k.alg).sort();
    try {
      const { deps } = running;
      const jwks = () => fetch(`${deps.config.baseUrl}/jwks.json`);
      const pending = deps.keys.idKeyPending;
      // Asked while the key is being made (as it is here, RSA key generation taking tens of ms), the JWKS
      // waits for it and fails with it: 503, retry. Asked after the failure, it lists the ES256 key alone.
      // Which one depends on the machine's speed; a 500 or a set without the ES256 key is never right.
      const early = await jwks();
      if (early.status === 503) expect(await early.json()).toMatchObject({ error: 'temporarily_unavailable' });
      else expect([early.status, await algs(early)]).toEqual([200, ['ES256']]);
      await pending?.catch(() => {});
      expect(deps.keys.idKeyPending).toBeNull();
      expect(lines.filter((l) => /"level":"error".*generating the ID-token signing key failed/.test(l))).toHaveLength(1);
      // The server goes on: access tokens are signed with the ES256 key, which the JWKS lists alone.
      const after = await jwks();
      expect(after.status).toBe(200);
      expect(await algs(after)).toEqual(['ES256']);
      expect((await fetch(`${deps.config.baseUrl}/health`)).status).toBe(200);
      // Once the database takes it, the key reload (every 30 s, server.ts) makes the key.
      (deps.store as SqliteStore).db.exec('DROP TRIGGER refuse_rs256');
      await deps.keys.load(deps.config.signingAlg);
      expect(await algs(await jwks())).toEqual(['ES256', 'RS256']);
    } finally {
      await running.stop(1);
    }
  });

  test('stopped while the key is being made: the stop waits for it, it is stored, and nothing fails', async () => {
    const dir = await dirWithUser();
    const { running, lines } = await startLogged(dir);
    expect(running.deps.keys.idKeyPending).not.toBeNull();
    await running.stop(1);
    expect(lines.filter((l) => /"level":"error"/.test(l))).toEqual([]);
    const store = openSqlite(join(dir, 'auth.db'));
    expect((await store.keys.listPublished(Math.floor(Date.now() / 1000))).map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    await store.close();
  });

  test('an ID token asked for before the key exists waits for it, then verifies against the JWKS', async () => {
    const running = await startIn(tempDir());
    try {
      const { deps } = running;
      expect(deps.keys.idKeyPending).not.toBeNull();
      const user = { id: 'u-early', username: 'early', email: null, emailVerified: false, passwordHash: null, isAdmin: false, createdAt: 0 };
      await deps.store.users.insert(user);
      const { client } = await createClient(deps, { name: 'early', redirectUris: ['https://app.example/cb'], isPublic: false });
      const response = { access_token: 'at', token_type: 'Bearer' as const, expires_in: 60, scope: 'openid' };
      await addIdToken(deps, response, { client, userId: user.id, authTime: 1, oidc: {}, scopes: ['openid'] });
      const set = createLocalJWKSet((await (await fetch(`${deps.config.baseUrl}/jwks.json`)).json()) as never);
      const { payload, protectedHeader } = await jwtVerify((response as { id_token?: string }).id_token!, set, { issuer: deps.config.baseUrl });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload.sub).toBe(user.id);
    } finally {
      await running.seeded;
      await running.stop(1);
    }
  });
});
