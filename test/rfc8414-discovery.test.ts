// RFC 8414 authorization server metadata, RFC 7517 JWKS, CORS policy.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestServer, type TestServer } from './helpers/server.ts';

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

  test('/.well-known/openid-configuration serves the same document', async () => {
    const a = await (await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).json();
    const b = await (await fetch(`${srv.base}/.well-known/openid-configuration`)).json();
    expect(b).toEqual(a);
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

describe('RFC 7517 JWKS', () => {
  test('publishes the signing key with kid = RFC 7638 thumbprint, cacheable, no private parts', async () => {
    const res = await fetch(`${srv.base}/jwks.json`);
    expect(res.headers.get('cache-control')).toContain('max-age');
    const { keys } = await res.json();
    expect(keys.length).toBe(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0].d).toBeUndefined();
    const { calculateJwkThumbprint } = await import('jose');
    expect(keys[0].kid).toBe(await calculateJwkThumbprint(keys[0]));
    const alias = await (await fetch(`${srv.base}/.well-known/jwks.json`)).json();
    expect(alias.keys).toEqual(keys);
  });
});
