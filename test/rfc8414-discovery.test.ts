// RFC 8414 authorization server metadata, RFC 7517 JWKS, CORS policy.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { eventually, startTestServer, type TestServer } from './helpers/server.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv.close());

describe('RFC 8414 metadata', () => {
  test('issuer is exactly BASE_URL and every advertised endpoint exists', async () => {
    const res = await fetch(`${srv.base}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const md = await res.json();
    expect(md.issuer).toBe(srv.base);
    expect(md).toMatchObject({
      authorization_endpoint: `${srv.base}/authorize`,
      token_endpoint: `${srv.base}/token`,
      jwks_uri: `${srv.base}/jwks.json`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      resource_indicators_supported: true,
    });
    expect(md.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(md.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(md.scopes_supported).toContain('openid');
    for (const [k, v] of Object.entries(md)) {
      if (!k.endsWith('_endpoint') && k !== 'jwks_uri') continue;
      const r = await fetch(v as string, { method: k === 'authorization_endpoint' || k === 'jwks_uri' ? 'GET' : 'POST', redirect: 'manual' });
      expect(r.status).not.toBe(404);
    }
  });

  test('/.well-known/openid-configuration is the same document with the OpenID Provider fields added', async () => {
    const a = await (await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).json();
    const b = await (await fetch(`${srv.base}/.well-known/openid-configuration`)).json();
    expect(b).toMatchObject(a);
    expect(Object.keys(b).filter((k) => !(k in a))).toEqual(
      expect.arrayContaining(['userinfo_endpoint', 'subject_types_supported', 'id_token_signing_alg_values_supported']),
    );
  });

  test('metadata and JWKS allow CORS without credentials; /authorize does not', async () => {
    for (const p of ['/.well-known/oauth-authorization-server', '/jwks.json', '/.well-known/jwks.json']) {
      const r = await fetch(srv.base + p, { headers: { Origin: 'https://inspector.example' } });
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const pre = await fetch(`${srv.base}/token`, { method: 'OPTIONS', headers: { Origin: 'https://x.example', 'Access-Control-Request-Method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const auth = await fetch(`${srv.base}/authorize`, { headers: { Origin: 'https://x.example' } });
    expect(auth.headers.get('access-control-allow-origin')).toBeNull();
    const preAuth = await fetch(`${srv.base}/authorize`, { method: 'OPTIONS' });
    expect(preAuth.headers.get('access-control-allow-origin')).toBeNull();
  });
});

// The metadata is fixed while the process runs: by default Bun serves it (no request id, log line or metrics);
// with LOG_METADATA a handler does, logged like any request. The conditional-request behaviour is the same.
describe('RFC 8414 metadata: ETag, If-None-Match, HEAD, logging', () => {
  let logged: TestServer;
  beforeAll(async () => {
    logged = await startTestServer({ LOG_METADATA: 'true' });
  });
  afterAll(() => logged.close());

  const conditional = async (base: string) => {
    const url = `${base}/.well-known/oauth-authorization-server`;
    const r = await fetch(url);
    const body = await r.text();
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^"[\x21\x23-\x7e]+"$/); // RFC 9110 §8.8.3 strong entity tag
    // The OpenID Provider document: its own bytes, so its own tag, served the same way.
    const oidc = await fetch(`${base}/.well-known/openid-configuration`);
    const oidcTag = oidc.headers.get('etag')!;
    expect(oidcTag).toMatch(/^"[\x21\x23-\x7e]+"$/);
    expect(oidcTag).not.toBe(etag);
    expect((await fetch(`${base}/.well-known/openid-configuration`, { headers: { 'If-None-Match': oidcTag } })).status).toBe(304);
    // RFC 9110 §13.1.2: weak comparison, a list of tags, or `*` for any current representation.
    for (const inm of [etag, `W/${etag}`, '*', `"something-else", ${etag}`, `W/"a",${etag} `]) {
      const nm = await fetch(url, { headers: { 'If-None-Match': inm } });
      expect(nm.status).toBe(304);
      expect(await nm.text()).toBe('');
      expect(nm.headers.get('etag')).toBe(etag);
      expect(nm.headers.get('cache-control')).toBe('public, max-age=3600'); // §15.4.5: as a 200 would
    }
    for (const inm of ['"something-else"', '""', 'W/"x", "y"']) {
      const other = await fetch(url, { headers: { 'If-None-Match': inm } });
      expect(other.status).toBe(200);
      expect(await other.text()).toBe(body);
    }
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(await head.text()).toBe('');
    // Other methods reach the application: a JSON 404 with a request id.
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(404);
    expect((await post.json()).error).toBe('not_found');
    expect(post.headers.get('x-request-id')).toBeTruthy();
    return etag;
  };
  const metadataLines = (logs: string[], from: number) =>
    logs
      .slice(from)
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request' && l.path.startsWith('/.well-known/o'))
      .map((l) => `${l.method} ${l.status}`);

  test('default: served by Bun — ETag, 304, HEAD; no request id, log line or metrics sample', async () => {
    const from = srv.logs.length;
    await conditional(srv.base);
    expect((await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).headers.get('x-request-id')).toBeNull();
    expect(await eventually(() => metadataLines(srv.logs, from).length > 0 && metadataLines(srv.logs, from))).toEqual(['POST 404']);
    expect(srv.deps.metrics.render()).not.toContain('route="/.well-known/oauth-authorization-server",status="200"');
  });

  test('LOG_METADATA=true: the same answers, each logged with a request id and counted', async () => {
    const from = logged.logs.length;
    await conditional(logged.base);
    const r = await fetch(`${logged.base}/.well-known/oauth-authorization-server`, { headers: { 'X-Request-Id': 'trace-md' } });
    expect(r.headers.get('x-request-id')).toBe('trace-md');
    // Each line is written just after its response went out: the last request's line closes the set.
    await eventually(() => logged.logs.some((l) => l.includes('"request_id":"trace-md"')));
    const lines = metadataLines(logged.logs, from);
    expect(lines.filter((l) => l === 'GET 304')).toHaveLength(6);
    expect(lines).toContain('HEAD 200');
    expect(lines).toContain('POST 404');
    expect(lines.filter((l) => l === 'GET 200').length).toBeGreaterThanOrEqual(4);
    expect(logged.deps.metrics.render()).toContain('route="/.well-known/oauth-authorization-server",status="304"');
  });
});

describe('RFC 7517 JWKS', () => {
  test('publishes the signing keys (access tokens: ES256; ID tokens: RS256) with kid = RFC 7638 thumbprint, cacheable, no private parts', async () => {
    const res = await fetch(`${srv.base}/jwks.json`);
    expect(res.headers.get('cache-control')).toContain('max-age');
    const { keys } = await res.json();
    expect(keys.length).toBe(2);
    const es = keys.find((k: { alg: string }) => k.alg === 'ES256');
    const rs = keys.find((k: { alg: string }) => k.alg === 'RS256');
    expect(es).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
    expect(rs).toMatchObject({ kty: 'RSA', e: 'AQAB', use: 'sig' });
    expect(Buffer.from(rs.n, 'base64url').length).toBe(256); // 2048 bits
    const { calculateJwkThumbprint } = await import('jose');
    for (const k of keys) {
      for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k[p]).toBeUndefined();
      expect(k.kid).toBe(await calculateJwkThumbprint(k));
    }
    const alias = await (await fetch(`${srv.base}/.well-known/jwks.json`)).json();
    expect(alias.keys).toEqual(keys);
  });
});
