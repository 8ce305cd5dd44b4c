// `auth proxy` (the compiled binary) in front of real upstreams: RFC 9728 metadata, 401/403 challenges,
// local JWT checks with audience = resource, no token passthrough, streaming (SSE). And the end-to-end
// MCP login: the MCP TypeScript SDK client discovers the server from the 401, registers, runs PKCE with
// resource, the person consents, and the tool call goes through the proxy to a real MCP server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { addClient, addUser, basic, Browser, hiddenValue, postForm } from './helpers/oauth.ts';
import { spawnServer, ensureBinary } from './helpers/cli.ts';
import { freePort, startTestServer, tempDir, type TestServer } from './helpers/server.ts';

let as: TestServer;
let upstream: ReturnType<typeof Bun.serve>;
let proxy: Awaited<ReturnType<typeof spawnServer>>;
let proxyBase = '';
let resource = '';
let seen: { path: string; headers: Record<string, string>; body: string }[] = [];
let svc: Awaited<ReturnType<typeof addClient>>;

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'test-mcp', version: '1.0.0' });
  server.registerTool('whoami', { description: 'the caller as the proxy reports it' }, async (extra) => {
    const h = (extra as { requestInfo?: { headers?: Record<string, string> } }).requestInfo?.headers ?? {};
    return { content: [{ type: 'text', text: `subject=${h['x-auth-subject']} client=${h['x-auth-client-id']} auth=${h.authorization ?? 'none'}` }] };
  });
  return server;
}

beforeAll(async () => {
  await ensureBinary();
  as = await startTestServer();
  svc = await addClient(as, { name: 'svc', redirectUris: [], grantTypes: ['client_credentials'] });
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === '/mcp') {
        // A real MCP server (stateless streamable HTTP), one transport per request.
        const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        await mcpServer().connect(transport);
        return transport.handleRequest(req);
      }
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => {
        headers[k] = v;
      });
      seen.push({ path: url.pathname + url.search, headers, body: await req.text() });
      if (url.pathname === '/listen') {
        // MCP Streamable HTTP's GET stream: open until the client goes away.
        let timer: Timer | undefined;
        const stream = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(': open\n\n'));
            timer = setInterval(() => {
              try {
                c.enqueue(new TextEncoder().encode('data: ping\n\n'));
              } catch {
                clearInterval(timer);
              }
            }, 200);
          },
          cancel() {
            clearInterval(timer);
          },
        });
        return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
      }
      if (url.pathname === '/slow') {
        await Bun.sleep(800);
        return Response.json({ ok: true, path: '/slow' });
      }
      if (url.pathname === '/events') {
        const stream = new ReadableStream({
          async start(c) {
            for (let i = 1; i <= 3; i++) {
              c.enqueue(new TextEncoder().encode(`data: event ${i}\n\n`));
              await Bun.sleep(300);
            }
            c.close();
          },
        });
        return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
      }
      return Response.json({ ok: true, path: url.pathname }, { status: url.pathname === '/teapot' ? 418 : 200 });
    },
  });
  const port = freePort();
  proxyBase = `http://127.0.0.1:${port}`;
  resource = `${proxyBase}/mcp`;
  proxy = await spawnServer({
    cwd: tempDir(),
    env: { LOG_FORMAT: 'json' },
    args: [
      'proxy',
      '--upstream',
      `http://127.0.0.1:${upstream.port}`,
      '--resource',
      resource,
      '--scope',
      'openid',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--issuer',
      as.base,
      '--name',
      'Test MCP',
    ],
  });
  await proxy.waitFor((l) => l.includes('proxy listening'));
});
afterAll(async () => {
  proxy.proc.kill('SIGTERM');
  await proxy.proc.exited;
  upstream.stop(true);
  await as.close();
});

async function serviceToken(scope = 'openid', res = resource): Promise<string> {
  const r = await postForm(`${as.base}/token`, { grant_type: 'client_credentials', scope, resource: res }, basic(svc.client.id, svc.secret!));
  return (await r.json()).access_token;
}

