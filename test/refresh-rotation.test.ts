// Refresh tokens (RFC 6749 §6, RFC 9700 §4.14): single use, rotating, one family per grant with one live
// token, bound to the client, sliding lifetime; a rotated token retried within REFRESH_REUSE_GRACE while its
// successor is unused gets a fresh pair replacing that successor; any other reuse revokes the whole family.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeJwt } from 'jose';
import { addClient, addUser, basic, Browser, codeFrom, pkcePair, postForm } from './helpers/oauth.ts';
import { rawQuery } from './helpers/db.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { parseSecret } from '../src/security/token-format.ts';
import { revocationKeys } from '../src/domain/tokens.ts';

let srv: TestServer;
let alice: Awaited<ReturnType<typeof addUser>>;
let app: Awaited<ReturnType<typeof addClient>>;
let other: Awaited<ReturnType<typeof addClient>>;
const CB = 'https://app.example/callback';

beforeAll(async () => {
  srv = await startTestServer({ RESOURCES: 'https://a.example https://b.example', REFRESH_REUSE_GRACE: '10s' });
  alice = await addUser(srv, 'alice');
  app = await addClient(srv, { name: 'App', redirectUris: [CB], firstParty: true });
  other = await addClient(srv, { name: 'Other', redirectUris: [CB], firstParty: true });
});
afterAll(() => srv.close());

const auth = () => basic(app.client.id, app.secret!);
const refresh = (rt: string, extra: Record<string, string | string[]> = {}, headers = auth()) =>
  postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: rt, ...extra }, headers);

