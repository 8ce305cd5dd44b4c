// The client side of the binary: `auth login` (by issuer and by protected resource; seeded client,
// registration, device), `auth token` (refresh, 10 concurrent invocations, one rotation), `auth logout`,
// `auth status`, file permissions and encryption — against the real server started by the test.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { BINARY, ensureBinary, onPty, spawnServer } from './helpers/cli.ts';
import { rawQuery } from './helpers/db.ts';
import { addUser, Browser, hiddenValue, postForm } from './helpers/oauth.ts';
import { freePort, startTestServer, tempDir, type TestServer } from './helpers/server.ts';

const INTROSPECTION_TOKEN = 'introspection-secret-0123456789abcdef';
let srv: TestServer;
let home: string;
const PASSWORD = 'lena password!';

beforeAll(async () => {
  await ensureBinary();
  srv = await startTestServer({ INTROSPECTION_TOKEN, DEVICE_POLL_INTERVAL: '1s' }, { liveClock: true });
  await addUser(srv, 'lena', PASSWORD);
  home = tempDir('auth-home-');
});
afterAll(async () => {
  await srv.close();
  rmSync(home, { recursive: true, force: true });
});

const clientEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  ...extra,
});

/** Start `auth ARGS` and collect its output; `lines()` is stderr so far. */
function run(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([BINARY, ...args], { env: clientEnv(env), stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  let err = '';
  const reader = proc.stderr.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      err += new TextDecoder().decode(value);
    }
  })();
  const out = new Response(proc.stdout).text();
  return {
    proc,
    stderr: () => err,
    async waitFor(re: RegExp, ms = 10_000): Promise<RegExpExecArray> {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(err);
        if (m) return m;
        if (Date.now() > end || proc.exitCode !== null) throw new Error(`no match for ${re} in:\n${err}`);
        await Bun.sleep(20);
      }
    },
    async done() {
      const code = await proc.exited;
      await pump;
      return { code, stdout: await out, stderr: err };
    },
  };
}

/** The person's part of the code flow: sign in, consent if asked, and deliver the redirect to the CLI. */
async function approveInBrowser(authorizeUrl: string, opts: { decision?: 'allow' | 'deny'; tamper?: (u: URL) => void } = {}) {
  const b = new Browser(srv.base);
  await b.login('lena', PASSWORD);
  const u = new URL(authorizeUrl);
  let res = await b.get(u.pathname + u.search);
  if (res.status === 200) res = await b.decide(res, opts.decision ?? 'allow');
  const callback = new URL(res.headers.get('location')!);
  opts.tamper?.(callback);
  return fetch(callback); // the browser follows the redirect to the CLI's loopback listener
}

async function approveDevice(userCode: string) {
  const b = new Browser(srv.base);
  await b.login('lena', PASSWORD);
  const entry = await (await b.get('/device')).text();
  const confirm = await (await b.post('/device', { csrf: hiddenValue(entry, 'csrf')!, user_code: userCode })).text();
  await b.post('/device/confirm', { csrf: hiddenValue(confirm, 'csrf')!, user_code: hiddenValue(confirm, 'user_code')!, decision: 'approve' });
}

const introspect = async (token: string) =>
  (await (await postForm(`${srv.base}/introspect`, { token }, { Authorization: `Bearer ${INTROSPECTION_TOKEN}` })).json()) as { active: boolean };
const credentialsFile = () => join(home, 'config/auth/credentials.json');
const readCreds = () => JSON.parse(readFileSync(credentialsFile(), 'utf8'));

