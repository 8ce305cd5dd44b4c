// Enterprise and agent grants over HTTP, with real keys and local JWKS servers: private_key_jwt client
// authentication (RFC 7523 §2.2), identity assertions (ID-JAG, RFC 7523 §2.1 jwt-bearer), workload identity
// federation (GitHub-shaped tokens), token exchange (RFC 8693) and `auth proxy --exchange-to`.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { nowS } from '../src/clock.ts';
import { addClient, addUser, basic, Browser, codeFrom, pkcePair, postForm } from './helpers/oauth.ts';
import { ensureBinary, spawnServer } from './helpers/cli.ts';
import { freePort, startTestServer, tempDir, type TestServer } from './helpers/server.ts';
import { rawQuery } from './helpers/db.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const AT_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const API = 'https://api.example/';
const WORKLOAD_AUD = 'https://auth.example.test';
const INTROSPECTION_TOKEN = 'introspection-secret-0123456789abcdef';

/** A signer with real keys whose public JWKS a local HTTP server publishes (an IdP, a CI platform, a client). */
async function keyServer(alg: 'ES256' | 'RS256' = 'ES256', kid = 'k1') {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  let fetches = 0;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      if (new URL(req.url).pathname !== '/jwks') return new Response('not found', { status: 404 });
      fetches++;
      return Response.json({ keys: [jwk] });
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    jwksUri: `${url}/jwks`,
    jwk,
    fetches: () => fetches,
    sign: (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid, ...header } as { alg: string }).sign(privateKey),
    stop: () => server.stop(true),
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** An unsigned JWT (alg none, RFC 7519 §6). */
const unsigned = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => `${b64({ alg: 'none', ...header })}.${b64(claims)}.`;
/** HS256 keyed with the issuer's public key: the algorithm-confusion attack (RFC 8725 §2.1). */
const hmacWithPublicKey = (claims: Record<string, unknown>, jwk: JWK, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: jwk.kid, ...header } as { alg: string }).sign(new TextEncoder().encode(JSON.stringify(jwk)));

let srv: TestServer;
let idp: Awaited<ReturnType<typeof keyServer>>;
let github: Awaited<ReturnType<typeof keyServer>>;
let agentKeys: Awaited<ReturnType<typeof keyServer>>;
let now: () => number;

