/// <reference lib="dom" />
// Hardening and operations: rate limits, metrics, the audit log, the account page, headers on every page,
// open redirects, kill -9 durability, and a full / read-only disk (the fuzz run: hostile-requests.test.ts).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary, runAuth, spawnServer } from './helpers/cli.ts';
import { addClient, addUser, basic, Browser, codeFrom, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { eventually, freePort, startTestServer, tempDir, type TestServer } from './helpers/server.ts';

const CB = 'https://app.example/cb';

describe('rate limits', () => {
  let srv: TestServer;
  let svc: Awaited<ReturnType<typeof addClient>>;
  beforeAll(async () => {
    srv = await startTestServer({
      TOKEN_RATE_LIMIT: '5',
      TOKEN_CLIENT_RATE_LIMIT: '3',
      INTROSPECTION_RATE_LIMIT: '2',
      DEVICE_RATE_LIMIT: '2',
      INTROSPECTION_TOKEN: 'introspection-secret-0123456789',
    });
    svc = await addClient(srv, { name: 'svc', redirectUris: [], grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] });
  });
  afterAll(() => srv.close());

  test('token: per client (3/min) then per IP (5/min); 429 with Retry-After and an RFC error body', async () => {
    const cc = () => postForm(`${srv.base}/token`, { grant_type: 'client_credentials' }, basic(svc.client.id, svc.secret!));
    for (let i = 0; i < 3; i++) expect((await cc()).status).toBe(200);
    const limited = await cc();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'too_many_requests' });
    // The IP limit counts every token request, whoever the client.
    await postForm(`${srv.base}/token`, { grant_type: 'nope' });
    expect((await postForm(`${srv.base}/token`, { grant_type: 'nope' })).status).toBe(429);
    srv.clock.advance(61);
    expect((await cc()).status).toBe(200);
  });

  test('introspection and device authorization per IP', async () => {
    const intro = () => postForm(`${srv.base}/introspect`, { token: 'x' }, { Authorization: 'Bearer introspection-secret-0123456789' });
    expect((await intro()).status).toBe(200);
    expect((await intro()).status).toBe(200);
    expect((await intro()).status).toBe(429);
    const dev = () => postForm(`${srv.base}/device_authorization`, {}, basic(svc.client.id, svc.secret!));
    expect((await dev()).status).toBe(200);
    expect((await dev()).status).toBe(200);
    expect((await dev()).status).toBe(429);
    const metrics = await (await fetch(`${srv.base}/metrics`)).text();
    expect(metrics).toContain('auth_rate_limited_total{endpoint="introspection"} 1');
    expect(metrics).toContain('auth_rate_limited_total{endpoint="device_authorization"} 1');
  });

  test('TRUST_PROXY: the rightmost X-Forwarded-For hop is the client; without it the header is ignored', async () => {
    const trusted = await startTestServer({ TRUST_PROXY: 'true', DEVICE_RATE_LIMIT: '1' });
    try {
      const c = await addClient(trusted, { name: 'd', redirectUris: [], isPublic: true, grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
      const dev = (xff: string) => postForm(`${trusted.base}/device_authorization`, { client_id: c.client.id }, { 'X-Forwarded-For': xff });
      expect((await dev('6.6.6.6, 10.0.0.1')).status).toBe(200);
      expect((await dev('7.7.7.7, 10.0.0.1')).status).toBe(429); // same rightmost hop: the spoofable left part is ignored
      expect((await dev('10.0.0.2')).status).toBe(200);
      // The request log line names the forwarded client; without the header, the socket's peer.
      await fetch(`${trusted.base}/health`);
      await eventually(() => trusted.logs.some((l) => l.includes('"path":"/health"')));
      const ips = trusted.logs.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l) as { path: string; ip: string });
      expect(ips.filter((l) => l.path === '/device_authorization').map((l) => l.ip)).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.2']);
      expect(ips.find((l) => l.path === '/health')?.ip).toBe('127.0.0.1');
    } finally {
      await trusted.close();
    }
    const plain = await startTestServer();
    try {
      await fetch(`${plain.base}/health`, { headers: { 'X-Forwarded-For': '6.6.6.6' } });
      const line = await eventually(() => plain.logs.find((l) => l.includes('"msg":"request"') && l.includes('"path":"/health"')));
      expect((JSON.parse(line) as { ip: string }).ip).toBe('127.0.0.1');
    } finally {
      await plain.close();
    }
  });

  test('memory stays bounded under an address-spoofing flood', async () => {
    const { RateLimiter } = await import('../src/domain/rate-limit.ts');
    const { TestClock } = await import('./helpers/clock.ts');
    const l = new RateLimiter(5, 60, new TestClock(), 1000);
    for (let i = 0; i < 50_000; i++) l.hit(`ip:${i}`);
    expect(l.size).toBeLessThanOrEqual(1000);
  });
});

