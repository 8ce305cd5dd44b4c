// DPoP (RFC 9449) end to end: oauth4webapi's DPoP handle against the server (client credentials with the
// nonce round trip, the code flow with dpop_jkt, bound refresh tokens) and then through `auth proxy`; every
// proof defect at the token endpoint, the proxy and userinfo; introspection's cnf; the CLI's DPoP-bound login,
// `auth token --dpop-proof` and `auth curl`.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { nowS } from '../src/clock.ts';
import { BINARY, ensureBinary, spawnServer } from './helpers/cli.ts';
import { addClient, addUser, basic, Browser, pkcePair, postForm } from './helpers/oauth.ts';
import { freePort, startTestServer, tempDir, type TestServer } from './helpers/server.ts';

const INTROSPECTION_TOKEN = 'introspection-secret-0123456789abcdef';
let srv: TestServer; // DPOP_NONCE=true: every proof needs the server's nonce
let plain: TestServer; // no nonces
let svc: Awaited<ReturnType<typeof addClient>>;
let svcPlain: Awaited<ReturnType<typeof addClient>>;

beforeAll(async () => {
  await ensureBinary();
  srv = await startTestServer({ DPOP_NONCE: 'true', INTROSPECTION_TOKEN, DPOP_NONCE_SECRET: 'dpop-nonce-secret-for-tests' }, { liveClock: true });
  plain = await startTestServer({ INTROSPECTION_TOKEN }, { liveClock: true });
  svc = await addClient(srv, { name: 'Service', redirectUris: [], grantTypes: ['client_credentials'] });
  svcPlain = await addClient(plain, { name: 'Service', redirectUris: [], grantTypes: ['client_credentials'], requireDpop: true });
  await addUser(plain, 'dana', 'dana password');
});
afterAll(async () => {
  await srv.close();
  await plain.close();
});

const insecure = { [oauth.allowInsecureRequests]: true };
async function discover(s: TestServer) {
  const issuer = new URL(s.base);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}
/** A request that retries once when the server asks for a nonce (oauth4webapi keeps the nonce in the handle). */
async function withNonce<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (!oauth.isDPoPNonceError(e)) throw e;
    return send();
  }
}
const introspect = async (s: TestServer, t: string) =>
  (await (await postForm(`${s.base}/introspect`, { token: t }, { Authorization: `Bearer ${INTROSPECTION_TOKEN}` })).json()) as Record<string, unknown>;

/** A hand-made proof, for the defects oauth4webapi would never produce. */
async function proof(
  key: CryptoKeyPair,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  signWith: CryptoKey | Uint8Array = key.privateKey,
): Promise<string> {
  const jwk = await exportJWK(key.publicKey);
  return new SignJWT({ jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header } as { alg: string })
    .sign(signWith);
}
const jktOf = async (key: CryptoKeyPair) => calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256');