beforeAll(async () => {
  await ensureBinary();
  idp = await keyServer('ES256', 'idp-1');
  github = await keyServer('RS256', 'gh-1');
  agentKeys = await keyServer('ES256', 'agent-1');
  srv = await startTestServer(
    {
      TOKEN_EXCHANGE: 'true',
      PRIVATE_KEY_JWT: 'true',
      JWKS_ALLOW_LOOPBACK: 'true',
      INTROSPECTION_TOKEN,
      SCOPES: 'openid profile email offline_access deploy read:docs',
      ID_JAG_ISSUERS: JSON.stringify([{ issuer: idp.url, jwks_uri: idp.jwksUri }]),
      WORKLOAD_ISSUERS: JSON.stringify([
        {
          issuer: github.url,
          jwks_uri: github.jwksUri,
          audience: WORKLOAD_AUD,
          claims: { repository: 'acme/deploy', ref: 'refs/heads/main' },
          client_id: 'ci-deployer',
          scopes: ['deploy'],
        },
        {
          issuer: github.url,
          jwks_uri: github.jwksUri,
          audience: WORKLOAD_AUD,
          claims: { repository: 'acme/deploy', ref: 'refs/tags/v*' },
          client_id: 'ci-release',
          scopes: ['deploy'],
        },
      ]),
    },
    { liveClock: true },
  );
  now = () => nowS(srv.clock);
  for (const id of ['ci-deployer', 'ci-release'])
    await srv.deps.store.clients.insert({
      id,
      secretHash: null,
      name: `CI ${id}`,
      redirectUris: [],
      grantTypes: ['client_credentials', JWT_BEARER],
      scopes: ['deploy'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      firstParty: false,
      origin: 'operator',
      metadata: {},
      createdAt: now(),
      lastUsedAt: null,
    });
});
afterAll(async () => {
  await srv.close();
  for (const s of [idp, github, agentKeys]) s.stop();
});

const token = (form: Record<string, string | string[]>, headers: Record<string, string> = {}) => postForm(`${srv.base}/token`, form, headers);
async function expectError(res: Response, status: number, error: string, description?: string | RegExp) {
  const body = (await res.json()) as { error: string; error_description?: string };
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  if (description !== undefined) expect(body.error_description ?? '').toMatch(description);
  return body;
}
const introspect = async (t: string) =>
  (await (await postForm(`${srv.base}/introspect`, { token: t }, { Authorization: `Bearer ${INTROSPECTION_TOKEN}` })).json()) as Record<string, unknown>;
const refusals = async () => {
  await srv.deps.audit.flush();
  return (await srv.deps.store.audit.list({ since: 0, limit: 10_000 })).filter((r) => r.event === 'assertion.refused');
};

describe('private_key_jwt client authentication (RFC 7523 §2.2)', () => {
  let inline: Awaited<ReturnType<typeof addClient>>;
  let byUri: Awaited<ReturnType<typeof addClient>>;
  const assertion = (clientId: string, over: Record<string, unknown> = {}, signer = agentKeys) =>
    signer.sign({ iss: clientId, sub: clientId, aud: `${srv.base}/token`, jti: crypto.randomUUID(), iat: now(), exp: now() + 60, ...over });

  beforeAll(async () => {
    inline = await addClient(srv, { name: 'Agent', redirectUris: [], grantTypes: ['client_credentials'], scopes: ['deploy'], jwks: { keys: [agentKeys.jwk] } });
    byUri = await addClient(srv, {
      name: 'Agent by URI',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['deploy'],
      jwksUri: agentKeys.jwksUri,
    });
  });

  test('a signed assertion replaces the secret: client_credentials with inline jwks and with jwks_uri', async () => {
    expect(inline.secret).toBeNull();
    expect(inline.client.tokenEndpointAuthMethod).toBe('private_key_jwt');
    for (const c of [inline, byUri]) {
      const r = await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(c.client.id) });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { access_token: string; scope: string };
      expect(decodeJwt(body.access_token)).toMatchObject({ sub: c.client.id, client_id: c.client.id, scope: 'deploy' });
    }
    // The issuer as audience works too (RFC 7523 §3 item 3), and so does client_id in the body when it matches.
    const r = await token({
      grant_type: 'client_credentials',
      client_id: inline.client.id,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(inline.client.id, { aud: srv.base }),
    });
    expect(r.status).toBe(200);
  });

  test('introspection, revocation and device authorization accept it with their own URL as audience', async () => {
    const t = (await (
      await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(inline.client.id) })
    ).json()) as { access_token: string };
    const i = await postForm(`${srv.base}/introspect`, {
      token: t.access_token,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(inline.client.id, { aud: `${srv.base}/introspect` }),
    });
    expect(await i.json()).toMatchObject({ active: true, client_id: inline.client.id });
    const rv = await postForm(`${srv.base}/revoke`, {
      token: t.access_token,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(inline.client.id, { aud: `${srv.base}/revoke` }),
    });
    expect(rv.status).toBe(200);
    expect((await introspect(t.access_token)).active).toBe(false);
  });

  test('every defect is invalid_client naming the check, audited, and the jti is not spent', async () => {
    const id = inline.client.id;
    const base = { iss: id, sub: id, aud: `${srv.base}/token`, iat: now(), exp: now() + 60 };
    const cases: [string, string | Promise<string>, RegExp][] = [
      ['expired', assertion(id, { iat: now() - 600, exp: now() - 300 }), /has expired/],
      ['future iat', assertion(id, { iat: now() + 600, exp: now() + 700 }), /issued in the future/],
      ['too long-lived', assertion(id, { exp: now() + 3600 }), /lives too long/],
      ['wrong audience', assertion(id, { aud: 'https://elsewhere.example/token' }), /aud does not name/],
      ['wrong issuer', assertion(id, { iss: 'someone-else' }), /iss is not/],
      ['no jti', assertion(id, { jti: undefined }), /no jti claim/],
      ['alg none', unsigned({ ...base, jti: 'n1' }), /alg none.*not allowed/],
      ['HS256 keyed with the public key', hmacWithPublicKey({ ...base, jti: 'h1' }, agentKeys.jwk), /alg HS256.*not allowed/],
      ['unknown kid', assertion(id, {}, { ...agentKeys, sign: (c) => agentKeys.sign(c, { kid: 'nope' }) }), /names key "nope"/],
      ['signed by another key', assertion(id, {}, idp), /names key "idp-1"|signature does not verify/],
    ];
    const before = (await refusals()).length;
    for (const [name, jwt, re] of cases) {
      const r = await token({ grant_type: 'client_credentials', client_id: id, client_assertion_type: ASSERTION_TYPE, client_assertion: await jwt });
      const body = await expectError(r, 401, 'invalid_client');
      expect({ name, description: body.error_description }).toMatchObject({ name, description: expect.stringMatching(re) });
    }
    expect((await refusals()).length - before).toBe(cases.length);
    // Wrong client_assertion_type, both a secret and an assertion, a secret for a key-only client.
    await expectError(
      await token({ grant_type: 'client_credentials', client_assertion_type: 'urn:x', client_assertion: await assertion(id) }),
      401,
      'invalid_client',
      /client_assertion_type must be/,
    );
    await expectError(
      await token({
        grant_type: 'client_credentials',
        client_secret: 'x',
        client_id: id,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(id),
      }),
      400,
      'invalid_request',
      /one client authentication method/,
    );
    await expectError(await token({ grant_type: 'client_credentials' }, basic(id, 'guess')), 401, 'invalid_client', /client_assertion/);
  });

  test('a replayed assertion is refused (jti single use), on the same and on a second endpoint', async () => {
    const jwt = await assertion(inline.client.id, { aud: srv.base });
    expect((await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt })).status).toBe(200);
    await expectError(
      await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }),
      401,
      'invalid_client',
      /used before/,
    );
    await expectError(
      await postForm(`${srv.base}/revoke`, { token: 'x', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }),
      401,
      'invalid_client',
      /used before/,
    );
  });

  test('registration: private_key_jwt with jwks_uri or jwks; exchange audiences and the token-exchange grant are refused', async () => {
    const reg = (body: Record<string, unknown>) =>
      fetch(`${srv.base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await reg({
      client_name: 'Reg agent',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: agentKeys.jwksUri,
    });
    // Confidential registration is off by default; a key-holding client gets no secret anyway.
    const body = (await ok.json()) as Record<string, unknown>;
    expect(ok.status).toBe(201);
    expect(body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: agentKeys.jwksUri });
    expect(body.client_secret).toBeUndefined();
    await expectError(
      await reg({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' }),
      400,
      'invalid_client_metadata',
      /exactly one of jwks and jwks_uri/,
    );
    await expectError(
      await reg({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...agentKeys.jwk, d: 'secret' }] } }),
      400,
      'invalid_client_metadata',
      /private or symmetric key/,
    );
    await expectError(
      await reg({ redirect_uris: ['http://127.0.0.1/cb'], exchange_audiences: [API] }),
      400,
      'invalid_client_metadata',
      /exchange_audiences cannot be registered/,
    );
    await expectError(
      await reg({ grant_types: [TOKEN_EXCHANGE], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: agentKeys.jwksUri }),
      400,
      'invalid_client_metadata',
      /token-exchange grant cannot be registered/,
    );
  });

  test('metadata lists private_key_jwt, its algorithms, the extension grants and the ID-JAG profile', async () => {
    const md = (await (await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
    for (const k of ['token_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported', 'introspection_endpoint_auth_methods_supported'])
      expect(md[k]).toContain('private_key_jwt');
    expect(md.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'RS256', 'PS256']));
    expect(md.token_endpoint_auth_signing_alg_values_supported).not.toContain('HS256');
    expect(md.grant_types_supported).toEqual(expect.arrayContaining([JWT_BEARER, TOKEN_EXCHANGE]));
    expect(md.authorization_grant_profiles_supported).toEqual(['urn:ietf:params:oauth:grant-profile:id-jag']);
  });
});

describe('identity assertions (ID-JAG, RFC 7523 §2.1)', () => {
  let mcpClient: Awaited<ReturnType<typeof addClient>>;
  let other: Awaited<ReturnType<typeof addClient>>;
  const RESOURCE = 'https://mcp.example/mcp';
  const idJag = (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    idp.sign(
      {
        iss: idp.url,
        sub: 'okta|00u1',
        aud: srv.base,
        client_id: mcpClient.client.id,
        resource: RESOURCE,
        scope: 'read:docs email',
        email: 'erin@corp.example',
        jti: crypto.randomUUID(),
        iat: now(),
        exp: now() + 300,
        ...over,
      },
      { typ: 'oauth-id-jag+jwt', ...header },
    );
  const grant = async (assertion: string, extra: Record<string, string> = {}, client = mcpClient) =>
    token({ grant_type: JWT_BEARER, assertion, ...extra }, basic(client.client.id, client.secret!));

  beforeAll(async () => {
    mcpClient = await addClient(srv, { name: 'MCP client', redirectUris: [], grantTypes: [JWT_BEARER], scopes: ['read:docs', 'email', 'openid'] });
    other = await addClient(srv, { name: 'Other', redirectUris: [], grantTypes: [JWT_BEARER] });
    await addUser(srv, 'erin', 'erin password', { email: 'erin@corp.example' });
  });

  test('an assertion for a user with that verified email: a token for the resource, scopes intersected; the identity is linked', async () => {
    const r = await grant(await idJag(), { scope: 'read:docs profile' });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { access_token: string; scope: string; refresh_token?: string };
    expect(body.scope).toBe('read:docs'); // profile was not asserted
    expect(body.refresh_token).toBeUndefined();
    const claims = decodeJwt(body.access_token);
    const erin = await srv.deps.store.users.getByUsername('erin');
    expect(claims).toMatchObject({ sub: erin!.id, client_id: mcpClient.client.id, aud: RESOURCE });
    // Linked: the next assertion finds the user by (iss, sub) even with another email.
    const again = await grant(await idJag({ email: 'changed@corp.example' }));
    expect(again.status).toBe(200);
    expect(decodeJwt(((await again.json()) as { access_token: string }).access_token).sub).toBe(erin!.id);
  });

  test('each defect is invalid_grant (or invalid_target, invalid_scope) naming the check, audited', async () => {
    const base = {
      iss: idp.url,
      sub: 'okta|00u1',
      aud: srv.base,
      client_id: mcpClient.client.id,
      resource: RESOURCE,
      scope: 'read:docs',
      iat: now(),
      exp: now() + 300,
    };
    const stranger = await keyServer('ES256', 'idp-1');
    const cases: [string, Promise<string> | string, string, RegExp][] = [
      ['unknown issuer', idJag({ iss: 'https://evil.example' }), 'invalid_grant', /not in ID_JAG_ISSUERS/],
      ['wrong audience', idJag({ aud: 'https://other-as.example' }), 'invalid_grant', /aud does not name/],
      ['expired', idJag({ iat: now() - 900, exp: now() - 600 }), 'invalid_grant', /has expired/],
      ['future iat', idJag({ iat: now() + 900, exp: now() + 1200 }), 'invalid_grant', /issued in the future/],
      ['alg none', unsigned({ ...base, jti: 'n' }, { typ: 'oauth-id-jag+jwt' }), 'invalid_grant', /alg none.*not allowed/],
      [
        'HS256 keyed with the public key',
        hmacWithPublicKey({ ...base, jti: 'h' }, idp.jwk, { typ: 'oauth-id-jag+jwt' }),
        'invalid_grant',
        /alg HS256.*not allowed/,
      ],
      ['unknown kid', idJag({}, { kid: 'rotated-away' }), 'invalid_grant', /names key "rotated-away"/],
      ['signed by another key', stranger.sign({ ...base, jti: 's' }, { typ: 'oauth-id-jag+jwt' }), 'invalid_grant', /signature does not verify/],
      ['issued to another client', idJag({ client_id: other.client.id }), 'invalid_grant', /issued to client/],
      ['no jti', idJag({ jti: undefined }), 'invalid_grant', /no jti/],
      ['wrong typ', idJag({}, { typ: 'JWT' }), 'invalid_grant', /trusted for nothing/],
      ['a resource not served here', idJag({ resource: 'http://evil.example/x' }), 'invalid_target', /https/],
      ['unknown user', idJag({ sub: 'okta|nobody', email: 'nobody@corp.example' }), 'invalid_grant', /no user here/],
      ['no asserted scope requested', idJag({ scope: 'email' }), 'invalid_scope', /none of the requested scopes/],
    ];
    const mine = async () => (await refusals()).filter((r) => r.clientId === mcpClient.client.id).length;
    const before = await mine();
    for (const [name, jwt, error, re] of cases) {
      const r = await grant(await jwt, name === 'no asserted scope requested' ? { scope: 'read:docs' } : {});
      const body = (await r.json()) as { error: string; error_description: string };
      expect({ name, status: r.status, error: body.error, description: body.error_description }).toMatchObject({
        name,
        status: 400,
        error,
        description: expect.stringMatching(re),
      });
    }
    stranger.stop();
    expect((await mine()) - before).toBe(cases.length);
  });

  test('the wrong client, a public client and no client authentication are refused', async () => {
    await expectError(await grant(await idJag(), {}, other), 400, 'invalid_grant', /issued to client/);
    await expectError(await token({ grant_type: JWT_BEARER, assertion: await idJag() }), 401, 'invalid_client', /client authentication is required/);
    await expectError(await token({ grant_type: JWT_BEARER, assertion: await idJag(), client_id: 'auth-cli' }), 400, 'unauthorized_client', /public client/);
    await expectError(await token({ grant_type: JWT_BEARER }, basic(mcpClient.client.id, mcpClient.secret!)), 400, 'invalid_request', /assertion is missing/);
  });

  test('a jti is used once, until exp, in the shared store — and a refused request spends nothing', async () => {
    const jti = crypto.randomUUID();
    // Refused (no such user yet): the jti must not be recorded.
    const forLater = await idJag({ jti, sub: 'okta|late', email: 'late@corp.example' });
    await expectError(await grant(forLater), 400, 'invalid_grant', /no user here/);
    const rows = await rawQuery(srv.deps.store, 'SELECT key FROM used_jtis WHERE key LIKE ?', `%${jti}`);
    expect(rows).toEqual([]);
    await addUser(srv, 'late', 'late password', { email: 'late@corp.example' });
    expect((await grant(forLater)).status).toBe(200);
    await expectError(await grant(forLater), 400, 'invalid_grant', /used before/);
  });
});

describe('workload identity federation (GitHub-shaped tokens)', () => {
  const ghToken = (over: Record<string, unknown> = {}) =>
    github.sign({
      iss: github.url,
      aud: WORKLOAD_AUD,
      sub: 'repo:acme/deploy:ref:refs/heads/main',
      repository: 'acme/deploy',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      workflow: 'deploy',
      jti: crypto.randomUUID(),
      iat: now(),
      nbf: now() - 5,
      exp: now() + 300,
      ...over,
    });

  test('as the grant, with no stored secret: a token for the rule’s client and scopes', async () => {
    const r = await token({ grant_type: JWT_BEARER, assertion: await ghToken() });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe('deploy');
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: 'ci-deployer', client_id: 'ci-deployer' });
    // A tag matches the second rule's `refs/tags/v*` and maps to its client.
    const tag = await token({ grant_type: JWT_BEARER, assertion: await ghToken({ ref: 'refs/tags/v1.2.0' }) });
    expect(decodeJwt(((await tag.json()) as { access_token: string }).access_token).client_id).toBe('ci-release');
    // The same platform token may be presented again within its life (platform tokens are not single-use).
    const reused = await ghToken();
    expect((await token({ grant_type: JWT_BEARER, assertion: reused })).status).toBe(200);
    expect((await token({ grant_type: JWT_BEARER, assertion: reused })).status).toBe(200);
  });

  test('with a DPoP proof: a bound token; a refused assertion leaves the proof unspent (RFC 9449 §4.3 item 11)', async () => {
    const key = await generateKeyPair('ES256');
    const jwk = await exportJWK(key.publicKey);
    const proof = await new SignJWT({ jti: crypto.randomUUID(), iat: now(), htm: 'POST', htu: `${srv.base}/token` })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk } as { alg: string })
      .sign(key.privateKey);
    // Refused (another repository): the proof's jti is not recorded…
    await expectError(await token({ grant_type: JWT_BEARER, assertion: await ghToken({ repository: 'mallory/fork' }) }, { DPoP: proof }), 400, 'invalid_grant');
    // …so the same proof still works with a good assertion, and the token is bound to its key.
    const r = await token({ grant_type: JWT_BEARER, assertion: await ghToken() }, { DPoP: proof });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    expect((decodeJwt(body.access_token).cnf as { jkt: string }).jkt).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    // Now spent: the replay is refused.
    await expectError(await token({ grant_type: JWT_BEARER, assertion: await ghToken() }, { DPoP: proof }), 400, 'invalid_dpop_proof', /used before|replay/);
  });

  test('as client authentication (client_assertion) for client_credentials', async () => {
    const r = await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await ghToken() });
    expect(r.status).toBe(200);
    expect(decodeJwt(((await r.json()) as { access_token: string }).access_token).client_id).toBe('ci-deployer');
  });

  test('another repository or branch, the wrong audience, an expired token, a widened scope are refused', async () => {
    const cases: [string, Promise<string>, Record<string, string>, string, RegExp][] = [
      ['another repository', ghToken({ repository: 'mallory/fork' }), {}, 'invalid_grant', /repository claim does not match/],
      ['another branch', ghToken({ ref: 'refs/heads/feature' }), {}, 'invalid_grant', /ref claim does not match/],
      ['wrong audience', ghToken({ aud: 'https://someone-else.example' }), {}, 'invalid_grant', /aud does not name/],
      ['expired', ghToken({ iat: now() - 900, nbf: now() - 900, exp: now() - 600 }), {}, 'invalid_grant', /has expired/],
      ['widened scope', ghToken(), { scope: 'deploy openid' }, 'invalid_scope', /not allowed for this workload/],
    ];
    for (const [name, jwt, extra, error, re] of cases) {
      const r = await token({ grant_type: JWT_BEARER, assertion: await jwt, ...extra });
      const body = (await r.json()) as { error: string; error_description: string };
      expect({ name, error: body.error, description: body.error_description }).toMatchObject({ name, error, description: expect.stringMatching(re) });
    }
    await expectError(
      await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await ghToken({ ref: 'refs/heads/x' }) }),
      401,
      'invalid_client',
      /ref claim does not match/,
    );
  });
});

describe('token exchange (RFC 8693)', () => {
  let app: Awaited<ReturnType<typeof addClient>>;
  let mcp: Awaited<ReturnType<typeof addClient>>;
  let gateway: Awaited<ReturnType<typeof addClient>>;
  let plain: Awaited<ReturnType<typeof addClient>>;
  let frank: Awaited<ReturnType<typeof addUser>>;
  const CB = 'https://app.example/cb';
  const MCP_RESOURCE = 'https://mcp.example/mcp';

  beforeAll(async () => {
    frank = await addUser(srv, 'frank', 'frank password', { email: 'frank@example.com' });
    app = await addClient(srv, { name: 'App', redirectUris: [CB], firstParty: true });
    mcp = await addClient(srv, { name: 'MCP server', redirectUris: [], grantTypes: [TOKEN_EXCHANGE], exchangeAudiences: [API, 'https://search.example/'] });
    gateway = await addClient(srv, { name: 'Gateway', redirectUris: [], grantTypes: [TOKEN_EXCHANGE], exchangeAudiences: ['https://db.example/'] });
    plain = await addClient(srv, { name: 'No exchange', redirectUris: [], grantTypes: ['client_credentials'] });
  });

  async function userTokens() {
    const b = new Browser(srv.base);
    await b.login('frank', frank.password);
    const { verifier, challenge } = pkcePair();
    const res = await b.authorize({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: CB,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'openid email',
      resource: MCP_RESOURCE,
    });
    const form = { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier };
    return (await (await postForm(`${srv.base}/token`, form, basic(app.client.id, app.secret!))).json()) as { access_token: string; refresh_token: string };
  }
  const exchange = (subject: string, extra: Record<string, string | string[]> = {}, client = mcp) =>
    token(
      { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE, resource: API, ...extra },
      basic(client.client.id, client.secret!),
    );

  test('an access token for the downstream API: act, aud, the subject’s user, no longer-lived than the subject', async () => {
    const user = await userTokens();
    const r = await exchange(user.access_token, { scope: 'email' });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ issued_token_type: AT_TYPE, token_type: 'Bearer', scope: 'email' });
    expect(body.refresh_token).toBeUndefined();
    const claims = decodeJwt(body.access_token as string);
    const subject = decodeJwt(user.access_token);
    expect(claims).toMatchObject({ sub: frank.id, client_id: mcp.client.id, aud: API, act: { sub: mcp.client.id, client_id: mcp.client.id } });
    expect(claims.exp!).toBeLessThanOrEqual(subject.exp!);
    expect(await introspect(body.access_token as string)).toMatchObject({ active: true, sub: frank.id, act: { sub: mcp.client.id }, aud: API });
    // Exchanging the exchanged token again (another hop) nests the chain: the newest actor outermost.
    const hop = await exchange(body.access_token as string, { resource: 'https://db.example/' }, gateway);
    expect(hop.status).toBe(200);
    expect(decodeJwt(((await hop.json()) as { access_token: string }).access_token).act).toEqual({
      sub: gateway.client.id,
      client_id: gateway.client.id,
      act: { sub: mcp.client.id, client_id: mcp.client.id },
    });
  });

  test('revoking the subject’s grant (its refresh family) revokes the exchanged tokens', async () => {
    const user = await userTokens();
    const exchanged = ((await (await exchange(user.access_token)).json()) as { access_token: string }).access_token;
    expect((await introspect(exchanged)).active).toBe(true);
    expect((await postForm(`${srv.base}/revoke`, { token: user.refresh_token }, basic(app.client.id, app.secret!))).status).toBe(200);
    expect((await introspect(exchanged)).active).toBe(false);
    await expectError(await exchange(user.access_token), 400, 'invalid_grant', /revoked/);
  });

  test('refusals: widened scope, unknown audience, refresh tokens, missing and unknown types, expired subject, wrong client', async () => {
    const user = await userTokens();
    const before = (await refusals()).length;
    await expectError(await exchange(user.access_token, { scope: 'email profile' }), 400, 'invalid_scope', /exceeds/);
    await expectError(await exchange(user.access_token, { resource: 'https://not-allowed.example/' }), 400, 'invalid_target', /may not exchange tokens for/);
    await expectError(await exchange(user.access_token, { resource: [] as unknown as string }), 400, 'invalid_target', /resource or audience is required/);
    await expectError(
      await exchange(user.access_token, { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }),
      400,
      'invalid_request',
      /not refresh tokens/,
    );
    await expectError(
      await token({ grant_type: TOKEN_EXCHANGE, subject_token: user.access_token, resource: API }, basic(mcp.client.id, mcp.secret!)),
      400,
      'invalid_request',
      /subject_token_type is missing/,
    );
    await expectError(await exchange(user.access_token, { subject_token_type: 'urn:x:saml' }), 400, 'invalid_request', /not supported/);
    await expectError(await exchange('not-a-token'), 400, 'invalid_grant', /not a valid, unexpired access token/);
    await expectError(await exchange(user.access_token, {}, plain), 400, 'unauthorized_client', /may not use/);
    await expectError(await exchange(user.access_token, { actor_token: user.access_token }), 400, 'invalid_request', /actor_token_type is required/);
    await expectError(await exchange(user.access_token, { actor_token: user.access_token, actor_token_type: AT_TYPE }), 400, 'invalid_grant', /another client/);
    expect((await refusals()).length - before).toBe(10); // every refusal above, unauthorized_client included
    // An expired subject: the clock moves past the access token's life.
    srv.clock.advance(3600 + 60);
    try {
      await expectError(await exchange(user.access_token), 400, 'invalid_grant', /not a valid, unexpired/);
    } finally {
      srv.clock.advance(-(3600 + 60));
    }
  });

  test('auth proxy --exchange-to: the upstream gets an exchanged token instead of identity headers', async () => {
    const seen: { authorization: string | null; subject: string | null }[] = [];
    const upstream = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        seen.push({ authorization: req.headers.get('authorization'), subject: req.headers.get('x-auth-subject') });
        return new Response('ok');
      },
    });
    const port = freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const proxyClient = await addClient(srv, { name: 'Proxy', redirectUris: [], grantTypes: [TOKEN_EXCHANGE], exchangeAudiences: [API] });
    const proxy = await spawnServer({
      cwd: tempDir(),
      env: { AUTH_PROXY_CLIENT_SECRET: proxyClient.secret!, LOG_FORMAT: 'json' },
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
        srv.base,
        '--exchange-to',
        API,
        '--client-id',
        proxyClient.client.id,
      ],
    });
    try {
      await proxy.waitFor((l) => l.includes('listening'));
      // A user token for the proxy's resource.
      const b = new Browser(srv.base);
      await b.login('frank', frank.password);
      const { verifier, challenge } = pkcePair();
      const res = await b.authorize({
        response_type: 'code',
        client_id: app.client.id,
        redirect_uri: CB,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope: 'email',
        resource,
      });
      const t = (await (
        await postForm(
          `${srv.base}/token`,
          { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier },
          basic(app.client.id, app.secret!),
        )
      ).json()) as { access_token: string; refresh_token: string };
      const r = await fetch(resource, { headers: { Authorization: `Bearer ${t.access_token}` } });
      expect(r.status).toBe(200);
      const got = seen.at(-1)!;
      expect(got.subject).toBeNull();
      const forwarded = got.authorization!.replace(/^Bearer /, '');
      expect(forwarded).not.toBe(t.access_token);
      expect(decodeJwt(forwarded)).toMatchObject({ sub: frank.id, aud: API, act: { sub: proxyClient.client.id } });
      // A second access token of the same grant (a refresh), then the grant revoked at the authorization
      // server: the proxy's exchange for that token is refused and the caller gets 401 invalid_token.
      const refreshed = (await (
        await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(app.client.id, app.secret!))
      ).json()) as { access_token: string; refresh_token: string };
      await postForm(`${srv.base}/revoke`, { token: refreshed.refresh_token }, basic(app.client.id, app.secret!));
      const after = await fetch(resource, { headers: { Authorization: `Bearer ${refreshed.access_token}` } });
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      proxy.proc.kill('SIGTERM');
      await proxy.proc.exited;
      upstream.stop(true);
    }
  });
});