async function grant(scope = 'openid email profile', resource: string[] = ['https://a.example', 'https://b.example']) {
  const b = new Browser(srv.base);
  await b.login('alice', alice.password);
  const { verifier, challenge } = pkcePair();
  const res = await b.authorize({
    response_type: 'code',
    client_id: app.client.id,
    redirect_uri: CB,
    scope,
    resource,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const t = await postForm(
    `${srv.base}/token`,
    { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier },
    auth(),
  );
  return (await t.json()) as { access_token: string; refresh_token: string; scope: string };
}

describe('rotation', () => {
  test('a refresh returns a new pair; the family, client and user stay the same', async () => {
    const first = await grant();
    const r = await refresh(first.refresh_token);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const next = await r.json();
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(next.access_token)).toMatchObject({ sub: alice.id, client_id: app.client.id, scope: 'openid email profile' });
    const a = await srv.deps.store.refresh.get(parseSecret('rt_', first.refresh_token)!.id);
    const b = await srv.deps.store.refresh.get(parseSecret('rt_', next.refresh_token)!.id);
    expect(b!.familyId).toBe(a!.familyId);
    expect(a!.consumedAt).not.toBeNull();
  });

  test('the lifetime slides: each rotation starts REFRESH_TOKEN_TTL again', async () => {
    let t = await grant();
    for (let i = 0; i < 3; i++) {
      srv.clock.advance(20 * 86400); // 20 days, three times: 60 days > 30-day TTL
      const r = await refresh(t.refresh_token);
      expect(r.status).toBe(200);
      t = await r.json();
    }
    srv.clock.advance(31 * 86400);
    expect((await (await refresh(t.refresh_token)).json()).error_description).toBe('the refresh token has expired');
  });

  test('a retry within the grace gets a fresh pair whose refresh token replaces the unused successor (lost response)', async () => {
    const first = await grant();
    const a = await (await refresh(first.refresh_token)).json();
    srv.clock.advance(5);
    const again = await refresh(first.refresh_token);
    expect(again.status).toBe(200);
    const b = await again.json();
    expect(b.refresh_token).not.toBe(a.refresh_token);
    // The family holds one live token: b. It rotates; a, the replaced successor, now counts as reuse.
    const c = await refresh(b.refresh_token);
    expect(c.status).toBe(200);
    const cBody = await c.json();
    const replaced = await refresh(a.refresh_token);
    expect(await replaced.json()).toEqual({ error: 'invalid_grant', error_description: 'the refresh token was already used; its grant is revoked' });
    expect((await (await refresh(cBody.refresh_token)).json()).error_description).toBe('the refresh token was revoked');
  });

  test('redeeming a replaced successor first revokes the family, the replacement included', async () => {
    const first = await grant();
    const a = await (await refresh(first.refresh_token)).json();
    const b = await (await refresh(first.refresh_token)).json(); // a retry: b replaces a
    expect((await (await refresh(a.refresh_token)).json()).error).toBe('invalid_grant');
    expect((await (await refresh(b.refresh_token)).json()).error_description).toBe('the refresh token was revoked');
    expect(await srv.deps.store.revokedAccessTokens.has(revocationKeys(decodeJwt(b.access_token).jti!))).toBe(true);
  });

  test('a retry within the grace after its successor was used is a reuse: the family is revoked', async () => {
    const first = await grant();
    const a = await (await refresh(first.refresh_token)).json();
    const b = await (await refresh(a.refresh_token)).json();
    srv.clock.advance(2);
    const late = await refresh(first.refresh_token);
    expect(late.status).toBe(400);
    expect((await late.json()).error_description).toBe('the refresh token was already used; its grant is revoked');
    expect((await (await refresh(b.refresh_token)).json()).error_description).toBe('the refresh token was revoked');
  });

  test('a family from before migration 10 (no live token recorded) keeps its grace, then has one live token', async () => {
    const first = await grant();
    const a = await (await refresh(first.refresh_token)).json();
    const familyId = (await srv.deps.store.refresh.get(parseSecret('rt_', first.refresh_token)!.id))!.familyId;
    await rawQuery(srv.deps.store, 'UPDATE refresh_families SET live_token_id = NULL, live_parent_id = NULL WHERE id = ?', familyId);
    const retry = await refresh(first.refresh_token);
    expect(retry.status).toBe(200);
    const b = await retry.json();
    expect((await srv.deps.store.refresh.getFamily(familyId))!.liveTokenId).toBe(parseSecret('rt_', b.refresh_token)!.id);
    expect((await (await refresh(a.refresh_token)).json()).error).toBe('invalid_grant'); // replaced: reuse
  });

  test('twenty parallel retries within the grace: distinct successors, and exactly one of them redeemable', async () => {
    const first = await grant();
    await refresh(first.refresh_token);
    const retries = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token)));
    expect(retries.map((r) => r.status)).toEqual(Array(20).fill(200));
    const successors = await Promise.all(retries.map(async (r) => (await r.json()).refresh_token as string));
    expect(new Set(successors).size).toBe(20);
    // One live token in the family: exactly the last replacement; every other successor is refused.
    const familyId = (await srv.deps.store.refresh.get(parseSecret('rt_', first.refresh_token)!.id))!.familyId;
    const live = (await srv.deps.store.refresh.getFamily(familyId))!.liveTokenId;
    expect(successors.filter((s) => parseSecret('rt_', s)!.id === live).length).toBe(1);
    // Redeemed all at once (a thief racing the client): at most one wins, and the reuse revokes the family.
    const outcomes = await Promise.all(successors.map((s) => refresh(s)));
    expect(outcomes.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect((await srv.deps.store.refresh.getFamily(familyId))!.revokedAt).not.toBeNull();
  });

  test('reuse after the grace period revokes the whole family, successors included', async () => {
    const first = await grant();
    const a = await (await refresh(first.refresh_token)).json();
    srv.clock.advance(11);
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(400);
    expect((await reuse.json()).error).toBe('invalid_grant');
    const successor = await refresh(a.refresh_token);
    expect(await successor.json()).toEqual({ error: 'invalid_grant', error_description: 'the refresh token was revoked' });
    // The access token minted with the successor is remembered as revoked (for introspection).
    expect(await srv.deps.store.revokedAccessTokens.has(revocationKeys(decodeJwt(a.access_token).jti!))).toBe(true);
    expect(srv.logs.some((l) => l.includes('refresh token reuse detected'))).toBe(true);
  });

  test('with REFRESH_REUSE_GRACE=0 any reuse revokes the family (strict)', async () => {
    const strict = await startTestServer({ REFRESH_REUSE_GRACE: '0' });
    try {
      const c = await addClient(strict, { name: 'S', redirectUris: [CB], firstParty: true });
      await addUser(strict, 'bob', 'bob password!');
      const b = new Browser(strict.base);
      await b.login('bob', 'bob password!');
      const { verifier, challenge } = pkcePair();
      const res = await b.authorize({
        response_type: 'code',
        client_id: c.client.id,
        redirect_uri: CB,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const t = await (
        await postForm(
          `${strict.base}/token`,
          { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier },
          basic(c.client.id, c.secret!),
        )
      ).json();
      const next = await (
        await postForm(`${strict.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(c.client.id, c.secret!))
      ).json();
      const reuse = await postForm(`${strict.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(c.client.id, c.secret!));
      expect(reuse.status).toBe(400);
      expect(
        (await postForm(`${strict.base}/token`, { grant_type: 'refresh_token', refresh_token: next.refresh_token }, basic(c.client.id, c.secret!))).status,
      ).toBe(400);
    } finally {
      await strict.close();
    }
  });

  test('ten concurrent refreshes of one token all succeed within the grace and stay in one family', async () => {
    const first = await grant();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(first.refresh_token)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const tokens = await Promise.all(results.map((r) => r.json()));
    const families = new Set(await Promise.all(tokens.map(async (t) => (await srv.deps.store.refresh.get(parseSecret('rt_', t.refresh_token)!.id))!.familyId)));
    expect(families.size).toBe(1);
  });
});

describe('binding and narrowing', () => {
  test('another client cannot use the token, and its attempt does not consume it', async () => {
    const t = await grant();
    const r = await refresh(t.refresh_token, {}, basic(other.client.id, other.secret!));
    expect(await r.json()).toEqual({ error: 'invalid_grant', error_description: 'the refresh token was issued to another client' });
    expect((await refresh(t.refresh_token)).status).toBe(200);
  });

  test('a confidential client must authenticate to refresh', async () => {
    const t = await grant();
    const r = await refresh(t.refresh_token, { client_id: app.client.id }, {});
    expect(r.status).toBe(401);
    expect((await refresh(t.refresh_token)).status).toBe(200);
  });

  test('scope may be narrowed for one access token, never widened; the family keeps the full grant', async () => {
    const t = await grant('openid email');
    const narrow = await (await refresh(t.refresh_token, { scope: 'openid' })).json();
    expect(narrow.scope).toBe('openid');
    expect(decodeJwt(narrow.access_token).scope).toBe('openid');
    const wide = await refresh(narrow.refresh_token, { scope: 'openid email profile' });
    expect((await wide.json()).error).toBe('invalid_scope');
    const full = await (await refresh(narrow.refresh_token)).json();
    expect(full.scope).toBe('openid email');
  });

  test('resource may be narrowed to one of the granted ones (RFC 8707 §2.2), not widened', async () => {
    const t = await grant('openid', ['https://a.example']);
    const r = await refresh(t.refresh_token, { resource: 'https://b.example' });
    expect((await r.json()).error).toBe('invalid_target');
    const t2 = await grant('openid', ['https://a.example', 'https://b.example']);
    const one = await (await refresh(t2.refresh_token, { resource: 'https://b.example' })).json();
    expect(decodeJwt(one.access_token).aud).toBe('https://b.example');
  });

  test('unknown, malformed and missing refresh tokens', async () => {
    for (const rt of ['rt_nope', 'garbage', `rt_${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      expect((await (await refresh(rt)).json()).error).toBe('invalid_grant');
    }
    expect((await (await postForm(`${srv.base}/token`, { grant_type: 'refresh_token' }, auth())).json()).error).toBe('invalid_request');
  });

  test('removing the user ends the family', async () => {
    await addUser(srv, 'carol', 'carol password');
    const b = new Browser(srv.base);
    await b.login('carol', 'carol password');
    const { verifier, challenge } = pkcePair();
    const res = await b.authorize({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: CB,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const t = await (
      await postForm(`${srv.base}/token`, { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier }, auth())
    ).json();
    await srv.deps.store.users.remove('carol');
    expect((await (await refresh(t.refresh_token)).json()).error).toBe('invalid_grant');
  });
});