describe('metrics, audit log and the account page', () => {
  let srv: TestServer;
  let alice: Awaited<ReturnType<typeof addUser>>;
  let app: Awaited<ReturnType<typeof addClient>>;
  beforeAll(async () => {
    srv = await startTestServer({ METRICS_TOKEN: 'metrics-token-0123456789' });
    alice = await addUser(srv, 'alice', 'alice password');
    app = await addClient(srv, { name: 'Audited App', redirectUris: [CB] });
  });
  afterAll(() => srv.close());

  async function grant(b: Browser) {
    const { verifier, challenge } = pkcePair();
    let res = await b.authorize({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: CB,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'openid',
    });
    if (res.status === 200) res = await b.decide(res, 'allow');
    return (await (
      await postForm(
        `${srv.base}/token`,
        { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier },
        basic(app.client.id, app.secret!),
      )
    ).json()) as { refresh_token: string };
  }

  test('/metrics: Prometheus text, protected by METRICS_TOKEN', async () => {
    expect((await fetch(`${srv.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.base}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const t = await grant(b);
    await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(app.client.id, app.secret!));
    srv.clock.advance(11);
    await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(app.client.id, app.secret!)); // reuse
    await postForm(`${srv.base}/token`, { grant_type: 'bogus' });
    const r = await fetch(`${srv.base}/metrics`, { headers: { Authorization: 'Bearer metrics-token-0123456789' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toContain('# TYPE auth_http_requests_total counter');
    expect(text).toMatch(/auth_http_requests_total\{method="POST",route="\/token",status="200"\} \d+/);
    expect(text).toMatch(/auth_http_request_duration_seconds_bucket\{method="POST",route="\/token",le="0.005"\} \d+/);
    expect(text).toContain('auth_tokens_issued_total{grant_type="authorization_code"} 1');
    expect(text).toContain('auth_tokens_issued_total{grant_type="refresh_token"} 1');
    expect(text).toContain('auth_oauth_errors_total{error="unsupported_grant_type"} 1');
    expect(text).toContain('auth_refresh_reuse_detected_total 1');
    expect(text).toContain('auth_store_up');
    // Raw paths never become labels.
    await fetch(`${srv.base}/no/such/path/${'x'.repeat(50)}`);
    expect(await (await fetch(`${srv.base}/metrics`, { headers: { Authorization: 'Bearer metrics-token-0123456789' } })).text()).not.toContain('xxxxxxxx');
  });

  test('the audit log records sign-ins, consent, tokens (never the token), reuse, revocations, registration, keys', async () => {
    const b = new Browser(srv.base);
    expect((await b.login('alice', 'wrong')).status).toBe(401);
    await b.login('alice', alice.password);
    const t = await grant(b);
    await postForm(`${srv.base}/revoke`, { token: t.refresh_token }, basic(app.client.id, app.secret!));
    await fetch(`${srv.base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'] }),
    });
    expect((await runAuth(['keys', 'rotate'], { env: srv.cliEnv })).code).toBe(0);
    await srv.deps.audit.flush();
    const r = await runAuth(['audit', '--since', '1h', '--json'], { env: srv.cliEnv });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { event: string; user_id: string | null; client_id: string | null; count: number; details: Record<string, unknown> }[];
    const events = new Set(rows.map((x) => x.event));
    for (const e of [
      'login.failure',
      'login.success',
      'consent.granted',
      'token.issued',
      'refresh.reuse_detected',
      'refresh.family_revoked',
      'client.registered',
      'client.created',
      'key.rotated',
    ])
      expect([e, events.has(e)]).toEqual([e, true]);
    const issued = rows.filter((x) => x.event === 'token.issued' && x.client_id === app.client.id);
    expect(issued.reduce((n, x) => n + x.count, 0)).toBeGreaterThanOrEqual(2);
    expect(r.stdout).not.toMatch(/rt_[A-Za-z0-9_-]{10}|ac_[A-Za-z0-9_-]{10}|eyJ/); // never a token or code
    expect(r.stdout).not.toContain(alice.password);
    const mine = JSON.parse((await runAuth(['audit', '--user', 'alice', '--json'], { env: srv.cliEnv })).stdout) as { user_id: string }[];
    expect(mine.every((x) => x.user_id === alice.id)).toBe(true);
    expect((await runAuth(['audit', '--since', 'yesterday-ish'], { env: srv.cliEnv })).code).toBe(2);
  });

  test('audit retention: the sweeper deletes entries older than AUDIT_RETENTION', async () => {
    const s = await startTestServer({ AUDIT_RETENTION: '1d' });
    try {
      s.deps.audit.record('key.rotated');
      await s.deps.audit.flush();
      s.clock.advance(2 * 86400);
      const now = Math.floor(s.clock.nowMs() / 1000);
      expect(await s.deps.store.audit.deleteBefore(now - 86400)).toBe(1);
    } finally {
      await s.close();
    }
  });

  test('/account lists connected apps and sessions; each can be revoked (CSRF-checked, own sessions only)', async () => {
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const t = await grant(b);
    const page = await b.get('/account');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Audited App');
    const familyId = hiddenValue(html, 'family_id')!;
    expect(familyId).toBeTruthy();
    expect((await b.post('/account/revoke', { csrf: 'forged', family_id: familyId })).status).toBe(403);
    // Another user cannot revoke alice's session.
    await addUser(srv, 'mallory', 'mallory password');
    const m = new Browser(srv.base);
    await m.login('mallory', 'mallory password');
    const mcsrf = hiddenValue(await (await m.get('/account')).text(), 'csrf')!;
    await m.post('/account/revoke', { csrf: mcsrf, family_id: familyId });
    expect(
      (await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(app.client.id, app.secret!))).status,
    ).toBe(200);
    // Alice revokes the whole app: consent and every session of it go.
    const csrf = hiddenValue(html, 'csrf')!;
    const done = await b.post('/account/revoke', { csrf, client_id: app.client.id });
    expect(done.headers.get('location')).toBe('/account?done=app');
    expect(await srv.deps.store.consents.get(alice.id, app.client.id, '')).toBeNull();
    expect(
      (await srv.deps.store.refresh.listLiveFamiliesForUser(alice.id, Math.floor(srv.clock.nowMs() / 1000))).filter((f) => f.clientId === app.client.id),
    ).toEqual([]);
    expect(await (await b.get('/account?done=app')).text()).toContain('Access revoked.');
    expect((await new Browser(srv.base).get('/account')).headers.get('location')).toBe('/login?next=%2Faccount');
  });
});

describe('pages and redirects', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ BASE_URL: 'https://auth.example' });
    await addUser(srv, 'alice', 'alice password');
  });
  afterAll(() => srv.close());

  test('every page carries the security headers (CSP without inline script, frame-ancestors, nosniff, Referrer-Policy, HSTS on https, no-store)', async () => {
    const pages = ['/', '/login', '/device', '/account', '/set-password/x', '/authorize?client_id=nope', '/callback/oidc?error=x'];
    for (const p of pages) {
      const r = await fetch(srv.url + p, { headers: { Accept: 'text/html' }, redirect: 'manual' });
      if (r.status >= 300 && r.status < 400) continue; // a redirect to sign in
      const csp = r.headers.get('content-security-policy') ?? '';
      expect([p, csp.includes("frame-ancestors 'none'") && csp.includes("script-src 'self'") && !csp.includes('unsafe-inline')]).toEqual([p, true]);
      expect([p, r.headers.get('x-content-type-options')]).toEqual([p, 'nosniff']);
      expect([p, r.headers.get('referrer-policy')]).toEqual([p, 'no-referrer']);
      expect([p, r.headers.get('cache-control')]).toEqual([p, 'no-store']);
      expect([p, !!r.headers.get('strict-transport-security')]).toEqual([p, true]);
    }
  });

  test('open redirects: next, and device and login continuations, accept only local paths', async () => {
    for (const next of ['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '\\\\evil.example']) {
      const b = new Browser(srv.url);
      const page = await (await b.get(`/login?next=${encodeURIComponent(next)}`)).text();
      expect(hiddenValue(page, 'next')).toBe('/');
    }
  });
});

