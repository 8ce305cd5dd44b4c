// DPoP against bearer, in one run on this machine: the token endpoint (client_credentials with and without a
// proof — a proof adds an ES256 verification and a single-use jti write) and `auth proxy`'s check of a request
// (a JWT verification, plus a proof verification with ath for DPoP; the proxy's jti cache is in memory).
// Writes bench/DPOP.md.   bun bench/dpop.ts   (needs Debian's wrk; DURATION, ROUNDS, CONNS)
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ROOT = resolve(import.meta.dir, '..');
const BIN = join(ROOT, 'dist/auth');
const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNS = Number(process.env.CONNS ?? 50);
const TWO = cpus().length >= 2;
const SERVER_CPU = TWO ? ['taskset', '-c', '1'] : [];
const LOAD_CPU = TWO ? ['taskset', '-c', '0'] : [];
const REPORT = join(import.meta.dir, 'wrk/report.lua');
const SCRIPT = join(import.meta.dir, 'wrk/dpop.lua');
const work = mkdtempSync(join(tmpdir(), 'auth-dpopbench-'));
chmodSync(work, 0o755);
const procs: ReturnType<typeof Bun.spawn>[] = [];
process.on('exit', () => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const freePort = () => {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
};
async function up(url: string) {
  for (let i = 0; i < 400; i++) {
    if ((await fetch(url).catch(() => null))?.status) return;
    await Bun.sleep(25);
  }
  throw new Error(`${url} did not come up`);
}
const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

// The authorization server and the proxy, each pinned to the server core; the upstream answers in-process.
const port = freePort();
const issuer = `http://127.0.0.1:${port}`;
const env = {
  PATH: process.env.PATH ?? '',
  DATA_DIR: join(work, 'data'),
  BASE_URL: issuer,
  HOST: '127.0.0.1',
  PORT: String(port),
  LOG_LEVEL: 'warn',
  DPOP_PROOF_WINDOW: '600s', // proofs are made before each round
  TOKEN_RATE_LIMIT: '100000000',
  TOKEN_CLIENT_RATE_LIMIT: '100000000',
};
Bun.spawnSync([BIN, 'migrate'], { env });
const client = JSON.parse(
  Bun.spawnSync([BIN, 'clients', 'add', '--name', 'bench', '--grant-type', 'client_credentials', '--json'], { env }).stdout.toString(),
) as { client_id: string; client_secret: string };
procs.push(Bun.spawn([...SERVER_CPU, BIN, 'server'], { env, stdout: 'ignore', stderr: 'ignore' }));
await up(`${issuer}/health`);

const upstream = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') });
const proxyPort = freePort();
const resource = `http://127.0.0.1:${proxyPort}/mcp`;
procs.push(
  Bun.spawn(
    [
      ...SERVER_CPU,
      BIN,
      'proxy',
      '--upstream',
      `http://127.0.0.1:${upstream.port}`,
      '--resource',
      resource,
      '--port',
      String(proxyPort),
      '--host',
      '127.0.0.1',
      '--issuer',
      issuer,
    ],
    { env: { ...env, LOG_LEVEL: 'warn' }, stdout: 'ignore', stderr: 'ignore' },
  ),
);
await up(resource);

const key = await generateKeyPair('ES256');
const jwk = await exportJWK(key.publicKey);
const proof = (htm: string, htu: string, ath?: string) =>
  new SignJWT({ jti: randomUUID(), htm, htu, ...(ath ? { ath } : {}) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .setIssuedAt()
    .sign(key.privateKey);

/** Tokens for the proxy: one bearer, one bound to the key. */
async function token(dpop: boolean): Promise<string> {
  const r = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: basic(client.client_id, client.client_secret),
      ...(dpop ? { DPoP: await proof('POST', `${issuer}/token`) } : {}),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
  });
  return ((await r.json()) as { access_token: string }).access_token;
}
const bearerToken = await token(false);
const boundToken = await token(true);
const ath = createHash('sha256').update(boundToken).digest('base64url');

/** A file of `n` fresh proofs, one per line. */
async function pool(n: number, htm: string, htu: string, withAth?: string): Promise<string> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(await proof(htm, htu, withAth));
  const file = join(work, `pool-${randomUUID()}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}
async function wrk(url: string, e: Record<string, string>): Promise<Result> {
  const p = Bun.spawn([...LOAD_CPU, 'wrk', '-t1', `-c${CONNS}`, `-d${DURATION}s`, '--latency', '-s', SCRIPT, url], {
    env: { ...process.env, WRK_REPORT: REPORT, ...e },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk gave no report:\n${out}`);
  const r = JSON.parse(line) as { requests: number; duration_us: number; p50_us: number; p99_us: number; statuses: Record<string, number> };
  const ok = r.statuses['200'] ?? 0;
  return { rps: ok / (r.duration_us / 1e6), p50: r.p50_us / 1000, p99: r.p99_us / 1000, errors: r.requests - ok };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const scenarios = {
  'token, bearer': async () =>
    wrk(`${issuer}/token`, { WRK_METHOD: 'POST', WRK_BODY: 'grant_type=client_credentials', WRK_AUTH: basic(client.client_id, client.client_secret) }),
  'token, DPoP': async (n: number) =>
    wrk(`${issuer}/token`, {
      WRK_METHOD: 'POST',
      WRK_BODY: 'grant_type=client_credentials',
      WRK_AUTH: basic(client.client_id, client.client_secret),
      WRK_DPOP_POOL: await pool(n, 'POST', `${issuer}/token`),
    }),
  'proxy, bearer': async () => wrk(resource, { WRK_METHOD: 'GET', WRK_AUTH: `Bearer ${bearerToken}` }),
  'proxy, DPoP': async (n: number) => wrk(resource, { WRK_METHOD: 'GET', WRK_AUTH: `DPoP ${boundToken}`, WRK_DPOP_POOL: await pool(n, 'GET', resource, ath) }),
} as const;

// Warm-up, then rounds; a DPoP round gets 1.5× as many proofs as its bearer twin served in the warm-up.
const results: Record<string, Result[]> = {};
const capacity: Record<string, number> = {};
for (const [name, run] of Object.entries(scenarios)) {
  const r = await run(20_000);
  capacity[name] = r.rps;
  process.stderr.write(`warm-up ${name}: ${Math.round(r.rps)}/s\n`);
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(scenarios)) {
    const n = Math.ceil((capacity[name.replace('DPoP', 'bearer')] ?? 10_000) * DURATION * 1.5);
    const r = await run(n);
    results[name] = [...(results[name] ?? []), r];
    process.stderr.write(`round ${round + 1} ${name}: ${Math.round(r.rps)}/s p99 ${r.p99.toFixed(1)} ms errors ${r.errors}\n`);
  }
}

