// Signing keys (RFC 9068, RFC 7517): created on first start, kept in the store, rotated with
// `auth keys rotate`; old keys stay published until their tokens expire.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { join } from 'node:path';
import { rotateSigningKey } from '../src/domain/keys.ts';
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