describe('faults', () => {
  test.skipIf(process.env.AUTH_TEST_STORE === 'postgres')(
    'a read-only database (SQLITE_READONLY): writes answer 503, reads keep working, recovery without restart',
    async () => {
      const srv = await startTestServer();
      try {
        const c = await addClient(srv, { name: 'ro', redirectUris: [], isPublic: true, grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
        const dev = () => postForm(`${srv.base}/device_authorization`, { client_id: c.client.id });
        expect((await dev()).status).toBe(200);
        // A fresh server makes its RS256 ID-token key after it starts listening (RSA key generation takes
        // tens of ms, at times hundreds), and the JWKS waits for it: let that write land first, or the
        // JWKS below fails with it.
        await srv.deps.keys.idKeyPending;
        // The server's own connection turns read-only: the error a read-only file or mount gives.
        const { SqliteStore } = await import('../src/store/sqlite/store.ts');
        const db = (srv.deps.store as InstanceType<typeof SqliteStore>).db;
        db.exec('PRAGMA query_only = ON');
        const ro = await dev();
        expect(ro.status).toBe(503);
        expect(await ro.json()).toMatchObject({ error: 'temporarily_unavailable' });
        expect((await fetch(`${srv.base}/health`)).status).toBe(200);
        expect((await fetch(`${srv.base}/jwks.json`)).status).toBe(200);
        db.exec('PRAGMA query_only = OFF');
        expect((await dev()).status).toBe(200);
      } finally {
        await srv.close();
      }
    },
  );

  test('kill -9 in the middle of a token load loses no refresh token that was returned to a client', async () => {
    await ensureBinary();
    const dir = tempDir();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), HOST: '127.0.0.1', BASE_URL: base, DATA_DIR: dir, LOG_LEVEL: 'warn' };
    const { client_id, client_secret } = JSON.parse(
      (await runAuth(['clients', 'add', '--name', 'k9', '--redirect-uri', CB, '--first-party', '--json'], { env })).stdout,
    );
    await runAuth(['users', 'add', 'kim'], { env, stdin: 'kim password!!\n' });
    let srv = await spawnServer({ cwd: dir, env });
    const health = async () => {
      for (let i = 0; i < 200; i++) {
        if ((await fetch(`${base}/health`).catch(() => null))?.status === 200) return;
        await Bun.sleep(25);
      }
      throw new Error('server did not come up');
    };
    await health();
    const b = new Browser(base);
    await b.login('kim', 'kim password!!');
    const auth = basic(client_id, client_secret);
    // 20 refresh chains.
    const latest: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { verifier, challenge } = pkcePair();
      const res = await b.authorize({ response_type: 'code', client_id, redirect_uri: CB, code_challenge: challenge, code_challenge_method: 'S256' });
      latest.push(
        (
          await (
            await postForm(`${base}/token`, { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier }, auth)
          ).json()
        ).refresh_token,
      );
    }
    // Rotate every chain as fast as possible; kill -9 after a while.
    let running = true;
    let rotations = 0;
    const chains = latest.map(async (_, i) => {
      while (running) {
        const r = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: latest[i]! }, auth).catch(() => null);
        if (!r) break;
        if (r.status === 200) {
          latest[i] = (await r.json()).refresh_token; // returned to the client: must survive
          rotations++;
        } else break;
      }
    });
    await Bun.sleep(600);
    srv.proc.kill('SIGKILL');
    running = false;
    await Promise.all(chains);
    expect(rotations).toBeGreaterThan(50);
    srv = await spawnServer({ cwd: dir, env });
    try {
      await health();
      const after = await Promise.all(latest.map((rt) => postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: rt }, auth)));
      expect(after.map((r) => r.status)).toEqual(Array(20).fill(200));
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.proc.exited;
    }
  }, 60_000);

  test.skipIf(process.getuid?.() !== 0)(
    'a full disk and a locked database: writes answer 503, reads keep working, recovery without restart',
    async () => {
      const mnt = mkdtempSync(join(tmpdir(), 'auth-disk-'));
      const mount = (args: string[]) => {
        const r = Bun.spawnSync(['mount', ...args]);
        if (r.exitCode !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr.toString()}`);
      };
      mount(['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
      chmodSync(mnt, 0o777);
      let srv: TestServer | null = null;
      try {
        srv = await startTestServer({ DATABASE_URL: join(mnt, 'auth.db') });
        const c = await addClient(srv, { name: 'disk', redirectUris: [], isPublic: true, grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
        const dev = () => postForm(`${srv!.base}/device_authorization`, { client_id: c.client.id });
        expect((await dev()).status).toBe(200);
        // Fill the disk.
        const filler = join(mnt, 'filler');
        Bun.spawnSync(['dd', 'if=/dev/zero', `of=${filler}`, 'bs=64k', 'count=200']);
        let saw503 = false;
        for (let i = 0; i < 400 && !saw503; i++) {
          const r = await dev();
          expect(r.status).not.toBe(500);
          if (r.status === 503) {
            saw503 = true;
            expect(await r.json()).toMatchObject({ error: 'temporarily_unavailable' });
          }
        }
        expect(saw503).toBe(true);
        expect((await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).status).toBe(200);
        rmSync(filler);
        let ok = false;
        for (let i = 0; i < 50 && !ok; i++) ok = (await dev()).status === 200;
        expect(ok).toBe(true);
        // Locked: another connection holds an exclusive lock; writes wait busy_timeout, then 503.
        const { Database } = await import('bun:sqlite');
        const locker = new Database(join(mnt, 'auth.db'));
        locker.exec('BEGIN EXCLUSIVE');
        const locked = await dev();
        expect(locked.status).toBe(503);
        locker.exec('ROLLBACK');
        locker.close();
        expect((await dev()).status).toBe(200);
      } finally {
        await srv?.close().catch(() => {});
        Bun.spawnSync(['umount', '-l', mnt]);
        rmSync(mnt, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
