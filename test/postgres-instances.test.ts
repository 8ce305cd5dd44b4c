// Several instances on one PostgreSQL: the compiled binary started twice on one database. A code made on
// one instance is exchanged on the other; 50 concurrent refreshes of one token spread over both give one
// rotation; a database restart fails requests cleanly and the server recovers by itself; a SQLite
// deployment exported and imported into PostgreSQL keeps its refresh tokens working.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ensureBinary, ROOT, runAuth, spawnListening, type spawnServer } from './helpers/cli.ts';
import { createPgDatabase, PG_URL } from './helpers/db.ts';
import { Browser, codeFrom, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { freePort, startTestServer, tempDir } from './helpers/server.ts';

type Proc = Awaited<ReturnType<typeof spawnServer>>;

async function instance(env: Record<string, string>): Promise<{ proc: Proc; url: string }> {
  const { url, ...proc } = await spawnListening({ cwd: tempDir(), env: { LOG_LEVEL: 'info', ...env } });
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/health`).catch(() => null))?.status === 200) break;
    await Bun.sleep(25);
  }
  return { proc, url };
}

async function stop(p: Proc) {
  p.proc.kill('SIGTERM');
  await p.proc.exited;
}

/** An operator client and a user through the CLI, against the same database. */
async function seed(env: Record<string, string>) {
  const { client_id, client_secret } = JSON.parse(
    (await runAuth(['clients', 'add', '--name', 'Multi', '--redirect-uri', 'https://app.example/cb', '--first-party', '--json'], { env })).stdout,
  );
  await runAuth(['users', 'add', 'olga'], { env, stdin: 'olga password!\n' });
  return { clientId: client_id as string, secret: client_secret as string };
}

const basicAuth = (id: string, secret: string) => ({ Authorization: `Basic ${btoa(`${id}:${secret}`)}` });

async function codeOn(base: string, clientId: string) {
  const b = new Browser(base);
  await b.login('olga', 'olga password!');
  const { verifier, challenge } = pkcePair();
  const res = await b.authorize({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: 'https://app.example/cb',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return { code: codeFrom(res).code, verifier };
}

if (!PG_URL) {
  test.skip('multi-instance tests need AUTH_TEST_PG_URL (run ./scripts/test)', () => {});
} else {
  describe('two instances on one PostgreSQL', () => {
    const ISSUER = 'http://auth.test.example';
    let env: Record<string, string>;
    let a: { proc: Proc; url: string };
    let b: { proc: Proc; url: string };
    let client: { clientId: string; secret: string };
    let drop: () => Promise<void>;
    beforeAll(async () => {
      await ensureBinary();
      const db = await createPgDatabase();
      drop = db.drop;
      env = { DATABASE_URL: db.url, BASE_URL: ISSUER, DATA_DIR: tempDir(), REFRESH_REUSE_GRACE: '10s' };
      // Both start at once on an empty database: migrations run once (advisory lock).
      [a, b] = await Promise.all([instance(env), instance(env)]);
      client = await seed(env);
    });
    afterAll(async () => {
      await stop(a.proc);
      await stop(b.proc);
      await drop();
    });

    test('authorize on one instance, exchange the code on the other; the JWKS is the same on both', async () => {
      const { code, verifier } = await codeOn(a.url, client.clientId);
      const t = await postForm(
        `${b.url}/token`,
        { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
        basicAuth(client.clientId, client.secret),
      );
      expect(t.status).toBe(200);
      const body = await t.json();
      expect(decodeJwt(body.access_token).iss).toBe(ISSUER);
      expect(await (await fetch(`${a.url}/jwks.json`)).text()).toBe(await (await fetch(`${b.url}/jwks.json`)).text());
      // Both made an RS256 key on their first start (after answering); one of them was stored, and both use it.
      const set = (await (await fetch(`${a.url}/jwks.json`)).json()) as { keys: { alg: string }[] };
      expect(set.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
      // A session made on A works on B (sessions live in the database).
      const browser = new Browser(a.url);
      await browser.login('olga', 'olga password!');
      const onB = new Browser(b.url);
      onB.cookies = browser.cookies;
      expect(await (await onB.get('/')).text()).toContain('Signed in as');
      // The code cannot be exchanged again on A.
      const replay = await postForm(
        `${a.url}/token`,
        { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
        basicAuth(client.clientId, client.secret),
      );
      expect((await replay.json()).error).toBe('invalid_grant');
    });

    test('one code exchanged ten times over both instances at once: exactly one wins', async () => {
      const { code, verifier } = await codeOn(a.url, client.clientId);
      const form = { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier };
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => postForm(`${(i % 2 ? a : b).url}/token`, form, basicAuth(client.clientId, client.secret))),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      const errors = await Promise.all(results.filter((r) => r.status !== 200).map(async (r) => [r.status, (await r.json()).error]));
      expect(new Set(errors.map((e) => e.join(' ')))).toEqual(new Set(['400 invalid_grant']));
    });

    test('50 concurrent refreshes of one token over both instances: one rotation; the grace gives every caller a pair, and the family keeps one live token', async () => {
      const { code, verifier } = await codeOn(a.url, client.clientId);
      const first = await (
        await postForm(
          `${a.url}/token`,
          { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
          basicAuth(client.clientId, client.secret),
        )
      ).json();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          postForm(
            `${(i % 2 ? a : b).url}/token`,
            { grant_type: 'refresh_token', refresh_token: first.refresh_token },
            basicAuth(client.clientId, client.secret),
          ),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
      const tokens = await Promise.all(results.map((r) => r.json()));
      expect(new Set(tokens.map((t) => t.refresh_token)).size).toBe(50);
      // Each retry replaced the successor before it: redeemed all at once over both instances, at most one
      // wins, and redeeming a replaced one revokes the family (a second live branch never exists).
      const redeemed = await Promise.all(
        tokens.map((t, i) =>
          postForm(`${(i % 2 ? b : a).url}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basicAuth(client.clientId, client.secret)),
        ),
      );
      expect(redeemed.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
      const errors = await Promise.all(redeemed.filter((r) => r.status !== 200).map(async (r) => (await r.json()).error));
      expect(new Set(errors)).toEqual(new Set(['invalid_grant']));
    });

    test('a client assertion (private_key_jwt, keys registered with auth clients add --jwks) sent to both at once: one wins', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const jwksFile = join(tempDir(), 'jwks.json');
      await Bun.write(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
      const keyEnv = { ...env, PRIVATE_KEY_JWT: 'true' };
      const added = await runAuth(['clients', 'add', '--name', 'Agent', '--grant-type', 'client_credentials', '--jwks', jwksFile, '--json'], { env: keyEnv });
      expect(added.code).toBe(0);
      const { client_id } = JSON.parse(added.stdout) as { client_id: string };
      const [x, y] = await Promise.all([instance(keyEnv), instance(keyEnv)]);
      try {
        const nowS = Math.floor(Date.now() / 1000);
        const assertion = await new SignJWT({ iss: client_id, sub: client_id, aud: ISSUER, jti: crypto.randomUUID(), iat: nowS, exp: nowS + 60 })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .sign(privateKey);
        const form = {
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        };
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => postForm(`${(i % 2 ? x : y).url}/token`, form)));
        expect(results.filter((r) => r.status === 200)).toHaveLength(1);
        expect(new Set(results.filter((r) => r.status !== 200).map((r) => r.status))).toEqual(new Set([401]));
      } finally {
        await stop(x.proc);
        await stop(y.proc);
      }
    });

    test('a DPoP proof replayed on the other instance is refused: the jti is shared', async () => {
      const key = await generateKeyPair('ES256');
      const jwk = await exportJWK(key.publicKey);
      const nowS = Math.floor(Date.now() / 1000);
      const proof = await new SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu: `${ISSUER}/token`, iat: nowS })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .sign(key.privateKey);
      const { code, verifier } = await codeOn(a.url, client.clientId);
      const form = { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier };
      const first = await fetch(`${a.url}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: proof, ...basicAuth(client.clientId, client.secret) },
        body: new URLSearchParams(form),
      });
      expect(first.status).toBe(200);
      expect((await first.json()).token_type).toBe('DPoP');
      const replay = await fetch(`${b.url}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: proof, ...basicAuth(client.clientId, client.secret) },
        body: 'grant_type=client_credentials',
      });
      expect(await replay.json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringContaining('used before') });
    });

    test('single use across instances: a device code polled on both at once and a single-use temp token validated on both', async () => {
      const extra = {
        ...env,
        ADMIN_TOKEN: 'admin-token-0123456789abcdef',
        DEVICE_POLL_INTERVAL: '1s',
        TEMP_TOKEN_SCOPES: JSON.stringify([{ name: 'once', routes: [{ method: 'POST', path: '/flows/{id}/finish' }], max_ttl: '10m', single_use: true }]),
      };
      const [x, y] = await Promise.all([instance(extra), instance(extra)]);
      try {
        // Device code: started on X, approved on Y, then 10 polls spread over both at once: one token.
        const start = (await (await postForm(`${x.url}/device_authorization`, { client_id: 'auth-cli' })).json()) as { device_code: string; user_code: string };
        const browser = new Browser(y.url);
        await browser.login('olga', 'olga password!');
        const entry = await (await browser.get('/device')).text();
        const confirm = await (await browser.post('/device', { csrf: hiddenValue(entry, 'csrf')!, user_code: start.user_code })).text();
        await browser.post('/device/confirm', { csrf: hiddenValue(confirm, 'csrf')!, user_code: hiddenValue(confirm, 'user_code')!, decision: 'approve' });
        await Bun.sleep(1100);
        const polls = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            postForm(`${(i % 2 ? x : y).url}/token`, {
              grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
              device_code: start.device_code,
              client_id: 'auth-cli',
            }),
          ),
        );
        expect(polls.filter((r) => r.status === 200)).toHaveLength(1);
        // A single-use temp token minted on X, validated ten times over both at once: one winner.
        const admin = { 'Content-Type': 'application/json', Authorization: 'Bearer admin-token-0123456789abcdef' };
        const minted = (await (
          await fetch(`${x.url}/temp-tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ scope: 'once', resource_id: 'f-1', ttl: '5m' }) })
        ).json()) as { token: string };
        const checks = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            fetch(`${(i % 2 ? y : x).url}/temp-tokens/validate`, {
              method: 'POST',
              headers: admin,
              body: JSON.stringify({ token: minted.token, method: 'POST', path: '/flows/f-1/finish' }),
            }),
          ),
        );
        expect(checks.filter((r) => r.status === 200)).toHaveLength(1);
      } finally {
        await stop(x.proc);
        await stop(y.proc);
      }
    });

    test('failed sign-ins count for the deployment: a guesser spreading over both instances meets one limit', async () => {
      const limited = { ...env, LOGIN_RATE_LIMIT: '4', LOGIN_ACCOUNT_RATE_LIMIT: '1000' };
      const [x, y] = await Promise.all([instance(limited), instance(limited)]);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await new Browser((i % 2 ? x : y).url).login('olga', `wrong password ${i}`)).status);
        // Four failures are allowed in the window, wherever they land; the fifth is 429 on either instance.
        expect(statuses.slice(0, 4).every((s) => s !== 429)).toBe(true);
        expect(statuses.slice(4)).toEqual([429, 429]);
      } finally {
        await stop(x.proc);
        await stop(y.proc);
      }
    });

    test('with a strict policy (grace 0) on both: exactly one of 50 concurrent refreshes wins, and reuse revokes the family', async () => {
      const strictEnv = { ...env, REFRESH_REUSE_GRACE: '0' };
      const [s1, s2] = await Promise.all([instance(strictEnv), instance(strictEnv)]);
      try {
        const { code, verifier } = await codeOn(s1.url, client.clientId);
        const first = await (
          await postForm(
            `${s1.url}/token`,
            { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
            basicAuth(client.clientId, client.secret),
          )
        ).json();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            postForm(
              `${(i % 2 ? s1 : s2).url}/token`,
              { grant_type: 'refresh_token', refresh_token: first.refresh_token },
              basicAuth(client.clientId, client.secret),
            ),
          ),
        );
        const ok = results.filter((r) => r.status === 200);
        expect(ok.length).toBe(1);
        const winner = await ok[0]!.json();
        // The losers were reuse: the family is revoked, the winner's token with it.
        const after = await postForm(
          `${s1.url}/token`,
          { grant_type: 'refresh_token', refresh_token: winner.refresh_token },
          basicAuth(client.clientId, client.secret),
        );
        expect((await after.json()).error).toBe('invalid_grant');
      } finally {
        await stop(s1.proc);
        await stop(s2.proc);
      }
    });
  });

  describe('database restart while serving', () => {
    test.skipIf(process.getuid?.() !== 0)('requests fail cleanly with 503 while PostgreSQL is down, then the server recovers without a restart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auth-pgr-'));
      chmodSync(dir, 0o755); // the cluster runs as the postgres user
      const cluster = join(ROOT, 'scripts/pg-cluster');
      const port = freePort();
      const start = Bun.spawnSync(['bash', cluster, 'start', join(dir, 'pg'), String(port)]);
      const url = start.stdout.toString().trim();
      if (!url) throw new Error(`pg-cluster start failed: ${start.stderr.toString()}`);
      expect(url).toContain(`127.0.0.1:${port}`);
      const srv = await startTestServer({ DATABASE_URL: url });
      try {
        expect((await fetch(`${srv.base}/health`)).status).toBe(200);
        Bun.spawnSync(['bash', cluster, 'stop', join(dir, 'pg')]);
        const health = await fetch(`${srv.base}/health`);
        expect(health.status).toBe(503);
        expect((await health.json()).database).toBe('error');
        const tok = await postForm(`${srv.base}/token`, { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' });
        expect(tok.status).toBe(503);
        expect(await tok.json()).toMatchObject({ error: 'temporarily_unavailable' });
        expect(tok.headers.get('retry-after')).toBe('5');
        const page = await fetch(`${srv.base}/authorize?client_id=auth-cli&response_type=code`, { headers: { Accept: 'text/html' } });
        expect(page.status).toBe(503);
        expect(page.headers.get('content-type')).toContain('text/html');
        Bun.spawnSync(['bash', cluster, 'start', join(dir, 'pg'), String(port)]);
        let status = 0;
        for (let i = 0; i < 100 && status !== 200; i++) {
          status = (await fetch(`${srv.base}/health`)).status;
          if (status !== 200) await Bun.sleep(100);
        }
        expect(status).toBe(200);
        expect((await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).status).toBe(200);
        expect((await postForm(`${srv.base}/token`, { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' })).status).toBe(401);
      } finally {
        await srv.close();
        Bun.spawnSync(['bash', cluster, 'stop', join(dir, 'pg')]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('database restart under load', () => {
    // Two instances (the compiled binary) on their own cluster, 12 request loops alternating between them
    // (client_credentials, introspection, refresh rotation), PostgreSQL stopped and started underneath.
    test.skipIf(process.getuid?.() !== 0)(
      'two instances under load: only 200 or 503 throughout, 503 while PostgreSQL is down, both recover within 5 s of it coming back',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'auth-pgl-'));
        chmodSync(dir, 0o755);
        const cluster = join(ROOT, 'scripts/pg-cluster');
        const url = Bun.spawnSync(['bash', cluster, 'start', join(dir, 'pg'), String(freePort())])
          .stdout.toString()
          .trim();
        if (!url) throw new Error('pg-cluster start failed');
        await ensureBinary();
        // The request limits are per instance and beside the point here.
        const env = {
          DATABASE_URL: url,
          BASE_URL: 'http://auth.test.example',
          DATA_DIR: tempDir(),
          REFRESH_REUSE_GRACE: '60s',
          TOKEN_RATE_LIMIT: '100000000',
          TOKEN_CLIENT_RATE_LIMIT: '100000000',
          INTROSPECTION_RATE_LIMIT: '100000000',
        };
        const [x, y] = await Promise.all([instance(env), instance(env)]);
        const bases = [x.url, y.url];
        try {
          const client = await seed(env);
          const auth = basicAuth(client.clientId, client.secret);
          const service = JSON.parse(
            (await runAuth(['clients', 'add', '--name', 'Service', '--grant-type', 'client_credentials', '--json'], { env })).stdout,
          ) as { client_id: string; client_secret: string };
          const serviceAuth = basicAuth(service.client_id, service.client_secret);
          const access = (await (await postForm(`${bases[0]}/token`, { grant_type: 'client_credentials' }, serviceAuth)).json()).access_token as string;
          const refreshTokens: string[] = [];
          for (let i = 0; i < 4; i++) {
            const { code, verifier } = await codeOn(bases[i % 2]!, client.clientId);
            const t = await postForm(
              `${bases[i % 2]}/token`,
              { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
              auth,
            );
            refreshTokens.push((await t.json()).refresh_token);
          }

          // Every answer: when, which instance, which kind, its status and error code.
          type Answer = { sent: number; at: number; base: number; kind: string; status: number; error?: string };
          const answers: Answer[] = [];
          let running = true;
          const loop = async (kind: 'cc' | 'introspect' | 'refresh', n: number) => {
            let i = n;
            let refresh = refreshTokens[n % refreshTokens.length]!;
            while (running) {
              const base = i++ % 2;
              const form: Record<string, string> =
                kind === 'cc'
                  ? { grant_type: 'client_credentials' }
                  : kind === 'introspect'
                    ? { token: access }
                    : { grant_type: 'refresh_token', refresh_token: refresh };
              const sent = performance.now();
              const res = await postForm(
                `${bases[base]}/${kind === 'introspect' ? 'introspect' : 'token'}`,
                form,
                kind === 'refresh' ? auth : serviceAuth,
              ).catch(() => null);
              const body = res ? ((await res.json().catch(() => ({}))) as { error?: string; refresh_token?: string }) : {};
              answers.push({ sent, at: performance.now(), base, kind, status: res?.status ?? 0, error: body.error });
              if (kind === 'refresh' && res?.status === 200 && body.refresh_token) refresh = body.refresh_token;
              if (res?.status !== 200) await Bun.sleep(20);
            }
          };
          const loops = (['cc', 'introspect', 'refresh'] as const).flatMap((kind) => [0, 1, 2, 3].map((n) => loop(kind, n)));
          const healthOf = async (base: string) => (await fetch(`${base}/health`)).status;

          await Bun.sleep(1000);
          // Not spawnSync: the request loops keep running while the cluster stops and starts.
          const pgCluster = async (...args: string[]) => {
            const p = Bun.spawn(['bash', cluster, ...args], { stdout: 'ignore', stderr: 'ignore' });
            expect(await p.exited).toBe(0);
          };
          const stopping = performance.now();
          await pgCluster('stop', join(dir, 'pg'));
          const down = performance.now();
          await Bun.sleep(1500);
          expect(await Promise.all(bases.map(healthOf))).toEqual([503, 503]);
          const starting = performance.now();
          await pgCluster('start', join(dir, 'pg'), new URL(url).port);
          const up = performance.now();
          // Recovery: the first rotation answered 200 by each instance after PostgreSQL accepts connections again.
          const recovered = [0, 1].map(() => Number.POSITIVE_INFINITY);
          const healthy = [0, 1].map(() => Number.POSITIVE_INFINITY);
          while (
            performance.now() - up < 10_000 &&
            (recovered.some((t) => t === Number.POSITIVE_INFINITY) || healthy.some((t) => t === Number.POSITIVE_INFINITY))
          ) {
            for (const a of answers) if (a.sent > up && a.kind === 'refresh' && a.status === 200) recovered[a.base] = Math.min(recovered[a.base]!, a.at - up);
            for (const [i, base] of bases.entries())
              if (healthy[i] === Number.POSITIVE_INFINITY && (await healthOf(base)) === 200) healthy[i] = performance.now() - up;
            await Bun.sleep(50);
          }
          await Bun.sleep(1000);
          running = false;
          await Promise.all(loops);

          expect(answers.filter((a) => a.status !== 200 && a.status !== 503).map((a) => `${a.kind} ${a.status} ${a.error}`)).toEqual([]);
          expect(answers.filter((a) => a.status === 503).every((a) => a.error === 'temporarily_unavailable')).toBe(true);
          // While it was down, every rotation (it needs the database) was refused with 503, on both instances.
          const whileDown = answers.filter((a) => a.kind === 'refresh' && a.sent > down && a.at < starting);
          expect(whileDown.length).toBeGreaterThan(10);
          expect(new Set(whileDown.map((a) => a.base))).toEqual(new Set([0, 1]));
          expect(whileDown.every((a) => a.status === 503)).toBe(true);
          // Before the stop and in the last second, everything succeeded.
          expect(answers.filter((a) => a.at < stopping).every((a) => a.status === 200)).toBe(true);
          const tail = answers.filter((a) => a.sent > performance.now() - 900);
          expect(tail.length).toBeGreaterThan(20);
          expect(tail.every((a) => a.status === 200)).toBe(true);
          expect(Math.max(...recovered)).toBeLessThan(5000);
          expect(Math.max(...healthy)).toBeLessThan(5000);
          console.info(
            `restart under load: ${answers.length} requests, ${answers.filter((a) => a.status === 503).length} answered 503; recovered after ${recovered.map((t) => Math.round(t))} ms (rotation), ${healthy.map((t) => Math.round(t))} ms (/health)`,
          );
        } finally {
          await stop(x.proc);
          await stop(y.proc);
          Bun.spawnSync(['bash', cluster, 'stop', join(dir, 'pg')]);
          rmSync(dir, { recursive: true, force: true });
        }
      },
      60_000,
    );
  });

  describe('auth export / auth import', () => {
    test('export from SQLite, import into PostgreSQL: clients, users, keys and refresh tokens carry over', async () => {
      const sqliteDir = tempDir();
      const old = await startTestServer({ DATABASE_URL: join(sqliteDir, 'auth.db') });
      const { client_id, client_secret } = JSON.parse(
        (
          await runAuth(['clients', 'add', '--name', 'Moved', '--redirect-uri', 'https://app.example/cb', '--first-party', '--json'], {
            env: { DATABASE_URL: join(sqliteDir, 'auth.db') },
          })
        ).stdout,
      );
      await runAuth(['users', 'add', 'olga'], { env: { DATABASE_URL: join(sqliteDir, 'auth.db') }, stdin: 'olga password!\n' });
      const { code, verifier } = await codeOn(old.base, client_id);
      const tokens = await (
        await postForm(
          `${old.base}/token`,
          { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
          basicAuth(client_id, client_secret),
        )
      ).json();
      await old.close();

      const file = join(tempDir(), 'export.jsonl');
      const exp = await runAuth(['export', '--output', file], { env: { DATABASE_URL: join(sqliteDir, 'auth.db') } });
      expect(exp.code).toBe(0);
      expect(exp.stderr).toMatch(/exported \d+ clients, \d+ users, 0 identities, 2 keys, 1 families, 1 refreshTokens/);
      const { statSync } = await import('node:fs');
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const db = await createPgDatabase();
      try {
        const imp = await runAuth(['import', '--input', file], { env: { DATABASE_URL: db.url } });
        expect(imp.code).toBe(0);
        expect(imp.stderr).toContain('1/1 refreshTokens');
        // Importing twice keeps what exists.
        expect((await runAuth(['import', '--input', file], { env: { DATABASE_URL: db.url } })).stderr).toContain('0/1 refreshTokens');
        const neu = await startTestServer({ DATABASE_URL: db.url, BASE_URL: old.base });
        try {
          const r = await postForm(
            `${neu.url}/token`,
            { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
            basicAuth(client_id, client_secret),
          );
          expect(r.status).toBe(200);
          // The old access token still verifies: the signing key moved too.
          expect(await neu.deps.keys.verifyAccessToken(tokens.access_token)).not.toBeNull();
          expect((await new Browser(neu.url).login('olga', 'olga password!')).status).toBe(303);
        } finally {
          await neu.close();
        }
      } finally {
        await db.drop();
      }
      expect((await runAuth(['import'], { stdin: 'not an export\n', env: { DATA_DIR: tempDir() } })).code).toBe(1);
    });
  });
}