const row = (name: string) => {
  const rs = results[name]!;
  return {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
  };
};
const cpu =
  (
    await Bun.file('/proc/cpuinfo')
      .text()
      .catch(() => '')
  ).match(/model name\s*:\s*(.+)/)?.[1] ?? 'unknown CPU';
const lines = [
  '# DPoP against bearer',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}: server and proxy pinned to core 1, wrk on core 0, ${CONNS} connections, medians of ${ROUNDS} rounds of ${DURATION} s. Generated by \`./scripts/bench dpop\`.`,
  '',
  '| scenario | req/s | p50 ms | p99 ms | DPoP ÷ bearer | errors |',
  '|---|---:|---:|---:|---:|---:|',
];
for (const [name] of Object.entries(scenarios)) {
  const r = row(name);
  const base = name.endsWith('DPoP') ? row(name.replace('DPoP', 'bearer')).rps : r.rps;
  lines.push(`| ${name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.rps / base).toFixed(2)}× | ${r.errors} |`);
}
lines.push(
  '',
  'At the token endpoint a proof costs an ES256 verification and a single-use jti write (the `used_jtis` row that lets every instance refuse a replay). At the proxy it costs a second signature verification and the `ath` hash; its replay cache is in memory.',
  '',
);
writeFileSync(join(ROOT, 'bench/DPOP.md'), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
upstream.stop(true);
process.exit(0);
