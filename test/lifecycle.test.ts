// The executable: commands, configuration, migrations, start-up, health, logging, shutdown, packaging.
// Everything here runs the compiled binary (dist/auth) as a separate process.
import { afterAll, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY, ensureBinary, ROOT, runAuth, spawnListening, spawnServer } from './helpers/cli.ts';
import { startTestServer, tempDir } from './helpers/server.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import type { PostgresStore } from '../src/store/postgres.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir('auth-cli-');
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('commands', () => {
  test('--version, -v and version print name, version, commit, build time and bun version', async () => {
    for (const arg of ['--version', '-v', 'version']) {
      const r = await runAuth([arg]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^auth \d+\.\d+\.\d+ \([0-9a-f]{7,12}(-dirty)?|unknown(-dirty)?, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, bun \d+\.\d+\.\d+\)\n$/);
    }
  });

  test('--help prints usage on stdout and exits 0', async () => {
    const r = await runAuth(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: auth <command>');
  });

  test('no command prints the usage on stderr; an unknown command or flag is one line and a pointer (exit 2)', async () => {
    const none = await runAuth([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: auth <command>');
    for (const [args, first, pointer] of [
      [['frobnicate'], 'auth: unknown command: frobnicate', "Run 'auth --help'"],
      [['--frobnicate'], 'auth: unknown flag: --frobnicate', "Run 'auth --help'"],
      [['server', '--bogus'], 'auth: unknown flag --bogus', "Run 'auth server --help' for usage."],
      [['migrate', 'extra'], 'auth: unexpected argument: extra', "Run 'auth migrate --help' for usage."],
      [['clients', 'explode'], 'auth: unknown clients command: explode', "Run 'auth clients --help'"],
    ] as const) {
      const r = await runAuth([...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toStartWith(first);
      expect(lines[1]).toStartWith(pointer);
    }
  });

  test('an invalid setting stops the process naming the variable and what is allowed (exit 1)', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /PORT.*integer from 0 to 65535/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL.*one of debug, info, warn, error/],
      [{ BASE_URL: 'ftp://example.com' }, /BASE_URL.*http\(s\) URL/],
      [{ SHUTDOWN_TIMEOUT: 'soon' }, /SHUTDOWN_TIMEOUT.*duration/],
      [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY.*true or false/],
    ];
    for (const [env, re] of cases) {
      const r = await runAuth(['server'], { env: { ...env, DATA_DIR: dir() }, cwd: dir() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(re);
    }
  });

  test('.env in the working directory is read; the environment wins over it', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, '.env'), '# comment\nLOG_LEVEL=loud\nexport PORT="1"\n');
    const r = await runAuth(['server'], { cwd, env: { DATA_DIR: cwd } });
    expect(r.stderr).toMatch(/LOG_LEVEL/);
    const ok = await runAuth(['migrate'], { cwd, env: { DATA_DIR: cwd, LOG_LEVEL: 'info' } });
    expect(ok.code).toBe(0);
  });
});

describe('migrations', () => {
  test('auth migrate applies each migration once and is idempotent', async () => {
    const d = dir();
    const first = await runAuth(['migrate'], { env: { DATA_DIR: d } });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`applied migrations: ${MIGRATIONS.map((m) => m.version).join(', ')}`);
    const second = await runAuth(['migrate'], { env: { DATA_DIR: d } });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('up to date');
    const db = new Database(join(d, 'auth.db'));
    expect((db.query('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(MIGRATIONS.length);
    db.close();
  });

  test('a database newer than the binary is refused with a clear error', async () => {
    const d = dir();
    await runAuth(['migrate'], { env: { DATA_DIR: d } });
    const db = new Database(join(d, 'auth.db'));
    db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)");
    db.close();
    for (const cmd of ['migrate', 'server']) {
      const r = await runAuth([cmd], { env: { DATA_DIR: d, PORT: '0' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/schema version 9999, newer than this binary/);
    }
  });
});

describe('server process', () => {
  test('the compiled binary copied alone to another directory starts, migrates and answers /health', async () => {
    await ensureBinary();
    const d = dir();
    copyFileSync(BINARY, join(d, 'auth'));
    const srv = await spawnServer({ bin: join(d, 'auth'), cwd: d, env: { PORT: '0', HOST: '127.0.0.1' } });
    try {
      const line = await srv.waitFor((l) => l.includes('"listening"'));
      const url = JSON.parse(line).url as string;
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ status: 'ok', database: 'ok' });
      expect(typeof body.version).toBe('string');
      expect(typeof body.uptime_s).toBe('number');
      expect(existsSync(join(d, 'data/auth.db'))).toBe(true);
      // The first start creates admin with a random password in a 0600 file, named in the log.
      // (created right after listening: its argon2id hash is kept off the start-up path)
      await srv.waitFor((l) => l.includes('initial-admin-password'));
      const pw = join(d, 'data/initial-admin-password');
      expect(statSync(pw).mode & 0o777).toBe(0o600);
      const css = await fetch(`${url}/static/style.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toContain('text/css');
      // Unknown routes: 404 JSON.
      const nf = await fetch(`${url}/no/such/route?x=1`);
      expect(nf.status).toBe(404);
      expect(await nf.json()).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
      // One structured line per request, path without the query, request id echoed.
      const rid = nf.headers.get('x-request-id');
      expect(rid).toBeTruthy();
      const given = await fetch(`${url}/health`, { headers: { 'X-Request-Id': 'trace-123' } });
      expect(given.headers.get('x-request-id')).toBe('trace-123');
      await Bun.sleep(250); // request lines are flushed every 100 ms
      const reqLine = srv.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.request_id === rid);
      expect(reqLine).toMatchObject({ method: 'GET', path: '/no/such/route', status: 404, ip: '127.0.0.1' });
      expect(typeof reqLine.duration_ms).toBe('number');
      // The protocol endpoints (Bun's native router) log the same way, errors included.
      const lines = () => srv.lines.map((l) => JSON.parse(l));
      expect(lines().find((l) => l.msg === 'request' && l.request_id === 'trace-123')).toMatchObject({ method: 'GET', path: '/health', status: 200 });
      const bad = await fetch(`${url}/token?x=1`, { method: 'POST' });
      expect(bad.status).toBe(400);
      const badId = bad.headers.get('x-request-id');
      expect(badId).toBeTruthy();
      await Bun.sleep(250);
      expect(lines().find((l) => l.msg === 'request' && l.request_id === badId)).toMatchObject({ method: 'POST', path: '/token', status: 400 });
      expect(srv.lines.join('\n')).not.toContain(
        await Bun.file(pw)
          .text()
          .then((t) => t.trim()),
      );
    } finally {
      srv.proc.kill('SIGTERM');
      expect(await srv.proc.exited).toBe(0);
    }
    expect(srv.lines.some((l) => l.includes('"stopped"'))).toBe(true);
  });

  test('PORT=0: the server listens on a free port, says which, and the default issuer names it', async () => {
    const srv = await spawnListening({ cwd: dir(), env: {} });
    try {
      const md = await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json();
      expect(md.issuer).toBe(`http://localhost:${srv.port}`);
      expect(srv.port).toBeGreaterThan(0);
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.proc.exited;
    }
  });

  test('SIGINT stops the server with exit 0; healthcheck then fails', async () => {
    const d = dir();
    const srv = await spawnListening({ cwd: d, env: {} });
    const port = srv.port;
    const ok = await runAuth(['healthcheck'], { env: { PORT: String(port), HOST: '127.0.0.1' }, cwd: d });
    expect(ok.code).toBe(0);
    srv.proc.kill('SIGINT');
    expect(await srv.proc.exited).toBe(0);
    const down = await runAuth(['healthcheck', '--url', `http://127.0.0.1:${port}/health`], { cwd: d });
    expect(down.code).toBe(1);
  });

  test('a port already in use is an error naming the port (exit 1), not a second silent server', async () => {
    const holder = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('other') });
    try {
      const r = await runAuth(['server'], { env: { PORT: String(holder.port), HOST: '127.0.0.1', DATA_DIR: dir() } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${holder.port}`);
      expect(r.stderr).toContain('in use');
    } finally {
      holder.stop(true);
    }
  });

  test('SIGTERM lets an in-flight request finish, then exits 0; new connections are refused', async () => {
    const d = dir();
    const srv = await spawnListening({ cwd: d, env: { SHUTDOWN_TIMEOUT: '10s' } });
    const port = srv.port;
    // A request whose body is still arriving is in flight while the signal lands.
    let response = '';
    const done = new Promise<void>((resolve) => {
      void Bun.connect({
        hostname: '127.0.0.1',
        port,
        socket: {
          data(_s, chunk) {
            response += Buffer.from(chunk).toString();
          },
          close() {
            resolve();
          },
          error() {
            resolve();
          },
        },
      }).then(async (sock) => {
        const body = 'grant_type=client_credentials';
        sock.write(
          `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\ngrant_`,
        );
        await Bun.sleep(300);
        srv.proc.kill('SIGTERM');
        await Bun.sleep(700);
        sock.write(body.slice('grant_'.length));
      });
    });
    await done;
    expect(response).toMatch(/^HTTP\/1.1 (400|401)/);
    expect(await srv.proc.exited).toBe(0);
    const after = await fetch(`http://127.0.0.1:${port}/health`).catch((e) => e as Error);
    expect(after).toBeInstanceOf(Error);
  });

  test('a second signal exits at once', async () => {
    const d = dir();
    const srv = await spawnListening({ cwd: d, env: { SHUTDOWN_TIMEOUT: '30s' } });
    const port = srv.port;
    const sock = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    sock.write('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nab');
    await Bun.sleep(200);
    const t0 = performance.now();
    srv.proc.kill('SIGTERM');
    await Bun.sleep(200);
    srv.proc.kill('SIGTERM');
    expect(await srv.proc.exited).toBe(1);
    expect(performance.now() - t0).toBeLessThan(5000);
    sock.end();
  });
});

describe('health', () => {
  test('/health answers 503 with database "error" when the store does not answer', async () => {
    const srv = await startTestServer();
    try {
      const ok = await fetch(`${srv.base}/health`);
      expect(ok.status).toBe(200);
      // Take the database away under the running server.
      if (srv.deps.store instanceof SqliteStore) srv.deps.store.db.close();
      else await (srv.deps.store as PostgresStore).sql.close();
      const res = await fetch(`${srv.base}/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable', database: 'error' });
    } finally {
      await srv.close().catch(() => {});
    }
  });
});

describe('packaging', () => {
  test.skipIf(process.getuid?.() !== 0)('scripts/scratch-check runs the binary in a scratch-like root with only ldd-named libraries', async () => {
    await ensureBinary();
    const p = Bun.spawn(['bash', join(ROOT, 'scripts/scratch-check'), BINARY], { stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('scratch-check: ok');
    expect(out).toContain('"database":"ok"');
  });
});