describe('auth login', () => {
  test('by issuer with the seeded auth-cli client (no registration, no consent); files are 0700/0600', async () => {
    const login = run(['login', srv.base, '--name', 'main', '--no-browser']);
    const [, url] = await login.waitFor(/\n\s+(http\S+\/authorize\?\S+)/);
    expect(new URL(url!).searchParams.get('client_id')).toBe('auth-cli');
    expect(new URL(url!).searchParams.get('code_challenge_method')).toBe('S256');
    const page = await approveInBrowser(url!);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('Signed in');
    const r = await login.done();
    expect(r.code).toBe(0);
    expect(statSync(join(home, 'config/auth')).mode & 0o777).toBe(0o700);
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    const creds = readCreds();
    expect(creds.credentials.main).toMatchObject({ issuer: srv.base, client_id: 'auth-cli' });
    expect(creds.servers[srv.base].metadata.issuer).toBe(srv.base);
    expect((await introspect(creds.credentials.main.access_token)).active).toBe(true);
  });

  test('by protected resource through auth proxy, with dynamic registration when the server is not ours', async () => {
    const other = await startTestServer({ CLI_CLIENT_ID: '' }, { liveClock: true });
    await addUser(other, 'lena', PASSWORD);
    const upstream = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') });
    const port = freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const proxy = await spawnServer({
      cwd: tempDir(),
      env: {},
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
        other.base,
      ],
    });
    try {
      await proxy.waitFor((l) => l.includes('proxy listening'));
      const login = run(['login', resource, '--name', 'mcp', '--no-browser']);
      const [, url] = await login.waitFor(/\n\s+(http\S+\/authorize\?\S+)/);
      const u = new URL(url!);
      expect(u.searchParams.get('resource')).toBe(resource);
      expect(u.searchParams.get('client_id')).toMatch(/^c_/); // registered (RFC 7591)
      expect(login.stderr()).toContain('Registered client');
      const b = new Browser(other.base);
      await b.login('lena', PASSWORD);
      const consent = await b.get(u.pathname + u.search);
      expect(consent.status).toBe(200); // a registered client asks for consent
      const back = await b.decide(consent, 'allow');
      await fetch(back.headers.get('location')!);
      expect((await login.done()).code).toBe(0);
      const cred = readCreds().credentials.mcp;
      expect(decodeJwt(cred.access_token).aud).toBe(resource);
      // The token is DPoP-bound (the server offers DPoP): it opens the resource through the proxy with a proof
      // (auth curl), and not as a bare bearer token.
      expect(cred.token_type).toBe('DPoP');
      expect((await fetch(resource, { headers: { Authorization: `Bearer ${cred.access_token}` } })).status).toBe(401);
      const curl = await run(['curl', '--name', 'mcp', resource, '-s', '-o', '/dev/null', '-w', '%{http_code}']).done();
      expect(curl.stdout).toBe('200');
      // The registered client id is cached per server and reused.
      expect(readCreds().servers[other.base].client_id).toBe(cred.client_id);
    } finally {
      proxy.proc.kill('SIGTERM');
      await proxy.proc.exited;
      upstream.stop(true);
      await other.close();
    }
  });

  test('--device: prints the code, waits, and stores the tokens after approval', async () => {
    const login = run(['login', srv.base, '--name', 'tv', '--device']);
    const [, code] = await login.waitFor(/enter the code:\s+([A-Z]{4}-[A-Z]{4})/);
    expect(login.stderr()).toContain(`${srv.base}/device`);
    await approveDevice(code!);
    const r = await login.done();
    expect(r.code).toBe(0);
    expect(readCreds().credentials.tv.refresh_token).toMatch(/^rt_/);
  });

  test('without a display the device flow is chosen automatically when the server offers it', async () => {
    const login = run(['login', srv.base, '--name', 'ssh'], { SSH_CONNECTION: '1 2 3 4' });
    const [, code] = await login.waitFor(/enter the code:\s+([A-Z]{4}-[A-Z]{4})/);
    await approveDevice(code!);
    expect((await login.done()).code).toBe(0);
  });

  test('an issuer mismatch is refused', async () => {
    const liar = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) =>
        new URL(req.url).pathname === '/.well-known/oauth-authorization-server'
          ? Response.json({ issuer: 'https://evil.example', token_endpoint: 'https://evil.example/token' })
          : new Response('no', { status: 404 }),
    });
    try {
      const r = await run(['login', `http://127.0.0.1:${liar.port}`, '--no-browser']).done();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('issuer mismatch');
    } finally {
      liar.stop(true);
    }
    const insecure = await run(['login', 'http://auth.example.com', '--no-browser']).done();
    expect(insecure.code).toBe(1);
    expect(insecure.stderr).toContain('https');
  });

  test('a callback with another state is refused (CSRF) and nothing is saved', async () => {
    const login = run(['login', srv.base, '--name', 'csrf', '--no-browser']);
    const [, url] = await login.waitFor(/\n\s+(http\S+\/authorize\?\S+)/);
    const page = await approveInBrowser(url!, { tamper: (u) => u.searchParams.set('state', 'forged') });
    expect(page.status).toBe(400);
    const r = await login.done();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('state does not match');
    expect(readCreds().credentials.csrf).toBeUndefined();
  });

  test('a callback with a foreign iss is refused (mix-up, RFC 9207)', async () => {
    const login = run(['login', srv.base, '--name', 'mixup', '--no-browser']);
    const [, url] = await login.waitFor(/\n\s+(http\S+\/authorize\?\S+)/);
    await approveInBrowser(url!, { tamper: (u) => u.searchParams.set('iss', 'https://evil.example') });
    const r = await login.done();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('another issuer');
  });

  test('--port with a hint for SSH forwarding; the timeout gives a clear message', async () => {
    const port = freePort();
    const r = await run(['login', srv.base, '--name', 'slow', '--no-browser', '--port', String(port), '--timeout', '1s']).done();
    expect(r.stderr).toContain(`ssh -L ${port}:127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no answer from the browser within 1 s');
  });
});

describe('auth token, status, logout', () => {
  test('prints the token; refreshes it when it expires within 60 s', async () => {
    const before = readCreds().credentials.main;
    const t1 = await run(['token', 'main']).done();
    expect(t1.code).toBe(0);
    expect(t1.stdout).toBe(`${before.access_token}\n`);
    const data = readCreds();
    data.credentials.main.expires_at = Math.floor(Date.now() / 1000) + 30;
    await Bun.write(credentialsFile(), JSON.stringify(data));
    const t2 = await run(['token', 'main']).done();
    expect(t2.code).toBe(0);
    expect(t2.stdout.trim()).not.toBe(before.access_token);
    expect((await introspect(t2.stdout.trim())).active).toBe(true);
    expect(readCreds().credentials.main.refresh_token).not.toBe(before.refresh_token);
    const json = JSON.parse((await run(['token', 'main', '--json']).done()).stdout);
    expect(json).toMatchObject({ token_type: 'DPoP', issuer: srv.base }); // bound by default (RFC 9449)
    expect(json.expires_in).toBeGreaterThan(3500);
  });

  test('ten concurrent `auth token` calls on an expiring token: one rotation, all print a valid token', async () => {
    const data = readCreds();
    data.credentials.main.expires_at = Math.floor(Date.now() / 1000) - 1;
    await Bun.write(credentialsFile(), JSON.stringify(data));
    const rt = data.credentials.main.refresh_token as string;
    const results = await Promise.all(Array.from({ length: 10 }, () => run(['token', 'main']).done()));
    expect(results.map((r) => `${r.code} ${r.stderr}`)).toEqual(Array(10).fill('0 '));
    const tokens = new Set(results.map((r) => r.stdout.trim()));
    expect(tokens.size).toBe(1); // one refresh; the other nine read its result
    expect((await introspect([...tokens][0]!)).active).toBe(true);
    // Exactly one rotation on the server: the old refresh token has one successor.
    const { parseSecret } = await import('../src/security/token-format.ts');
    const old = await srv.deps.store.refresh.get(parseSecret('rt_', rt)!.id);
    const rows = await rawQuery(
      srv.deps.store,
      'SELECT COUNT(*) AS n FROM refresh_tokens WHERE family_id = ? AND id <> ? AND created_at >= ?',
      old!.familyId,
      old!.id,
      old!.createdAt,
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });

  test('status lists names, servers, scopes and expiry', async () => {
    const r = await run(['status', '--json']).done();
    const rows = JSON.parse(r.stdout) as { name: string; issuer: string; expired: boolean }[];
    expect(rows.map((x) => x.name).sort()).toEqual(expect.arrayContaining(['main', 'mcp', 'tv', 'ssh']));
    expect(rows.find((x) => x.name === 'main')).toMatchObject({ issuer: srv.base, expired: false });
    // OpenID Connect: `auth login` asked for openid, and the ID token and userinfo say who signed in.
    expect((rows.find((x) => x.name === 'main') as { identity?: { username?: string } }).identity?.username).toBe('lena');
    expect((await run(['status']).done()).stdout).toContain(`main\t${srv.base}\tlena`);
  });

  test('logout revokes (introspection inactive) and forgets; then token exits 1 with the login command', async () => {
    const cred = readCreds().credentials.tv;
    const r = await run(['logout', 'tv']).done();
    expect(r.code).toBe(0);
    expect((await introspect(cred.refresh_token)).active).toBe(false);
    expect((await introspect(cred.access_token)).active).toBe(false);
    expect(readCreds().credentials.tv).toBeUndefined();
    const t = await run(['token', 'tv']).done();
    expect(t.code).toBe(1);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('auth login');
  });

  test('a revoked refresh token makes `auth token` exit 1 with the command to log in again', async () => {
    const data = readCreds();
    await postForm(`${srv.base}/revoke`, { token: data.credentials.ssh.refresh_token, client_id: 'auth-cli' });
    data.credentials.ssh.expires_at = 0;
    await Bun.write(credentialsFile(), JSON.stringify(data));
    const t = await run(['token', 'ssh']).done();
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`auth login ${srv.base} --name ssh`);
  });

  test('AUTH_CREDENTIALS_KEY encrypts the file with AES-GCM; the wrong key is a clear error', async () => {
    const encHome = tempDir('auth-enc-');
    const env = { XDG_CONFIG_HOME: encHome, AUTH_CREDENTIALS_KEY: 'correct horse battery staple' };
    const login = run(['login', srv.base, '--name', 'enc', '--device'], env);
    const [, code] = await login.waitFor(/enter the code:\s+([A-Z]{4}-[A-Z]{4})/);
    await approveDevice(code!);
    expect((await login.done()).code).toBe(0);
    const raw = readFileSync(join(encHome, 'auth/credentials.json'), 'utf8');
    expect(Object.keys(JSON.parse(raw)).sort()).toEqual(['data', 'encrypted', 'iv', 'salt', 'tag']);
    expect(JSON.parse(raw).encrypted).toBe('aes-256-gcm');
    // No plaintext: '_' is outside base64's alphabet, so these cannot appear in the ciphertext by chance (a
    // three-letter JWT prefix such as 'eyJ' can: ~1 % of runs), and the exact access token is not there.
    expect(raw).not.toContain('rt_');
    expect(raw).not.toContain('access_token');
    const t = await run(['token', 'enc'], env).done();
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^eyJ/);
    expect(raw).not.toContain(t.stdout.trim());
    const wrong = await run(['token', 'enc'], { ...env, AUTH_CREDENTIALS_KEY: 'wrong' }).done();
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('AUTH_CREDENTIALS_KEY');
    rmSync(encHome, { recursive: true, force: true });
  });

  test('usage errors exit 2', async () => {
    expect((await run(['login']).done()).code).toBe(2);
    expect((await run(['login', srv.base, '--port', 'x']).done()).code).toBe(2);
    expect((await run(['token', '--bogus']).done()).code).toBe(2);
  });
});

const runOnPty = (args: string[], env: Record<string, string> = {}) => onPty(args, clientEnv(env));

/** A $BROWSER that records the URL it is asked to open (and exits 0, as xdg-open does). */
function recordingBrowser(): { command: string; opened: () => string | null } {
  const dir = tempDir('browser-');
  const script = join(dir, 'browser');
  const log = join(dir, 'opened');
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`, { mode: 0o755 });
  return { command: script, opened: () => (existsSync(log) ? readFileSync(log, 'utf8').trim() : null) };
}

describe('auth login: messages and conveniences', () => {
  test('a server that is down: "could not connect … (connection refused)"', async () => {
    const port = freePort();
    const r = await run(['login', `http://127.0.0.1:${port}`, '--no-browser']).done();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`could not connect to http://127.0.0.1:${port} (connection refused)`);
  });

  test('a TARGET without a scheme is http:// on loopback; the default name is the host', async () => {
    const hostPort = new URL(srv.base).host; // 127.0.0.1:PORT
    const login = run(['login', hostPort, '--no-browser']);
    const [, url] = await login.waitFor(/\n\s+(http\S+\/authorize\?\S+)/);
    await approveInBrowser(url!);
    const r = await login.done();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Credentials saved as "127.0.0.1"');
    expect(readCreds().credentials['127.0.0.1']).toMatchObject({ issuer: srv.base, target: srv.base });
    // Elsewhere https:// is assumed (a name that resolves nowhere fails before any request is sent in clear).
    const remote = await run(['login', 'auth.invalid', '--no-browser']).done();
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('https://auth.invalid');
  });

  test('localhost for a server whose issuer says 127.0.0.1: the same loopback listener, accepted and explained', async () => {
    const port = new URL(srv.base).port;
    const login = run(['login', `http://localhost:${port}`, '--name', 'alias', '--no-browser']);
    await login.waitFor(/same server as/);
    const [, url] = await login.waitFor(/\n\s+(http\S+\/authorize\?\S+)/);
    await approveInBrowser(url!);
    const r = await login.done();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`localhost:${port} is the same server as ${srv.base}`);
    expect(readCreds().credentials.alias.issuer).toBe(srv.base);
  });

  test('an issuer that names another server: the message says which URL to use', async () => {
    const liar = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) =>
        new URL(req.url).pathname === '/.well-known/oauth-authorization-server'
          ? Response.json({ issuer: 'https://auth.example.com', token_endpoint: 'https://auth.example.com/token' })
          : new Response('no', { status: 404 }),
    });
    try {
      const r = await run(['login', `http://127.0.0.1:${liar.port}`, '--no-browser']).done();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('says the issuer is https://auth.example.com');
      expect(r.stderr).toContain('run: auth login https://auth.example.com');
    } finally {
      liar.stop(true);
    }
  });

  test('$BROWSER is used; the loopback page is styled, fits a phone and says the tab may be closed', async () => {
    const browser = recordingBrowser();
    const login = run(['login', srv.base, '--name', 'browser'], { BROWSER: browser.command, DISPLAY: ':0' });
    await login.waitFor(/Opened your browser/);
    const url = browser.opened()!;
    expect(url).toContain('/authorize?');
    const page = await approveInBrowser(url);
    const html = await page.text();
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain(`<link rel="stylesheet" href="${srv.base}/static/style.css">`);
    expect(html).toContain('safe to close this tab');
    expect(page.headers.get('content-security-policy')).toContain(`style-src 'unsafe-inline' ${srv.base}`);
    expect((await login.done()).code).toBe(0);
  });

  test('a browser that cannot be started is reported, with the URL and the --device suggestion', async () => {
    const login = run(['login', srv.base, '--name', 'nobrowser', '--timeout', '2s'], { BROWSER: '/nonexistent/browser', DISPLAY: ':0' });
    await login.waitFor(/Could not open a browser/);
    const r = await login.done();
    expect(r.stderr).toContain('/nonexistent/browser is not installed');
    expect(r.stderr).toMatch(/\n\s+http\S+\/authorize\?/);
    expect(r.stderr).toContain(`run: auth login ${srv.base} --device`);
    expect(r.stderr).not.toContain('Opened your browser');
  });

  test('device flow on a terminal: a QR code of the complete URI, the code in large type, a countdown', async () => {
    const pty = runOnPty(['login', srv.base, '--device', '--name', 'qr']);
    await pty.waitFor(/expires in \d+:\d\d/);
    const out = pty.output();
    expect(out).toContain('▄'); // the terminal renderer's half blocks
    const bold = new RegExp(`${'\u001b'}\\[1m[A-Z] [A-Z] [A-Z] [A-Z] - [A-Z] [A-Z] [A-Z] [A-Z]${'\u001b'}\\[0m`);
    expect(out).toMatch(bold);
    expect(out).toContain('/device?user_code=');
    pty.proc.kill();
    // --no-qr on a terminal, and any pipe: no QR code.
    const noQr = runOnPty(['login', srv.base, '--device', '--no-qr', '--name', 'qr']);
    await noQr.waitFor(/expires in/);
    expect(noQr.output()).not.toContain('▄');
    noQr.proc.kill();
    const piped = run(['login', srv.base, '--device', '--name', 'qr']);
    await piped.waitFor(/\(or open \S+user_code=/);
    expect(piped.stderr()).not.toContain('▄');
    piped.proc.kill();
  });

  test('--device --open opens the browser at verification_uri_complete', async () => {
    const browser = recordingBrowser();
    const login = run(['login', srv.base, '--device', '--open', '--name', 'open'], { BROWSER: browser.command });
    const [, code] = await login.waitFor(/enter the code:\s+([A-Z]{4}-[A-Z]{4})/);
    for (let i = 0; i < 100 && !browser.opened(); i++) await Bun.sleep(20);
    expect(browser.opened()).toBe(`${srv.base}/device?user_code=${code}`);
    await approveDevice(code!);
    expect((await login.done()).code).toBe(0);
  });

  test('status: who, scopes and "in N minutes" on a terminal; ISO times with --json', async () => {
    const pty = runOnPty(['status']);
    await pty.waitFor(/NAME\s+SERVER\s+SIGNED IN AS\s+SCOPES\s+TOKEN/);
    await pty.proc.exited;
    expect(pty.output()).toMatch(/main\s+http:\/\/127\.0\.0\.1:\d+\s+lena\s+openid[^\n]*expires in \d+ (minutes|hour)/);
    const rows = JSON.parse((await run(['status', '--json']).done()).stdout) as { expires_at: string }[];
    for (const r of rows) expect(r.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});
