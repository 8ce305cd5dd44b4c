/// <reference lib="dom" />
// Input no client should send: a Host header that is not an authority (RFC 9112 §3.2), bodies over the
// 1 MiB cap (RFC 9110 §15.5.14), and a fuzz run of more than 10,000 malformed requests — over fetch and
// byte for byte on raw sockets — across every endpoint. Nothing may answer 5xx (but Bun's own 505 to a
// request line that is not HTTP/1.x), log above info, or change the store.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rawQuery } from './helpers/db.ts';
import { rawBody, rawRequest } from './helpers/raw-http.ts';
import { addClient, addUser } from './helpers/oauth.ts';
import { eventually, startTestServer, type TestServer } from './helpers/server.ts';

const CB = 'https://app.example/cb';
const MIB = 1024 * 1024;

/** Log lines above info (warn is allowed for nothing here: bad input is the client's fault, not ours). */
const loud = (logs: string[]) => logs.filter((l) => /"level":"(warn|error)"/.test(l) && !l.includes('initial-admin-password') && !l.includes('created user'));

describe('Host header that is not a valid authority', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ METRICS_TOKEN: '' });
  });
  afterAll(() => srv.close());

  const hosts = ['a b', 'a<b', 'a/b', '[::1', '127.0.0.1:99999', '', 'x@y', 'a%20b', 'a?b', 'a#b'];
  const routes: [string, string][] = [
    ['POST', '/token'],
    ['POST', '/revoke'],
    ['POST', '/introspect'],
    ['POST', '/register'],
    ['POST', '/device_authorization'],
    ['GET', '/oauth/tokeninfo'],
    ['POST', '/temp-tokens'],
    ['OPTIONS', '/token'],
    ['GET', '/metrics'],
    ['GET', '/static/unknown.css'],
    ['GET', '/authorize'],
    ['GET', '/login'],
    ['GET', '/nowhere'],
  ];

  test('every route answers 400 invalid_request and logs nothing above info (RFC 9112 §3.2)', async () => {
    const answers: string[] = [];
    for (const [method, path] of routes) {
      for (const host of hosts) {
        const a = await rawRequest(
          srv.port,
          `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=b`,
        );
        answers.push(`${method} ${path} ${JSON.stringify(host)} → ${a.status}`);
        expect(a.status).toBe(400);
        expect(JSON.parse(rawBody(a))).toEqual({ error: 'invalid_request', error_description: 'the Host header is not a valid authority' });
      }
    }
    expect(answers.length).toBe(routes.length * hosts.length);
    expect(loud(srv.logs)).toEqual([]);
    // Logged at info and counted, like any other 400.
    expect(srv.logs.some((l) => l.includes('"msg":"request"') && l.includes('"path":"/token"') && l.includes('"status":400'))).toBe(true);
    const metrics = await (await fetch(`${srv.base}/metrics`)).text();
    expect(metrics).toMatch(/auth_http_requests_total\{method="POST",route="\/token",status="400"\} \d+/);
  });

  test('a valid Host keeps working on the same server', async () => {
    const a = await rawRequest(srv.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
    expect(a.status).toBe(200);
  });
});

describe('bodies over the 1 MiB cap', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.close());

  const big = `a=${'x'.repeat(1.5 * MIB)}`;
  const declared = (path: string) =>
    rawRequest(
      srv.port,
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`,
    );
  const chunked = (path: string, type = 'application/x-www-form-urlencoded') =>
    rawRequest(
      srv.port,
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    );

  test('a declared length over the cap is 413 before the body is read, logged and counted', async () => {
    for (const path of ['/token', '/register', '/login', '/temp-tokens', '/nowhere']) {
      const a = await declared(path);
      expect(a.status).toBe(413);
      expect(JSON.parse(rawBody(a))).toEqual({ error: 'invalid_request', error_description: 'request body too large (at most 1048576 bytes)' });
    }
    // Even a length that was never going to come: answered at once.
    const huge = await rawRequest(srv.port, 'POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000000\r\n\r\nabc', 2000);
    expect(huge.status).toBe(413);
    await eventually(() => srv.logs.filter((l) => l.includes('"msg":"request"') && l.includes('"status":413')).length === 6);
  });

  test('a chunked body is cut at the cap: 413, not a 500 with a stack', async () => {
    for (const path of ['/token', '/login', '/register']) {
      const a = await chunked(path, path === '/register' ? 'application/json' : 'application/x-www-form-urlencoded');
      expect(a.status).toBe(413);
    }
    // With the three declared-length ones of the test before (two on /token); counted after each response.
    await eventually(() => srv.deps.metrics.render().includes('auth_http_requests_total{method="POST",route="/login",status="413"} 2'));
    const metrics = await (await fetch(`${srv.base}/metrics`)).text();
    expect(metrics).toContain('auth_http_requests_total{method="POST",route="/token",status="413"} 3');
    expect(metrics).toContain('auth_http_requests_total{method="POST",route="/login",status="413"} 2');
    expect(loud(srv.logs)).toEqual([]);
    expect(srv.logs.some((l) => l.includes('"status":500'))).toBe(false);
  });

  test('a small chunked body is read as usual', async () => {
    const body = 'grant_type=nope';
    const a = await rawRequest(
      srv.port,
      `POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    expect(a.status).toBe(400);
    expect(JSON.parse(rawBody(a)).error).toBe('unsupported_grant_type');
  });
});

