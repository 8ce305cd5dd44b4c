// RFC 7591 dynamic client registration, the per-IP limit, initial access tokens, idle reaping, and
// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) served by a local server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { addUser, Browser, codeFrom, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { checkClientIdUrl } from '../src/domain/client-documents.ts';
import { rawQuery } from './helpers/db.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ REGISTRATION_RATE_LIMIT: '1000' });
});
afterAll(() => srv.close());

const register = (body: unknown, headers: Record<string, string> = {}, base = srv.base) =>
  fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const MCP_CLIENT = {
  client_name: 'MCP Inspector',
  redirect_uris: ['http://localhost:6274/oauth/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  application_type: 'native',
};

describe('registration (RFC 7591 §3)', () => {
  test('a public MCP client registers: 201 with the full metadata, no secret, no-store and CORS', async () => {
    const r = await register(MCP_CLIENT);
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const body = await r.json();
    expect(body).toMatchObject({ ...MCP_CLIENT });
    expect(body.client_id).toMatch(/^c_/);
    expect(typeof body.client_id_issued_at).toBe('number');
    expect(body.client_secret).toBeUndefined();
    const row = await srv.deps.store.clients.get(body.client_id);
    expect(row).toMatchObject({ origin: 'dynamic', tokenEndpointAuthMethod: 'none', firstParty: false, secretHash: null });
  });

  test('the registered client runs the code flow with PKCE, consent and a loopback port of its choice', async () => {
    const { client_id } = await (await register(MCP_CLIENT)).json();
    await addUser(srv, 'mia', 'mia password!');
    const b = new Browser(srv.base);
    await b.login('mia', 'mia password!');
    const { verifier, challenge } = pkcePair();
    const redirect = 'http://localhost:51000/oauth/callback';
    const consent = await b.authorize({
      response_type: 'code',
      client_id,
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: 'https://mcp.example/mcp',
    });
    const html = await consent.text();
    expect(html).toContain('not verified'); // a dynamic client's name is its own claim
    expect(html).toContain('localhost:51000');
    const res = await b.post('/consent', { csrf: hiddenValue(html, 'csrf')!, request: hiddenValue(html, 'request')!, decision: 'allow' });
    const t = await postForm(`${srv.base}/token`, {
      grant_type: 'authorization_code',
      code: codeFrom(res).code,
      redirect_uri: redirect,
      client_id,
      code_verifier: verifier,
      resource: 'https://mcp.example/mcp',
    });
    expect(t.status).toBe(200);
    expect((await t.json()).refresh_token).toMatch(/^rt_/);
    expect((await srv.deps.store.clients.get(client_id))!.lastUsedAt).not.toBeNull();
  });

  test('private-use schemes (cursor://) are accepted and "web" with such redirects becomes native', async () => {
    const r = await register({ ...MCP_CLIENT, application_type: 'web', redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'] });
    expect(r.status).toBe(201);
    expect((await r.json()).application_type).toBe('native');
  });

  test('defaults: no token_endpoint_auth_method means a public client; grant_types default to authorization_code', async () => {
    const body = await (await register({ redirect_uris: ['https://app.example/cb'] })).json();
    expect(body).toMatchObject({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      client_name: 'Unnamed client',
    });
  });

  // What real MCP clients send (from their public sources), and what the server registers (RFC 7591 §2:
  // it may replace requested values; the answer says what was registered).
  const REAL_CLIENTS: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      "mcp-remote --device-code (device grant with response_types ['code'])",
      {
        client_name: 'MCP CLI Proxy',
        client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
        redirect_uris: ['http://localhost:3334/oauth/callback'],
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
        software_version: '0.1.29',
      },
      { grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], response_types: [], token_endpoint_auth_method: 'none' },
    ],
    [
      'VS Code (vscode.dev and loopback redirects, the three grants it supports, its scopes)',
      {
        client_name: 'Visual Studio Code',
        client_uri: 'https://code.visualstudio.com',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: ['https://insiders.vscode.dev/redirect', 'https://vscode.dev/redirect', 'http://127.0.0.1/', 'http://127.0.0.1:33418/'],
        scope: 'openid profile mcp:tools',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      },
      {
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        scope: 'openid profile',
        application_type: 'native',
      },
    ],
    [
      'Claude Code (loopback callback, public)',
      {
        client_name: 'Claude Code (my-server)',
        redirect_uris: ['http://localhost:53312/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', application_type: 'native' },
    ],
    [
      'Cursor (private-use scheme)',
      {
        client_name: 'Cursor',
        redirect_uris: ['cursor://anysphere.cursor-retrieval/oauth/user-my-server/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { response_types: ['code'], application_type: 'native' },
    ],
    [
      "the MCP TypeScript SDK's example client (client_secret_post, no response_types)",
      {
        client_name: 'Simple OAuth MCP Client',
        redirect_uris: ['http://localhost:8090/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
        client_uri: 'http://example.com',
      },
      { token_endpoint_auth_method: 'none', response_types: ['code'] },
    ],
  ];
  for (const [name, sent, registered] of REAL_CLIENTS) {
    test(`accepts ${name}`, async () => {
      const r = await register(sent);
      expect(r.status).toBe(201);
      const body = await r.json();
      expect(body).toMatchObject(registered);
      expect(body.client_secret).toBeUndefined();
      const row = (await srv.deps.store.clients.get(body.client_id))!;
      expect(row.grantTypes).toEqual(body.grant_types);
      expect(row.tokenEndpointAuthMethod).toBe(body.token_endpoint_auth_method);
      if (!('scope' in registered)) expect(body.scope).toBeUndefined();
      if (sent.client_uri === 'http://example.com') expect(body.client_uri).toBeUndefined(); // not https: not registered
    });
  }

  test('a device-only registration runs the device grant end to end', async () => {
    const { client_id } = await (await register(REAL_CLIENTS[0]![1])).json();
    const d = await postForm(`${srv.base}/device_authorization`, { client_id });
    expect(d.status).toBe(200);
    const poll = await postForm(`${srv.base}/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: (await d.json()).device_code,
      client_id,
    });
    expect((await poll.json()).error).toBe('authorization_pending');
    // It has no authorization_code grant: /authorize refuses it.
    const a = await new Browser(srv.base).authorize({
      response_type: 'code',
      client_id,
      redirect_uri: 'http://localhost:3334/oauth/callback',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    expect(a.status === 302 ? new URL(a.headers.get('location')!).searchParams.get('error') : a.status).toBe('unauthorized_client');
  });

  const rejections: [string, unknown, string][] = [
    ['a fragment in a redirect URI', { ...MCP_CLIENT, redirect_uris: ['https://a.example/cb#x'] }, 'invalid_redirect_uri'],
    ['http on a public host', { ...MCP_CLIENT, redirect_uris: ['http://a.example/cb'] }, 'invalid_redirect_uri'],
    ['javascript: redirect', { ...MCP_CLIENT, redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    ['no redirect URIs for the code grant', { ...MCP_CLIENT, redirect_uris: [] }, 'invalid_redirect_uri'],
    ['redirect_uris not an array', { ...MCP_CLIENT, redirect_uris: 'https://a.example/cb' }, 'invalid_client_metadata'],
    ['an unknown auth method', { ...MCP_CLIENT, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    ['an unknown grant', { ...MCP_CLIENT, grant_types: ['password'] }, 'invalid_client_metadata'],
    ['response_type token', { ...MCP_CLIENT, response_types: ['token'] }, 'invalid_client_metadata'],
    ['no grant that issues a token (refresh_token alone)', { ...MCP_CLIENT, grant_types: ['refresh_token'] }, 'invalid_client_metadata'],
    ['client_credentials for a public client', { ...MCP_CLIENT, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
    ['grant_types not an array', { ...MCP_CLIENT, grant_types: 'authorization_code' }, 'invalid_client_metadata'],
    ['a grant type that is not a string', { ...MCP_CLIENT, grant_types: ['authorization_code', 7] }, 'invalid_client_metadata'],
    ['a client_name that is not a string', { ...MCP_CLIENT, client_name: 42 }, 'invalid_client_metadata'],
    [
      'more than 20 redirect URIs',
      { ...MCP_CLIENT, redirect_uris: Array.from({ length: 21 }, (_, i) => `http://127.0.0.1/cb${i}`) },
      'invalid_client_metadata',
    ],
    ['a wrong application_type', { ...MCP_CLIENT, application_type: 'tv' }, 'invalid_client_metadata'],
    ['an oversized client_name', { ...MCP_CLIENT, client_name: 'x'.repeat(500) }, 'invalid_client_metadata'],
    ['a JSON array', [MCP_CLIENT], 'invalid_client_metadata'],
    ['malformed JSON', '{"client_name":', 'invalid_client_metadata'],
  ];
  for (const [name, body, error] of rejections) {
    test(`rejects ${name} (400 ${error}) and creates nothing`, async () => {
      const before = (await srv.deps.store.clients.list()).length;
      const r = await register(body);
      expect(r.status).toBe(400);
      expect((await r.json()).error).toBe(error);
      expect((await srv.deps.store.clients.list()).length).toBe(before);
    });
  }

  test('each member must be what RFC 7591 §2 says; the description names the first that is not', async () => {
    const r = await register({ ...MCP_CLIENT, client_name: 42 });
    expect(await r.json()).toEqual({ error: 'invalid_client_metadata', error_description: 'client_name must be a string of at most 200 characters' });
    const g = await register({ ...MCP_CLIENT, grant_types: 'authorization_code' });
    expect((await g.json()).error_description).toBe('grant_types must be an array of strings');
  });

  test('members sent as null are taken as absent; unknown members are ignored', async () => {
    const r = await register({ ...MCP_CLIENT, client_uri: null, scope: null, contacts: ['a@example.com'], tos_uri: 'https://x.example/tos' });
    expect(r.status).toBe(201);
    const body = await r.json();
    expect(body.client_uri).toBeUndefined();
    expect(body.contacts).toBeUndefined();
  });

  test('form-encoded bodies and oversized bodies are refused', async () => {
    const form = await fetch(`${srv.base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'client_name=x',
    });
    expect(form.status).toBe(400);
    expect((await register({ ...MCP_CLIENT, pad: 'x'.repeat(20000) })).status).toBe(413);
  });
});

describe('registration policy', () => {
  test('per-IP limit: 429 with Retry-After after REGISTRATION_RATE_LIMIT', async () => {
    const s = await startTestServer({ REGISTRATION_RATE_LIMIT: '3', REGISTRATION_RATE_WINDOW: '1h' });
    try {
      for (let i = 0; i < 3; i++) expect((await register(MCP_CLIENT, {}, s.base)).status).toBe(201);
      const r = await register(MCP_CLIENT, {}, s.base);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(3000);
      expect(await r.json()).toEqual({ error: 'too_many_requests', error_description: 'registration rate limit exceeded; retry later' });
      s.clock.advance(3601);
      expect((await register(MCP_CLIENT, {}, s.base)).status).toBe(201);
    } finally {
      await s.close();
    }
  });

  test('REGISTRATION=token requires the initial access token (constant-time compare)', async () => {
    const s = await startTestServer({ REGISTRATION: 'token', REGISTRATION_TOKEN: 'initial-access-token-0123456789' });
    try {
      const none = await register(MCP_CLIENT, {}, s.base);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('invalid_token');
      expect((await register(MCP_CLIENT, { Authorization: 'Bearer wrong-token-000000000000' }, s.base)).status).toBe(401);
      expect((await register(MCP_CLIENT, { Authorization: 'Bearer initial-access-token-0123456789' }, s.base)).status).toBe(201);
    } finally {
      await s.close();
    }
  });

  test('REGISTRATION=off: 404 and not advertised', async () => {
    const s = await startTestServer({ REGISTRATION: 'off' });
    try {
      expect((await register(MCP_CLIENT, {}, s.base)).status).toBe(404);
      const md = await (await fetch(`${s.base}/.well-known/oauth-authorization-server`)).json();
      expect(md.registration_endpoint).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  test('REGISTRATION_ALLOW_CONFIDENTIAL: a confidential client gets its secret once, stored hashed', async () => {
    const s = await startTestServer({ REGISTRATION_ALLOW_CONFIDENTIAL: 'true' });
    try {
      const body = await (
        await register(
          { ...MCP_CLIENT, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
          {},
          s.base,
        )
      ).json();
      expect(body.client_secret).toMatch(/^cs_/);
      expect(body.client_secret_expires_at).toBe(0);
      const row = await s.deps.store.clients.get(body.client_id);
      expect(row!.secretHash).not.toContain(body.client_secret);
      const t = await postForm(`${s.base}/token`, { grant_type: 'client_credentials', client_id: body.client_id, client_secret: body.client_secret });
      expect(t.status).toBe(200);
      // "none" is still honoured with no secret.
      expect((await (await register(MCP_CLIENT, {}, s.base)).json()).client_secret).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  test('idle registered clients are reaped after CLIENT_IDLE_TTL; operator and seeded clients never', async () => {
    const s = await startTestServer({ CLIENT_IDLE_TTL: '2d' });
    try {
      const idle = (await (await register(MCP_CLIENT, {}, s.base)).json()).client_id;
      const used = (await (await register(MCP_CLIENT, {}, s.base)).json()).client_id;
      const { addClient } = await import('./helpers/oauth.ts');
      const op = await addClient(s, { name: 'operator' });
      s.clock.advance(86400 + 10);
      await s.deps.store.clients.touch(used, Math.floor(s.clock.nowMs() / 1000));
      s.clock.advance(86400 + 10);
      const now = Math.floor(s.clock.nowMs() / 1000);
      await s.deps.store.sweep(now, now - s.deps.config.clientIdleTtl);
      expect(await s.deps.store.clients.get(idle)).toBeNull();
      expect(await s.deps.store.clients.get(used)).not.toBeNull();
      expect(await s.deps.store.clients.get(op.client.id)).not.toBeNull();
      expect(await s.deps.store.clients.get('auth-cli')).not.toBeNull();
    } finally {
      await s.close();
    }
  });
});

describe('Client ID Metadata Documents', () => {
  let docs: ReturnType<typeof Bun.serve>;
  let cimd: TestServer;
  let fetches = 0;
  let docBase = '';
  const documents: Record<string, (req: Request) => Response | Promise<Response>> = {};
  /** Slow documents still being sent: a 200, then one byte every 400 ms until the fetcher goes away. */
  let dripping = 0;
  const drip = (req: Request) => {
    let timer: Timer | undefined;
    const stop = () => {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      dripping--;
    };
    req.signal.addEventListener('abort', stop);
    return new Response(
      new ReadableStream({
        start(c) {
          dripping++;
          c.enqueue(new TextEncoder().encode('{'));
          timer = setInterval(() => {
            try {
              c.enqueue(new TextEncoder().encode(' '));
            } catch {
              stop();
            }
          }, 400);
        },
        cancel: stop,
      }),
      { headers: { 'Content-Type': 'application/json' } },
    );
  };
  beforeAll(async () => {
    docs = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      idleTimeout: 60,
      async fetch(req) {
        fetches++;
        const path = new URL(req.url).pathname;
        if (path.startsWith('/drip/')) return drip(req);
        const h = documents[path];
        return h ? h(req) : new Response('no', { status: 404 });
      },
    });
    docBase = `http://127.0.0.1:${docs.port}`;
    const doc =
      (path: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      () =>
        Response.json(
          {
            client_id: `${docBase}${path}`,
            client_name: 'Claude Code',
            redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
            token_endpoint_auth_method: 'none',
            ...extra,
          },
          { headers },
        );
    documents['/good.json'] = doc('/good.json', {}, { 'Cache-Control': 'max-age=60' });
    documents['/nocache.json'] = doc('/nocache.json', {}, { 'Cache-Control': 'no-store' });
    documents['/mismatch.json'] = doc('/other.json');
    documents['/secret.json'] = doc('/secret.json', { token_endpoint_auth_method: 'client_secret_basic' });
    documents['/noname.json'] = doc('/noname.json', { client_name: undefined });
    documents['/redirect.json'] = () => new Response(null, { status: 302, headers: { Location: `${docBase}/good.json` } });
    documents['/big.json'] = doc('/big.json', { pad: 'x'.repeat(6000) });
    documents['/slow.json'] = async () => {
      await Bun.sleep(2500);
      return doc('/slow.json')();
    };
    documents['/broken.json'] = () => new Response('{not json', { headers: { 'Content-Type': 'application/json' } });
    documents['/drip.json'] = drip;
    for (const n of ['a', 'b', 'c']) documents[`/cap-${n}.json`] = doc(`/cap-${n}.json`);
    cimd = await startTestServer({ CIMD_ALLOW_LOOPBACK: 'true', CIMD_TIMEOUT: '1s', CIMD_RATE_LIMIT: '0' });
    await addUser(cimd, 'cara', 'cara password!');
  });
  afterAll(async () => {
    docs.stop(true);
    await cimd.close();
  });

  test('advertised in metadata', async () => {
    const md = await (await fetch(`${cimd.base}/.well-known/oauth-authorization-server`)).json();
    expect(md.client_id_metadata_document_supported).toBe(true);
  });

  test('a valid document: the code flow works, consent shows the document host, and it is cached per Cache-Control', async () => {
    const clientId = `${docBase}/good.json`;
    const b = new Browser(cimd.base);
    await b.login('cara', 'cara password!');
    const { verifier, challenge } = pkcePair();
    const redirect = 'http://localhost:49200/callback';
    const before = fetches;
    const consent = await b.authorize({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(html).toContain('Claude Code');
    expect(html.replace(/<[^>]+>/g, '')).toContain(`described by 127.0.0.1:${docs.port}.`);
    const res = await b.post('/consent', { csrf: hiddenValue(html, 'csrf')!, request: hiddenValue(html, 'request')!, decision: 'allow' });
    const t = await postForm(`${cimd.base}/token`, {
      grant_type: 'authorization_code',
      code: codeFrom(res).code,
      redirect_uri: redirect,
      client_id: clientId,
      code_verifier: verifier,
    });
    expect(t.status).toBe(200);
    expect(fetches - before).toBe(1); // one fetch for authorize, consent and token: cached for 60 s
    cimd.clock.advance(61);
    await b.authorize({ response_type: 'code', client_id: clientId, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256' });
    expect(fetches - before).toBe(2);
  });

  test('redirect URIs are checked against the document', async () => {
    const res = await new Browser(cimd.base).authorize({
      response_type: 'code',
      client_id: `${docBase}/good.json`,
      redirect_uri: 'https://evil.example/cb',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('redirect_uri is not registered');
  });

  const bad: [string, string][] = [
    ['/mismatch.json', 'client_id differs'],
    ['/secret.json', 'not supported for metadata documents'],
    ['/noname.json', 'client_name'],
    ['/redirect.json', 'redirects (not followed)'],
    ['/big.json', 'larger than 5120 bytes'],
    ['/slow.json', 'timed out'],
    ['/drip.json', 'timed out after 1s'],
    ['/broken.json', 'not JSON'],
    ['/missing.json', 'answered 404'],
  ];
  for (const [path, reason] of bad) {
    test(`a bad document (${path}) is an error page naming the reason, never cached`, async () => {
      const before = fetches;
      for (let i = 0; i < 2; i++) {
        const res = await new Browser(cimd.base).authorize({
          response_type: 'code',
          client_id: `${docBase}${path}`,
          redirect_uri: 'http://localhost/callback',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
        });
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(await res.text()).toContain(reason);
      }
      expect(fetches - before).toBe(2); // errors are not cached
    });
  }

  test('CIMD_TIMEOUT bounds the whole fetch: thirty documents dripping a byte every 400 ms all fail within it, and no fetch stays open', async () => {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const res = await new Browser(cimd.base).authorize({
          response_type: 'code',
          client_id: `${docBase}/drip/${i}.json`,
          redirect_uri: 'http://localhost/callback',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
        });
        return { status: res.status, text: await res.text(), ms: performance.now() - started };
      }),
    );
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.text).toContain('timed out after 1s');
      expect(a.ms).toBeLessThan(2000); // CIMD_TIMEOUT + 1 s
    }
    // Every outbound fetch was closed at the deadline: the document server sees no stream left open.
    for (let i = 0; i < 20 && dripping > 0; i++) await Bun.sleep(50);
    expect(dripping).toBe(0);
  });

  test('at most CIMD_MAX_CLIENTS metadata-document clients exist: a new one replaces the least recently used', async () => {
    const s = await startTestServer({ CIMD_ALLOW_LOOPBACK: 'true', CIMD_MAX_CLIENTS: '2', CIMD_RATE_LIMIT: '0' });
    try {
      const open = async (n: string) => {
        const res = await new Browser(s.base).authorize({
          response_type: 'code',
          client_id: `${docBase}/cap-${n}.json`,
          redirect_uri: 'http://localhost/callback',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
        });
        expect(res.status).toBe(200); // the sign-in page: the client was resolved
        s.clock.advance(10);
      };
      await open('a');
      await open('b');
      await s.deps.store.clients.touch(`${docBase}/cap-a.json`, Math.floor(s.clock.nowMs() / 1000)); // a used since: b is the least recent
      s.clock.advance(10);
      await open('c');
      const rows = await rawQuery(s.deps.store, "SELECT id FROM clients WHERE origin = 'metadata_document' ORDER BY id");
      expect(rows.map((r) => r.id)).toEqual([`${docBase}/cap-a.json`, `${docBase}/cap-c.json`]);
      // Operator and registered clients are never counted or reaped.
      expect(await s.deps.store.clients.get('auth-cli')).not.toBeNull();
    } finally {
      await s.close();
    }
  });

  test('CIMD_RATE_LIMIT: look-ups that miss the cache are limited per IP (429 with Retry-After); cached ones are not', async () => {
    const s = await startTestServer({ CIMD_ALLOW_LOOPBACK: 'true', CIMD_RATE_LIMIT: '3' });
    try {
      const go = (path: string) =>
        new Browser(s.base).authorize({
          response_type: 'code',
          client_id: `${docBase}${path}`,
          redirect_uri: 'http://localhost/callback',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
        });
      expect((await go('/good.json')).status).toBe(200); // a miss (then cached for 60 s): the sign-in page
      expect((await go('/missing-1.json')).status).toBe(400);
      expect((await go('/missing-2.json')).status).toBe(400);
      const limited = await go('/missing-3.json');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited.text()).toContain('too many client metadata document look-ups');
      for (let i = 0; i < 5; i++) expect((await go('/good.json')).status).toBe(200); // cache hits never count
      // The token endpoint counts the same way: JSON 429.
      const t = await postForm(`${s.base}/token`, { grant_type: 'authorization_code', code: 'ac_x', client_id: `${docBase}/missing-4.json` });
      expect(t.status).toBe(429);
      expect((await t.json()).error).toBe('too_many_requests');
      s.clock.advance(61);
      expect((await go('/missing-5.json')).status).toBe(400);
    } finally {
      await s.close();
    }
  });

  test('no-store documents are fetched every time', async () => {
    const before = fetches;
    for (let i = 0; i < 2; i++)
      await new Browser(cimd.base).authorize({
        response_type: 'code',
        client_id: `${docBase}/nocache.json`,
        redirect_uri: 'http://localhost/callback',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      });
    expect(fetches - before).toBe(2);
  });

  test('at the token endpoint a bad document is invalid_client (401)', async () => {
    const r = await postForm(`${cimd.base}/token`, { grant_type: 'authorization_code', code: 'ac_x', client_id: `${docBase}/mismatch.json` });
    expect(r.status).toBe(401);
    expect((await r.json()).error).toBe('invalid_client');
  });

  test('without the development switch, loopback and private addresses are refused (SSRF)', async () => {
    const s = await startTestServer();
    try {
      for (const id of [
        `${docBase.replace('http:', 'https:')}/good.json`,
        'https://localhost/x.json',
        'https://10.0.0.1/x.json',
        'https://169.254.169.254/latest/meta-data',
        'https://[::1]/x.json',
      ]) {
        const res = await new Browser(s.base).authorize({ response_type: 'code', client_id: id, redirect_uri: 'http://localhost/callback' });
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('non-public address');
      }
      const http = await new Browser(s.base).authorize({ response_type: 'code', client_id: `${docBase}/good.json`, redirect_uri: 'http://localhost/callback' });
      expect(await http.text()).toContain('must be https');
    } finally {
      await s.close();
    }
  });

  test('client_id URL rules: https, a path, no credentials, fragment or dot segments, canonical', () => {
    expect(() => checkClientIdUrl('https://a.example/c.json', false)).not.toThrow();
    for (const [id, why] of [
      ['http://a.example/c.json', 'https'],
      ['https://a.example/', 'path'],
      ['https://u:p@a.example/c', 'credentials'],
      ['https://a.example/c#f', 'fragment'],
      ['https://a.example/x/../c', '. or ..'],
      ['https://A.example/c', 'canonical'],
    ] as const)
      expect(() => checkClientIdUrl(id, false)).toThrow(why);
  });
});