describe('auth proxy', () => {
  test('serves RFC 9728 metadata at the path-inserted well-known URL, with CORS; not the root form for a resource with a path', async () => {
    const r = await fetch(`${proxyBase}/.well-known/oauth-protected-resource/mcp`);
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(await r.json()).toEqual({
      resource,
      authorization_servers: [as.base],
      scopes_supported: ['openid'],
      bearer_methods_supported: ['header'],
      resource_name: 'Test MCP',
    });
    // RFC 9728 §3.3: a client that built the root URL would have to reject resource = …/mcp.
    const root = await fetch(`${proxyBase}/.well-known/oauth-protected-resource`);
    expect(root.status).toBe(404);
    expect((await root.json()).error_description).toContain('/.well-known/oauth-protected-resource/mcp');
  });

  test('no token: 401 with WWW-Authenticate resource_metadata and scope, exposed to browsers', async () => {
    const r = await fetch(`${proxyBase}/mcp`, { method: 'POST', headers: { Origin: 'https://inspector.example' } });
    expect(r.status).toBe(401);
    // RFC 6750 §3 Bearer first (what MCP clients read), then RFC 9449 §7.1's DPoP challenge with its algorithms.
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${proxyBase}/.well-known/oauth-protected-resource/mcp", scope="openid", DPoP algs="ES256 ES384 ES512 EdDSA Ed25519 RS256 RS384 RS512 PS256 PS384 PS512"`,
    );
    expect(r.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    const pre = await fetch(`${proxyBase}/mcp`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://x.example', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(pre.status).toBe(204);
    expect(seen.length).toBe(0); // nothing reached the upstream
  });

  test('invalid, foreign-audience and tampered tokens: 401 invalid_token; missing scope: 403 insufficient_scope', async () => {
    const cases: [string, number, string][] = [
      ['garbage', 401, 'invalid_token'],
      [await serviceToken('openid', 'https://other.example/api'), 401, 'invalid_token'],
      [`${(await serviceToken()).slice(0, -4)}AAAA`, 401, 'invalid_token'],
      [await serviceToken('email'), 403, 'insufficient_scope'],
    ];
    for (const [token, status, error] of cases) {
      const r = await fetch(`${proxyBase}/anything`, { headers: { Authorization: `Bearer ${token}` } });
      expect(r.status).toBe(status);
      expect(r.headers.get('www-authenticate')).toContain(`error="${error}"`);
      expect(r.headers.get('www-authenticate')).toContain('resource_metadata=');
    }
    expect(seen.length).toBe(0);
  });

  test('a valid token is forwarded with the identity headers; Authorization, cookies and spoofed identity are stripped', async () => {
    seen = [];
    const token = await serviceToken();
    const r = await fetch(`${proxyBase}/data?x=1`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'X-Auth-Subject': 'admin', Cookie: 'a=b', 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, path: '/data' });
    const got = seen[0]!;
    expect(got.path).toBe('/data?x=1');
    expect(got.body).toBe('hello');
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers.cookie).toBeUndefined();
    expect(got.headers['x-auth-subject']).toBe(svc.client.id);
    expect(got.headers['x-auth-client-id']).toBe(svc.client.id);
    expect(got.headers['x-auth-scope']).toBe('openid');
    const teapot = await fetch(`${proxyBase}/teapot`, { headers: { Authorization: `Bearer ${token}` } });
    expect(teapot.status).toBe(418); // upstream statuses pass through
  });

  test('responses stream (SSE): the first event arrives before the upstream finishes', async () => {
    const token = await serviceToken();
    const t0 = performance.now();
    const r = await fetch(`${proxyBase}/events`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const reader = r.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const firstAt = performance.now() - t0;
    expect(first).toContain('data: event 1');
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('data: event 3');
    expect(firstAt).toBeLessThan(500); // the whole stream takes ≥ 900 ms
    expect(performance.now() - t0).toBeGreaterThan(800);
  });
});