describe('declared headers and path segments (route schemas)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ METRICS_TOKEN: 'metrics-token-0123456789', INTROSPECTION_TOKEN: 'introspection-token-0123456789' });
  });
  afterAll(() => srv.close());

  test('an Authorization header over 8 KiB: 400 invalid_request naming the header, on every route that reads one', async () => {
    const authorization = `Basic ${'a'.repeat(9000)}`;
    // (The temp-token API and /register check their operator token first: 401 there.)
    for (const [method, path] of [
      ['POST', '/token'],
      ['POST', '/oauth/token'],
      ['POST', '/revoke'],
      ['POST', '/introspect'],
      ['GET', '/oauth/tokeninfo?access_token=x'],
      ['POST', '/device_authorization'],
      ['GET', '/userinfo'],
      ['POST', '/userinfo'],
      ['GET', '/metrics'],
    ] as const) {
      const r = await fetch(srv.base + path, {
        method,
        headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: method === 'POST' ? 'grant_type=client_credentials' : undefined,
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ error: 'invalid_request', error_description: 'header authorization is too long (at most 8192 characters)' });
    }
  });

  test('a path segment over its cap: 400, a page on page routes', async () => {
    const file = await fetch(`${srv.base}/static/${'a'.repeat(100)}`);
    expect(file.status).toBe(400);
    expect((await file.json()).error_description).toBe('path segment file is too long (at most 64 characters)');
    const callback = await fetch(`${srv.base}/callback/${'p'.repeat(40)}?state=x&code=y`, { headers: { Accept: 'text/html' } });
    expect(callback.status).toBe(400);
    expect(callback.headers.get('content-type')).toContain('text/html');
  });
});

