// Load generator for the authorization code flow of a signed-in user: authorize with the session cookie
// (a first-party client, so no consent) → 302 with a code → token exchange with PKCE. Reports whole flows
// per second, with the p99 of whole flows and of the single requests in them (the other scenarios' p99 is
// per request). Run by bench/run.ts in a child process pinned to the load-generator core.
import { cpus } from 'node:os';

export interface FlowResult {
  flowsPerSecond: number;
  /** Whole flows (authorize + token), ms. */
  p50: number;
  p99: number;
  /** Single requests of the flows (authorize and token together), ms. */
  requestP50: number;
  requestP99: number;
  errors: number;
}

interface Target {
  base: string;
  clientId: string;
  secret: string;
}

async function loop(t: Target, cookie: string, until: number, latencies: number[], requests: number[], errors: { n: number }) {
  const auth = `Basic ${btoa(`${t.clientId}:${t.secret}`)}`;
  while (performance.now() < until) {
    const t0 = performance.now();
    try {
      const verifier = crypto.randomUUID() + crypto.randomUUID();
      const challenge = new Bun.CryptoHasher('sha256').update(verifier).digest('base64url');
      const q = `response_type=code&client_id=${t.clientId}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_challenge=${challenge}&code_challenge_method=S256`;
      const a = await fetch(`${t.base}/authorize?${q}`, { redirect: 'manual', headers: { Cookie: cookie } });
      const t1 = performance.now();
      const code = new URL(a.headers.get('location') ?? 'http://x/').searchParams.get('code');
      if (!code) throw new Error(`authorize answered ${a.status}`);
      const r = await fetch(`${t.base}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
        body: `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=${verifier}`,
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`token answered ${r.status}`);
      const t2 = performance.now();
      latencies.push(t2 - t0);
      requests.push(t1 - t0, t2 - t1);
    } catch {
      errors.n++;
    }
  }
}

export async function runFlows(t: Target, cookie: string, seconds: number, conns: number): Promise<FlowResult> {
  const latencies: number[] = [];
  const requests: number[] = [];
  const errors = { n: 0 };
  const start = performance.now();
  const until = start + seconds * 1000;
  await Promise.all(Array.from({ length: conns }, () => loop(t, cookie, until, latencies, requests, errors)));
  const elapsed = (performance.now() - start) / 1000;
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
  latencies.sort((a, b) => a - b);
  requests.sort((a, b) => a - b);
  return {
    flowsPerSecond: latencies.length / elapsed,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    requestP50: pct(requests, 0.5),
    requestP99: pct(requests, 0.99),
    errors: errors.n,
  };
}

/** Run the load in a child process pinned to core 0 (the server is on core 1), after `warmup` seconds of the
 * same load in that process, not measured: a fresh client's JIT warm-up otherwise lands in the measured
 * latencies (wrk, native, has none). */
export async function codeFlowLoad(t: Target, session: { cookie: string }, seconds: number, conns: number, warmup: number): Promise<FlowResult> {
  const pin = cpus().length >= 2 ? ['taskset', '-c', '0'] : [];
  const p = Bun.spawn(
    [
      ...pin,
      process.execPath,
      import.meta.path,
      JSON.stringify({ t: { base: t.base, clientId: t.clientId, secret: t.secret }, cookie: session.cookie, seconds, conns, warmup }),
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  return JSON.parse(out) as FlowResult;
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2]!);
  if (a.warmup > 0) await runFlows(a.t, a.cookie, a.warmup, a.conns);
  console.log(JSON.stringify(await runFlows(a.t, a.cookie, a.seconds, a.conns)));
}