describe('the authorization server with oauth4webapi', () => {
  test('client credentials: use_dpop_nonce, the retry with the nonce, a DPoP token with cnf.jkt; introspection shows it', async () => {
    const as = await discover(srv);
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'RS256', 'PS256']));
    const key = await oauth.generateKeyPair('ES256');
    const client = { client_id: svc.client.id };
    const DPoP = oauth.DPoP({}, key);
    const first = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(svc.secret!), {}, { DPoP, ...insecure });
    // The nonce round trip: the first answer is use_dpop_nonce with DPoP-Nonce; the handle keeps it.
    expect(first.status).toBe(400);
    expect(first.headers.get('dpop-nonce')).toBeTruthy();
    const result = await withNonce(async () =>
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(svc.secret!), {}, { DPoP, ...insecure }),
      ),
    );
    expect(result.token_type).toBe('dpop');
    const claims = decodeJwt(result.access_token);
    expect((claims.cnf as { jkt: string }).jkt).toBe(await jktOf(key));
    expect(await introspect(srv, result.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await jktOf(key) } });
  });

  test('a client registered with dpop_bound_access_tokens must send a proof', async () => {
    const r = await postForm(`${plain.base}/token`, { grant_type: 'client_credentials' }, basic(svcPlain.client.id, svcPlain.secret!));
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringContaining('dpop_bound_access_tokens') });
    const reg = await fetch(`${plain.base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'], dpop_bound_access_tokens: true }),
    });
    expect(await reg.json()).toMatchObject({ dpop_bound_access_tokens: true });
  });

  test('a code bound by dpop_jkt at /authorize cannot be exchanged with another key (RFC 9449 §10)', async () => {
    const as = await discover(plain);
    const key = await oauth.generateKeyPair('ES256');
    const client = { client_id: 'auth-cli' };
    const { verifier, challenge } = pkcePair();
    const redirect = 'http://127.0.0.1:7777/callback';
    const b = new Browser(plain.base);
    await b.login('dana', 'dana password');
    const res = await b.authorize({
      response_type: 'code',
      client_id: 'auth-cli',
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'openid',
      state: 's1',
      dpop_jkt: await jktOf(key),
    });
    const params = oauth.validateAuthResponse(as, client, new URL(res.headers.get('location')!), 's1');
    // The code is bound to the key: a bearer exchange (or another key) is refused.
    const other = await oauth.generateKeyPair('ES256');
    const wrong = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirect, verifier, {
      DPoP: oauth.DPoP({}, other),
      ...insecure,
    });
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('another DPoP key') });
  });

  test('code exchange and refreshes with the same key work; without a proof or with another key they are invalid_grant', async () => {
    const as = await discover(plain);
    const key = await oauth.generateKeyPair('ES256');
    const client = { client_id: 'auth-cli' };
    const DPoP = oauth.DPoP({}, key);
    const { verifier, challenge } = pkcePair();
    const redirect = 'http://127.0.0.1:7777/callback';
    const b = new Browser(plain.base);
    await b.login('dana', 'dana password');
    const res = await b.authorize({
      response_type: 'code',
      client_id: 'auth-cli',
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'openid',
      state: 's2',
      dpop_jkt: await jktOf(key),
    });
    const params = oauth.validateAuthResponse(as, client, new URL(res.headers.get('location')!), 's2');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirect, verifier, { DPoP, ...insecure }),
    );
    expect(tokens.token_type).toBe('dpop');
    expect(await introspect(plain, tokens.refresh_token!)).toMatchObject({ active: true, cnf: { jkt: await jktOf(key) } });
    // No proof: refused, and the token stays usable (nothing was consumed).
    const bare = await postForm(`${plain.base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: 'auth-cli' });
    expect(await bare.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('bound to a DPoP key') });
    const otherKey = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const stolen = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { DPoP: otherKey, ...insecure });
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('another DPoP key') });
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { DPoP, ...insecure }),
    );
    expect(refreshed.token_type).toBe('dpop');
    // Userinfo (a resource of ours) with the proof; as a bearer token it is refused (RFC 9449 §7.1).
    const info = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', new URL(`${plain.base}/userinfo`), undefined, undefined, {
      DPoP,
      ...insecure,
    });
    expect(info.status).toBe(200);
    const asBearer = await fetch(`${plain.base}/userinfo`, { headers: { Authorization: `Bearer ${refreshed.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toContain('invalid_token');
  });
});

describe('proof defects at the token endpoint (invalid_dpop_proof, nothing issued)', () => {
  test('wrong htm, htu, stale iat, replayed jti, alg none, HS256, a private key in jwk, wrong typ, no jwk, two headers', async () => {
    const key = await generateKeyPair('ES256', { extractable: true });
    const htu = `${plain.base}/token`;
    const privateJwk: JWK = await exportJWK(key.privateKey);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const replayed = await proof(key, { htm: 'POST', htu });
    const cases: [string, string | string[], RegExp][] = [
      ['wrong htm', await proof(key, { htm: 'GET', htu }), /htm must be POST/],
      ['wrong htu', await proof(key, { htm: 'POST', htu: `${plain.base}/authorize` }), /htu must be/],
      ['stale iat', await proof(key, { htm: 'POST', htu, iat: nowS(plain.clock) - 600 }), /iat is more than 60 s/],
      ['future iat', await proof(key, { htm: 'POST', htu, iat: nowS(plain.clock) + 600 }), /iat is more than 60 s|not a valid signed JWT/],
      [
        'alg none',
        `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: await exportJWK(key.publicKey) })}.${b64({ jti: 'x', htm: 'POST', htu, iat: nowS(plain.clock) })}.`,
        /alg none is not allowed/,
      ],
      ['HS256', await proof(key, { htm: 'POST', htu }, { alg: 'HS256' }, new TextEncoder().encode('k'.repeat(32))), /alg HS256 is not allowed/],
      ['private key in jwk', await proof(key, { htm: 'POST', htu }, { jwk: privateJwk }), /must be a public key/],
      ['wrong typ', await proof(key, { htm: 'POST', htu }, { typ: 'JWT' }), /typ must be dpop\+jwt/],
      ['no jwk', await proof(key, { htm: 'POST', htu }, { jwk: undefined }), /no jwk header/],
      ['signed by another key', await proof(key, { htm: 'POST', htu }, {}, (await generateKeyPair('ES256')).privateKey), /signature does not verify/],
      ['two DPoP headers', [await proof(key, { htm: 'POST', htu }), await proof(key, { htm: 'POST', htu })], /exactly one DPoP header/],
    ];
    const send = (dpop: string | string[]) => {
      const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', ...basic(svcPlain.client.id, svcPlain.secret!) });
      for (const v of Array.isArray(dpop) ? dpop : [dpop]) headers.append('DPoP', v);
      return fetch(htu, { method: 'POST', headers, body: 'grant_type=client_credentials' });
    };
    for (const [name, dpop, re] of cases) {
      const r = await send(dpop);
      const body = (await r.json()) as { error: string; error_description: string };
      expect({ name, status: r.status, error: body.error, description: body.error_description }).toMatchObject({
        name,
        status: 400,
        error: 'invalid_dpop_proof',
        description: expect.stringMatching(re),
      });
    }
    // A request whose client fails to authenticate records nothing: the same proof then works.
    const wrongSecret = await fetch(htu, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basic(svcPlain.client.id, 'wrong-secret'), DPoP: replayed },
      body: 'grant_type=client_credentials',
    });
    expect(wrongSecret.status).toBe(401);
    // The first use of a proof works; its replay does not.
    expect((await send(replayed)).status).toBe(200);
    expect(await (await send(replayed)).json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringContaining('used before') });
  });
});

describe('auth proxy with DPoP', () => {
  let upstream: ReturnType<typeof Bun.serve>;
  const seen: (string | null)[] = [];
  beforeAll(() => {
    upstream = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        seen.push(req.headers.get('authorization') ?? req.headers.get('dpop'));
        return new Response('ok');
      },
    });
  });
  afterAll(() => upstream.stop(true));

  async function startProxy(extra: string[] = []) {
    const port = freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const proc = await spawnServer({
      cwd: tempDir(),
      env: { LOG_FORMAT: 'json' },
      args: [
        'proxy',
        '--upstream',
        `http://127.0.0.1:${upstream.port}`,
        '--resource',
        resource,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--issuer',
        plain.base,
        ...extra,
      ],
    });
    await proc.waitFor((l) => l.includes('listening'));
    return { proc, resource };
  }
  async function boundToken(resource: string, key: CryptoKeyPair) {
    const as = await discover(plain);
    const client = { client_id: svcPlain.client.id };
    const DPoP = oauth.DPoP({}, key);
    const r = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(svcPlain.secret!), { resource }, { DPoP, ...insecure }),
    );
    return { token: r.access_token, DPoP };
  }

  test('oauth4webapi through the proxy: accepted with the proof (stripped upstream); as Bearer, with a bad ath or another key: 401', async () => {
    const { proc, resource } = await startProxy();
    try {
      const key = await oauth.generateKeyPair('ES256');
      const { token, DPoP } = await boundToken(resource, key);
      const ok = await oauth.protectedResourceRequest(token, 'GET', new URL(resource), undefined, undefined, { DPoP, ...insecure });
      expect(ok.status).toBe(200);
      expect(seen.at(-1)).toBeNull(); // neither the token nor the proof reaches the upstream
      const bearer = await fetch(resource, { headers: { Authorization: `Bearer ${token}` } });
      expect(bearer.status).toBe(401);
      const challenges = bearer.headers.get('www-authenticate')!;
      expect(challenges).toContain('DPoP algs="ES256');
      expect(challenges).toMatch(/DPoP [^\n]*error="invalid_token"/);
      expect(challenges).toContain('Bearer resource_metadata=');
      const badAth = await fetch(resource, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await proof(key, { htm: 'GET', htu: resource, ath: 'x'.repeat(43) }) },
      });
      expect(badAth.status).toBe(401);
      expect(badAth.headers.get('www-authenticate')).toContain('ath does not match');
      const other = await generateKeyPair('ES256');
      const athOf = new Bun.CryptoHasher('sha256').update(token).digest('base64url');
      const wrongKey = await fetch(resource, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await proof(other, { htm: 'GET', htu: resource, ath: athOf }) },
      });
      expect(wrongKey.status).toBe(401);
      expect(wrongKey.headers.get('www-authenticate')).toContain('not made with the key');
      const wrongMethod = await fetch(resource, {
        method: 'POST',
        headers: { Authorization: `DPoP ${token}`, DPoP: await proof(key, { htm: 'GET', htu: resource, ath: athOf }) },
      });
      expect(wrongMethod.status).toBe(401);
      const proofOnce = await proof(key, { htm: 'GET', htu: resource, ath: athOf });
      expect((await fetch(resource, { headers: { Authorization: `DPoP ${token}`, DPoP: proofOnce } })).status).toBe(200);
      const replay = await fetch(resource, { headers: { Authorization: `DPoP ${token}`, DPoP: proofOnce } });
      expect(replay.status).toBe(401);
      expect(replay.headers.get('www-authenticate')).toContain('used before');
    } finally {
      proc.proc.kill('SIGTERM');
      await proc.proc.exited;
    }
  });

  test('--require-dpop refuses bearer tokens; --dpop-nonce makes clients retry with the proxy’s nonce', async () => {
    const { proc, resource } = await startProxy(['--require-dpop', '--dpop-nonce']);
    try {
      const bearerOnly = await addClient(plain, { name: 'Bearer svc', redirectUris: [], grantTypes: ['client_credentials'] });
      const t = (await (
        await postForm(`${plain.base}/token`, { grant_type: 'client_credentials', resource }, basic(bearerOnly.client.id, bearerOnly.secret!))
      ).json()) as {
        access_token: string;
      };
      const refused = await fetch(resource, { headers: { Authorization: `Bearer ${t.access_token}` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).not.toContain('Bearer ');
      const key = await oauth.generateKeyPair('ES256');
      const { token, DPoP } = await boundToken(resource, key);
      const first = await oauth.protectedResourceRequest(token, 'GET', new URL(resource), undefined, undefined, { DPoP, ...insecure }).catch((e) => e);
      // oauth4webapi turns a use_dpop_nonce challenge into an error carrying the response; the nonce is kept.
      expect(oauth.isDPoPNonceError(first) || (first as Response).status === 401).toBe(true);
      const second = await oauth.protectedResourceRequest(token, 'GET', new URL(resource), undefined, undefined, { DPoP, ...insecure });
      expect(second.status).toBe(200);
    } finally {
      proc.proc.kill('SIGTERM');
      await proc.proc.exited;
    }
  });
});

