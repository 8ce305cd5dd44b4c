// PostgreSQL against SQLite, one instance and two, in one run: client_credentials issuance (a cached client
// read, no write), introspection of a JWT (revocation lookup), refresh rotation (reads and a write
// transaction). Writes bench/POSTGRES.md.   bun bench/postgres.ts   (needs Debian's postgresql and wrk)
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..');
const BIN = join(ROOT, 'dist/auth');
const DURATION = Number(process.env.DURATION ?? 8);
const TWO = cpus().length >= 2;
const SERVER_CPU = TWO ? ['taskset', '-c', '1'] : [];
const LOAD_CPU = TWO ? ['taskset', '-c', '0'] : [];
const work = mkdtempSync(join(tmpdir(), 'auth-pgbench-'));
chmodSync(work, 0o755);
const procs: ReturnType<typeof Bun.spawn>[] = [];
const stopCluster = () => Bun.spawnSync(['bash', join(ROOT, 'scripts/pg-cluster'), 'stop', join(work, 'pg')]);
process.on('exit', () => {
  for (const p of procs) p.kill('SIGKILL');
  stopCluster(); // the cluster is a daemon: stop it whatever ends this run
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
const UNLIMITED = {
  TOKEN_RATE_LIMIT: '100000000',
  TOKEN_CLIENT_RATE_LIMIT: '100000000',
  INTROSPECTION_RATE_LIMIT: '100000000',
  DEVICE_RATE_LIMIT: '100000000',
};

const freePort = () => {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
};
const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

async function up(url: string) {
  for (let i = 0; i < 400; i++) {
    if ((await fetch(url).catch(() => null))?.ok) return;
    await Bun.sleep(25);
  }
  throw new Error(`${url} did not come up`);
}

/** Start `n` instances on one database; seed a client and 200 refresh tokens. */
async function deployment(databaseUrl: string, n: number) {
  const issuer = 'http://bench.auth.example';
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    DATA_DIR: join(work, `d${Math.random()}`),
    BASE_URL: issuer,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    INTROSPECTION_TOKEN: 'bench-introspection-token-0123456789',
    ...UNLIMITED,
  };
  Bun.spawnSync([BIN, 'migrate'], { env });
  const c = JSON.parse(
    Bun.spawnSync(
      [
        BIN,
        'clients',
        'add',
        '--name',
        'b',
        '--first-party',
        '--redirect-uri',
        'https://app.example/cb',
        '--grant-type',
        'client_credentials',
        '--grant-type',
        'authorization_code',
        '--grant-type',
        'refresh_token',
        '--json',
      ],
      { env },
    ).stdout.toString(),
  );
  Bun.spawnSync([BIN, 'users', 'add', 'bench'], { env, stdin: Buffer.from('bench password!\n') });
  const urls: string[] = [];
  const mine: ReturnType<typeof Bun.spawn>[] = [];
  for (let i = 0; i < n; i++) {
    const port = freePort();
    const p = Bun.spawn([...SERVER_CPU, BIN, 'server'], { env: { ...env, PORT: String(port) }, stdout: 'ignore', stderr: 'ignore' });
    procs.push(p);
    mine.push(p);
    urls.push(`http://127.0.0.1:${port}`);
    await up(`${urls[i]}/health`);
  }
  const auth = basic(c.client_id, c.client_secret);
  const jwt = (
    await (
      await fetch(`${urls[0]}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
        body: 'grant_type=client_credentials',
      })
    ).json()
  ).access_token;
  // Refresh tokens through the code flow (sign in once).
  const page = await fetch(`${urls[0]}/login`);
  const csrfCookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const login = await fetch(`${urls[0]}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie },
    body: new URLSearchParams({ csrf, username: 'bench', password: 'bench password!', next: '/' }),
  });
  const cookie = `${csrfCookie}; ${
    login.headers
      .getSetCookie()
      .find((x) => x.startsWith('auth_session='))!
      .split(';')[0]
  }`;
  const pool: string[] = [];
  for (let i = 0; i < 200; i++) {
    const verifier = crypto.randomUUID() + crypto.randomUUID();
    const challenge = new Bun.CryptoHasher('sha256').update(verifier).digest('base64url');
    const a = await fetch(
      `${urls[0]}/authorize?response_type=code&client_id=${c.client_id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_challenge=${challenge}&code_challenge_method=S256`,
      { redirect: 'manual', headers: { Cookie: cookie } },
    );
    const code = new URL(a.headers.get('location')!).searchParams.get('code')!;
    const t = await (
      await fetch(`${urls[0]}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier }),
      })
    ).json();
    pool.push(t.refresh_token);
  }
  return {
    urls,
    auth,
    jwt,
    pool,
    stop: () => {
      for (const p of mine) p.kill('SIGTERM');
    },
  };
}

async function wrk(url: string, script: string, env: Record<string, string>, conns: number) {
  const p = Bun.spawn([...LOAD_CPU, 'wrk', '-t1', `-c${conns}`, `-d${DURATION}s`, '--latency', '-s', script, url], {
    env: { ...process.env, WRK_REPORT: join(import.meta.dir, 'wrk/report.lua'), ...env },
    stdout: 'pipe',
  });
  const out = await new Response(p.stdout).text();
  const r = JSON.parse(out.split('\n').find((l) => l.startsWith('{"requests"'))!);
  const okCount = Object.keys(r.statuses).length ? (r.statuses['200'] ?? 0) : r.requests - r.status_errors;
  return { rps: okCount / (r.duration_us / 1e6), p99: r.p99_us / 1000 };
}

type Dep = Awaited<ReturnType<typeof deployment>>;
const SCENARIOS: { name: string; run: (d: Dep, url: string, conns: number, slice: string[]) => Promise<{ rps: number; p99: number }> }[] = [
  {
    name: 'client_credentials token',
    run: (d, url, c) =>
      wrk(`${url}/token`, join(import.meta.dir, 'wrk/simple.lua'), { WRK_METHOD: 'POST', WRK_BODY: 'grant_type=client_credentials', WRK_AUTH: d.auth }, c),
  },
  {
    name: 'introspection',
    run: (d, url, c) =>
      wrk(`${url}/introspect`, join(import.meta.dir, 'wrk/simple.lua'), { WRK_METHOD: 'POST', WRK_BODY: `token=${d.jwt}`, WRK_AUTH: d.auth }, c),
  },
  {
    name: 'refresh rotation',
    run: (d, url, c, slice) => {
      const file = join(work, `pool-${Math.random()}.txt`);
      writeFileSync(file, `${slice.join('\n')}\n`);
      return wrk(
        `${url}/token`,
        join(import.meta.dir, 'wrk/pool.lua'),
        { WRK_POOL: file, WRK_BODY: 'grant_type=refresh_token&refresh_token=TOKEN', WRK_AUTH: d.auth, WRK_NEXT_FIELD: 'refresh_token' },
        c,
      );
    },
  },
];

async function measure(d: Dep) {
  const out: Record<string, { rps: number; p99: number }> = {};
  for (const sc of SCENARIOS) {
    const per = Math.floor(50 / d.urls.length);
    const chunk = Math.floor(d.pool.length / d.urls.length);
    const rs = await Promise.all(d.urls.map((u, i) => sc.run(d, u, per, d.pool.slice(i * chunk, (i + 1) * chunk))));
    out[sc.name] = { rps: rs.reduce((n, r) => n + r.rps, 0), p99: Math.max(...rs.map((r) => r.p99)) };
  }
  return out;
}

async function main() {
  Bun.spawnSync(['bun', 'run', 'build'], { cwd: ROOT });
  const pgPort = freePort();
  const pgUrl = Bun.spawnSync(['bash', join(ROOT, 'scripts/pg-cluster'), 'start', join(work, 'pg'), String(pgPort)])
    .stdout.toString()
    .trim();
  if (!pgUrl) throw new Error('could not start PostgreSQL (scripts/pg-cluster)');
  const pgPid = Number(
    Bun.spawnSync(['head', '-1', join(work, 'pg/postmaster.pid')])
      .stdout.toString()
      .trim(),
  );
  if (TWO) Bun.spawnSync(['bash', '-c', `for t in $(ls /proc/${pgPid}/task); do taskset -pc 0 $t >/dev/null; done`]); // PostgreSQL beside the load generator
  const db = (name: string) => pgUrl.replace(/\/postgres$/, `/${name}`);
  const admin = (sql: string) => Bun.spawnSync(['psql', pgUrl, '-qc', sql]);
  const results: Record<string, Record<string, { rps: number; p99: number }>> = {};
  for (const [label, url, n] of [
    ['SQLite, 1 instance', join(work, 'sqlite.db'), 1],
    ['PostgreSQL, 1 instance', 'pg1', 1],
    ['PostgreSQL, 2 instances', 'pg2', 2],
  ] as const) {
    if (url.startsWith('pg')) admin(`CREATE DATABASE ${url}`);
    const d = await deployment(url.startsWith('pg') ? db(url) : url, n);
    results[label] = await measure(d);
    d.stop();
    console.error(label, JSON.stringify(results[label]));
    await Bun.sleep(500);
  }
  stopCluster();
  const lscpu = Bun.spawnSync(['lscpu']).stdout.toString();
  const model = /Model name:\s+(.+)/.exec(lscpu)?.[1]?.trim() ?? 'unknown CPU';
  const base = results['SQLite, 1 instance']!;
  const rows = Object.entries(results).flatMap(([label, r]) =>
    SCENARIOS.map(
      (sc) =>
        `| ${label} | ${sc.name} | ${r[sc.name]!.rps.toFixed(0)} | ${r[sc.name]!.p99.toFixed(2)} | ${(r[sc.name]!.rps / base[sc.name]!.rps).toFixed(2)}× |`,
    ),
  );
  writeFileSync(
    join(import.meta.dir, 'POSTGRES.md'),
    `# PostgreSQL against SQLite

Generated by \`bun bench/postgres.ts\` on ${new Date().toISOString().slice(0, 10)}, one run. Machine: ${model}, ${cpus().length} vCPUs. Servers pinned to core 1; wrk and PostgreSQL ${Bun.spawnSync(['bash', '-c', 'ls /usr/lib/postgresql | sort -V | tail -1']).stdout.toString().trim()} (throwaway cluster, fsync off) on core 0; 50 connections in all (split between instances); ${DURATION} s per measurement.

| deployment | scenario | req/s | p99 ms | vs SQLite |
|---|---|---:|---:|---:|
${rows.join('\n')}

Where the time goes: client_credentials does no database work per request (the client is cached for CLIENT_CACHE_TTL);
its cost is HTTP, client authentication and ES256 signing on the server core, the same on both stores. Introspection checks the token's jti
against the revocations: on SQLite an in-memory set (kept fresh through PRAGMA data_version), on PostgreSQL a round trip over
loopback per call, which is why PostgreSQL is slower there. Refresh rotation reads the token and its family and writes one transaction (three statements and a
commit): the SQLite store group-commits the writes of each event-loop turn in one transaction, while the PostgreSQL store
runs every rotation as its own transaction — four round trips and a commit each — which is where it loses most; group
commit on PostgreSQL (one transaction for the rotations of a turn) is the next lever. Two instances on this machine share
the one server core (and PostgreSQL shares the other with wrk), so they cannot add throughput here and lose some to context
switches and lock waits; what they show is that single-use operations stay correct under contention. On separate machines
instances scale out, and PostgreSQL's write capacity becomes the limit for rotation.
`,
  );
  rmSync(work, { recursive: true, force: true });
  console.error('wrote bench/POSTGRES.md');
}

await main();
process.exit(0);