/** A small deterministic PRNG so a failing fuzz case can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('fuzz', () => {
  // Every endpoint of docs/endpoints.md, the aliases, pages, and paths that are not there.
  const PATHS = [
    '/',
    '/authorize',
    '/token',
    '/oauth/token',
    '/device_authorization',
    '/oauth/device/code',
    '/device',
    '/device/verify',
    '/device/confirm',
    '/register',
    '/introspect',
    '/revoke',
    '/oauth/revoke',
    '/oauth/tokeninfo',
    '/login',
    '/logout',
    '/consent',
    '/account',
    '/account/revoke',
    '/callback',
    '/callback/oidc',
    '/login/oidc',
    '/set-password/abc',
    '/temp-tokens',
    '/temp-tokens/validate',
    '/jwks.json',
    '/.well-known/jwks.json',
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
    '/metrics',
    '/health',
    '/static/style.css',
    '/static/../../etc/passwd',
    '/%2e%2e/',
    '/x'.repeat(300),
  ];

  test('10,000+ malformed requests over fetch and raw sockets: no 5xx, nothing logged above info, the store unchanged', async () => {
    const srv = await startTestServer({
      INTROSPECTION_TOKEN: 'introspection-secret-0123456789',
      ADMIN_TOKEN: 'admin-token-0123456789abcdef',
      TOKEN_RATE_LIMIT: '0',
      TOKEN_CLIENT_RATE_LIMIT: '0',
      INTROSPECTION_RATE_LIMIT: '0',
      DEVICE_RATE_LIMIT: '0',
      REGISTRATION_RATE_LIMIT: '1000000',
      LOGIN_RATE_LIMIT: '100000',
      LOGIN_ACCOUNT_RATE_LIMIT: '100000',
    });
    try {
      await addUser(srv, 'alice', 'alice password');
      await addClient(srv, { name: 'fuzz', redirectUris: [CB] });
      const tables = [
        'clients',
        'users',
        'identities',
        'sessions',
        'consents',
        'signing_keys',
        'authorization_codes',
        'refresh_families',
        'refresh_tokens',
        'revoked_access_tokens',
        'device_codes',
        'temp_tokens',
        'upstream_logins',
      ];
      const snapshot = async () =>
        Object.fromEntries(
          await Promise.all(tables.map(async (t) => [t, Number((await rawQuery(srv.deps.store, `SELECT COUNT(*) AS n FROM ${t}`))[0]!.n)] as const)),
        );
      const before = await snapshot();
      const rnd = prng(20261205);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const failures: string[] = [];
      let sent = 0;

      // 1. Over fetch: well-framed HTTP with hostile parameters, bodies, content types and headers.
      const values = [
        "' OR 1=1 --",
        '"; DROP TABLE clients; --',
        '<script>alert(1)</script>',
        '%00',
        '%ZZ',
        '%C0%AF',
        '%FF%FE',
        '\r\nSet-Cookie: x=1',
        'a'.repeat(5000),
        '',
        '../../etc/passwd',
        'rt_x.y',
        'ac_AAAAAAAAAAAAAAAAAAAAAA.BBBB',
        'dc_',
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.',
        'null',
        '{}',
        '[]',
        '😀',
        'http://evil.example',
        'S256',
        'plain',
        'code',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
        'auth-cli',
        '\u202Eevil',
        'https://127.0.0.1:1/x.json',
      ];
      const names = [
        'grant_type',
        'code',
        'client_id',
        'client_secret',
        'redirect_uri',
        'code_verifier',
        'refresh_token',
        'scope',
        'resource',
        'token',
        'token_type_hint',
        'device_code',
        'user_code',
        'csrf',
        'username',
        'password',
        'next',
        'state',
        'response_type',
        'code_challenge',
        'code_challenge_method',
        'request',
        'decision',
        'family_id',
        'prompt',
        'x',
      ];
      const body = () => {
        const kind = rnd();
        if (kind < 0.15) return Uint8Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
        if (kind < 0.25)
          return JSON.stringify(
            pick([
              { redirect_uris: pick(values) },
              [1, 2],
              'x',
              { token: pick(values) },
              { scope: 5, resource_id: [], ttl: 'x' },
              null,
              { redirect_uris: ['http://127.0.0.1/cb'], grant_types: [pick(values)], response_types: [pick(values)] },
            ]),
          );
        if (kind < 0.3) return 'a='.repeat(20000);
        const n = Math.floor(rnd() * 6);
        let s = '';
        for (let i = 0; i < n; i++) s += `${i ? '&' : ''}${pick(names)}=${encodeURIComponent(pick(values))}`;
        if (rnd() < 0.3) s += `&${pick(names)}=${encodeURIComponent(pick(values))}&${pick(names)}=x`; // repeats
        if (rnd() < 0.2) s += '&%ZZ=%E0%A4'; // broken encodings
        return rnd() < 0.1 ? s.slice(0, Math.floor(s.length / 2)) : s;
      };
      const headers = () => {
        const h: Record<string, string> = {};
        const ct = pick(['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', '']);
        if (ct) h['Content-Type'] = ct;
        if (rnd() < 0.3)
          h.Authorization = pick([
            'Basic !!!',
            `Basic ${btoa('a:b')}`,
            'Bearer x',
            `Bearer ${'x'.repeat(3000)}`,
            'Digest x',
            `Basic ${btoa('auth-cli:')}`,
            'DPoP x',
          ]);
        if (rnd() < 0.2) h.Cookie = pick(['auth_session=ss_x.y', `auth_csrf=${'a'.repeat(43)}`, 'a=b; auth_session=; x', `auth_session=${'x'.repeat(600)}`]);
        if (rnd() < 0.1) h.Origin = 'https://evil.example';
        if (rnd() < 0.1) h['X-Temp-Token'] = pick(['tt_x.y', 'x']);
        if (rnd() < 0.1) h['X-Forwarded-For'] = '1.2.3.4';
        if (rnd() < 0.1) h.Accept = pick(['text/html', 'application/json', '*/*']);
        if (rnd() < 0.05) h['If-None-Match'] = pick(['*', 'W/"x"', '"a", "b"', '""']);
        return h;
      };
      const FETCHES = 7000;
      for (let i = 0; i < FETCHES; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const method = pick(['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD']);
            let path = pick(PATHS);
            if (rnd() < 0.5) path += `?${pick(names)}=${encodeURIComponent(pick(values))}&${pick(names)}=${pick(values).replace(/[#&\r\n]/g, '')}`;
            const hasBody = method !== 'GET' && method !== 'HEAD';
            sent++;
            const res = await fetch(srv.url + path, { method, headers: headers(), body: hasBody ? body() : undefined, redirect: 'manual' }).catch(
              (e) => e as Error,
            );
            if (res instanceof Error) failures.push(`${method} ${path.slice(0, 80)}: ${res.message}`);
            else if (res.status >= 500) failures.push(`${method} ${path.slice(0, 80)}: ${res.status} ${(await res.text()).slice(0, 200)}`);
            else await res.arrayBuffer();
          }),
        );
      }

      // 2. Raw sockets: request lines, header blocks, hosts, framing and bytes fetch would never send.
      const host = () =>
        pick([
          'localhost',
          `127.0.0.1:${srv.port}`,
          'a b',
          'a<b',
          'a/b',
          '[::1',
          '127.0.0.1:99999',
          '',
          'ä.example',
          '[::1]:80',
          'x'.repeat(300),
          'a\tb',
          '%',
          '@',
        ]);
      const line = (): { text: string; http1: boolean } => {
        const method = pick(['GET', 'POST', 'OPTIONS', 'HEAD', 'FOO', 'get', 'CONNECT', 'TRACE', 'DELETE', '']);
        const target = pick([
          pick(PATHS),
          '*',
          'token',
          'http://evil.example/token',
          `/token?${'a'.repeat(20000)}`,
          '/\x80\xff',
          '/token?x=%ZZ',
          '/a b',
          '//token',
          '/token#frag',
          '/%00',
          '/\u00e9',
        ]);
        const version = pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', '', 'HTTPS/1.1']);
        const text = pick([
          `${method} ${target} ${version}`,
          `${method}  ${target} ${version}`,
          `${method} ${target}`,
          '\x00\x01\x02',
          `${method}\t${target}\t${version}`,
        ]);
        // An HTTP/1.x request line (RFC 9112 §3): method SP request-target SP HTTP-version, nothing else.
        return { text, http1: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ ]+ HTTP\/1\.[01]$/.test(text) };
      };
      const headerBlock = (h: string) =>
        pick([
          `Host: ${h}\r\n`,
          `Host: ${h}\r\nHost: other\r\n`,
          '',
          `Host: ${h}\r\nBad Header: x\r\n`,
          `Host: ${h}\r\nX: a\x00b\r\n`,
          `Host: ${h}\r\nnocolon\r\n`,
          `Host: ${h}\r\n ${'folded'}\r\n`,
          `Host: ${h}\r\n${Array.from({ length: 150 }, (_, i) => `X-${i}: ${i}`).join('\r\n')}\r\n`,
          `Host: ${h}\r\nX-Big: ${'b'.repeat(70_000)}\r\n`,
          `Host: ${h}\r\nCookie: ${'c=1; '.repeat(3000)}\r\n`,
          `Host: ${h}\r\nAuthorization: Basic ${'\xff\xfe'.repeat(10)}\r\n`,
          `Host: ${h}\r\nX-Forwarded-For: \xff\r\n`,
        ]);
      const framing = (): string => {
        const form = pick(['grant_type=client_credentials', 'a=%ZZ', `a=${'\xc0\xaf'}`, '\xff\xfe\xfd', 'token=x&token=y', `user_code=${'\x80'.repeat(10)}`]);
        return pick([
          '\r\n',
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef`,
          'Content-Length: -1\r\n\r\n',
          'Content-Length: abc\r\n\r\n',
          `Content-Length: ${2 * MIB}\r\n\r\nx`,
          'Content-Length: 99999999999999999999\r\n\r\n',
          `Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${form.length.toString(16)}\r\n${form}\r\n0\r\n\r\n`,
          'Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
          'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
          'Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
          'Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n',
          `Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a":\xff}`,
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n',
        ]);
      };
      const RAW = 3200;
      let raw505 = 0;
      for (let i = 0; i < RAW; i += 40) {
        await Promise.all(
          Array.from({ length: 40 }, async () => {
            const l = line();
            const text = `${l.text}\r\n${headerBlock(host())}${pick(['Connection: close\r\n', ''])}${framing()}`;
            sent++;
            const a = await rawRequest(srv.port, text, 1500);
            if (a.status === 505 && !l.http1) raw505++;
            else if (a.status !== null && a.status >= 500) failures.push(`raw ${JSON.stringify(text.slice(0, 120))}: ${a.status} ${rawBody(a).slice(0, 200)}`);
          }),
        );
      }
      expect(sent).toBeGreaterThanOrEqual(10_000);
      expect(failures).toEqual([]);
      expect((await fetch(`${srv.url}/health`)).status).toBe(200);
      expect((await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).status).toBe(200);
      expect(await snapshot()).toEqual(before);
      expect(srv.logs.filter((l) => l.includes('"unhandled error"') || l.includes('"level":"error"'))).toEqual([]);
      expect(raw505).toBeGreaterThanOrEqual(0);
    } finally {
      await srv.close();
    }
  }, 60_000);
});