describe('the CLI with DPoP', () => {
  test('auth login binds the tokens by default; auth token --dpop-proof and auth curl send proofs; --no-dpop does not', async () => {
    const home = tempDir('auth-dpop-home-');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    const run = (args: string[]) => Bun.spawn([BINARY, ...args], { env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
    try {
      const login = run(['login', plain.base, '--no-browser', '--name', 'p']);
      let err = '';
      const reader = login.stderr.getReader();
      let url: string | undefined;
      for (let i = 0; i < 200 && !url; i++) {
        const { value, done } = await reader.read();
        if (done) break;
        err += new TextDecoder().decode(value);
        url = /\n\s+(http\S+\/authorize\?\S+)/.exec(err)?.[1];
      }
      expect(err).toContain('with DPoP');
      expect(new URL(url!).searchParams.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const b = new Browser(plain.base);
      await b.login('dana', 'dana password');
      const u = new URL(url!);
      const res = await b.get(u.pathname + u.search);
      await fetch(res.headers.get('location')!);
      expect(await login.exited).toBe(0);
      const tokenOut = await new Response(run(['token', 'p']).stdout).text();
      const claims = decodeJwt(tokenOut.trim());
      expect((claims.cnf as { jkt: string }).jkt).toBe(new URL(url!).searchParams.get('dpop_jkt')!);
      // A proof for a script, and auth curl against userinfo (a DPoP resource of ours).
      const p = run(['token', 'p', '--dpop-proof', 'GET', '--url', `${plain.base}/userinfo`]);
      const proofText = (await new Response(p.stdout).text()).trim();
      const direct = await fetch(`${plain.base}/userinfo`, { headers: { Authorization: `DPoP ${tokenOut.trim()}`, DPoP: proofText } });
      expect(direct.status).toBe(200);
      const curl = run(['curl', `${plain.base}/userinfo`, '-s']);
      expect(JSON.parse(await new Response(curl.stdout).text())).toHaveProperty('sub');
      expect(await curl.exited).toBe(0);
      // --no-dpop: a plain bearer login (no dpop_jkt on the authorization request).
      const bearer = run(['login', plain.base, '--no-browser', '--name', 'b', '--no-dpop', '--timeout', '1s']);
      const out = await new Response(bearer.stderr).text();
      expect(out).not.toContain('with DPoP');
      expect(new URL(/\n\s+(http\S+\/authorize\?\S+)/.exec(out)![1]!).searchParams.get('dpop_jkt')).toBeNull();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