describe('auth proxy: a resource without a path, and SIGTERM', () => {
  test('the root well-known URL serves the metadata of a path-less resource', async () => {
    const port = freePort();
    const p = await spawnServer({
      cwd: tempDir(),
      env: {},
      args: ['proxy', '--upstream', `http://127.0.0.1:${upstream.port}`, '--port', String(port), '--host', '127.0.0.1', '--issuer', as.base],
    });
    try {
      await p.waitFor((l) => l.includes('proxy listening'));
      const r = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource`);
      expect(r.status).toBe(200);
      expect((await r.json()).resource).toBe(`http://localhost:${port}`);
    } finally {
      p.proc.kill('SIGTERM');
      await p.proc.exited;
    }
  });

  test('stops within SHUTDOWN_TIMEOUT with an event stream open: the stream ends cleanly, a request in flight finishes', async () => {
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const p = await spawnServer({
      cwd: tempDir(),
      env: { SHUTDOWN_TIMEOUT: '5s' },
      args: [
        'proxy',
        '--upstream',
        `http://127.0.0.1:${upstream.port}`,
        '--resource',
        `${base}/mcp`,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--issuer',
        as.base,
      ],
    });
    await p.waitFor((l) => l.includes('proxy listening'));
    const token = await serviceToken('openid', `${base}/mcp`);
    const auth = { Authorization: `Bearer ${token}` };
    const listen = await fetch(`${base}/listen`, { headers: { ...auth, Accept: 'text/event-stream' } });
    expect(listen.status).toBe(200);
    const reader = listen.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': open');
    const slow = fetch(`${base}/slow`, { method: 'POST', headers: auth, body: '{}' });
    await Bun.sleep(100); // the POST is in flight at the upstream
    const t0 = performance.now();
    p.proc.kill('SIGTERM');
    // The stream ends as a complete response (done, no error), long before the timeout.
    let ended = false;
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        ended = true;
        break;
      }
    }
    expect(ended).toBe(true);
    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ ok: true, path: '/slow' });
    expect(await p.proc.exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(p.lines.some((l) => l.includes('proxy stopped') && l.includes('"streams_ended":1'))).toBe(true);
  });
});

/** An OAuthClientProvider kept in memory, as an MCP host would keep it. */
class MemoryProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  constructor(
    readonly redirect: string,
    readonly authMethod = 'none',
  ) {}
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'SDK test client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.authMethod,
      application_type: 'native',
    } as OAuthClientMetadata;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(i: OAuthClientInformationMixed) {
    this.info = i;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(t: OAuthTokens) {
    this.saved = t;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

describe('MCP TypeScript SDK end to end', () => {
  test('discovery from the 401, registration, PKCE with resource, consent, token, tool call through the proxy', async () => {
    await sdkFlow('maya', 'none');
  });

  test('a client asking to register with client_secret_post (the SDK example) is registered public and completes the flow', async () => {
    const provider = await sdkFlow('mateo', 'client_secret_post');
    expect(provider.info).toMatchObject({ token_endpoint_auth_method: 'none' });
    expect((provider.info as { client_secret?: string }).client_secret).toBeUndefined();
  });

  async function sdkFlow(username: string, authMethod: string): Promise<MemoryProvider> {
    await addUser(as, username, `${username} password!`);
    const provider = new MemoryProvider('http://127.0.0.1:33418/callback', authMethod);
    const first = new Client({ name: 'e2e', version: '1.0.0' });
    await expect(first.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }))).rejects.toBeInstanceOf(UnauthorizedError);

    // The SDK registered itself (RFC 7591) and built the authorization URL with PKCE S256 and resource.
    expect((provider.info as { client_id: string }).client_id).toMatch(/^c_/);
    const url = provider.authorizationUrl!;
    expect(url.origin + url.pathname).toBe(`${as.base}/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(resource);

    // The person signs in and consents in the browser.
    const b = new Browser(as.base);
    await b.login(username, `${username} password!`);
    const consent = await b.get(url.pathname + url.search);
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(html).toContain('SDK test client');
    const back = await b.post('/consent', { csrf: hiddenValue(html, 'csrf')!, request: hiddenValue(html, 'request')!, decision: 'allow' });
    const callback = new URL(back.headers.get('location')!);
    expect(callback.searchParams.get('iss')).toBe(as.base);

    const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
    await transport.finishAuth(callback.searchParams.get('code')!);
    expect(provider.saved?.refresh_token).toMatch(/^rt_/);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    const result = (await client.callTool({ name: 'whoami', arguments: {} })) as { content: { text: string }[] };
    const user = await as.deps.store.users.getByUsername(username);
    expect(result.content[0]!.text).toBe(`subject=${user!.id} client=${(provider.info as { client_id: string }).client_id} auth=none`);
    await client.close();
    return provider;
  }
});
