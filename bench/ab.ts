// Two builds of ours against each other: `./scripts/bench ab BASELINE [CANDIDATE]`, each a binary path or a
// git revision (built in a temporary worktree with this checkout's dependencies); CANDIDATE defaults to a fresh
// build of the working tree. Both servers run at once, pinned to the same core; each round runs every scenario
// on both, back to back, alternating which goes first, and the answer is the median of the per-round ratios
// (candidate ÷ baseline). On a shared VM single figures move by a third between minutes (docs/benchmarks.md):
// only a ratio paired within a round says whether a change made the server faster or slower.
//   ONLY=client,introspection,refresh (default)   DURATION=4  ROUNDS=6  WARMUP=1  CONNS=50
//   DATABASE_URL=postgres://…   both servers on that PostgreSQL database instead of SQLite files
import { $ } from 'bun';
import { existsSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { machine, measure, SCENARIOS, type Server, startOurs, wrk } from './run.ts';

const ROOT = resolve(import.meta.dir, '..');
const DURATION = Number(process.env.DURATION ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const WARMUP = Number(process.env.WARMUP ?? 1);
const CONNS = Number(process.env.CONNS ?? 50);
const ONLY = (process.env.ONLY ?? 'client,introspection,refresh')
  .split(',')
  .map((x) => x.trim().toLowerCase())
  .filter(Boolean);

const work = mkdtempSync(join(tmpdir(), 'auth-ab-'));

const build = (cwd: string, out: string) =>
  $`bun scripts/build.ts`
    .cwd(cwd)
    .env({ ...process.env, AUTH_OUTFILE: out })
    .quiet();

/** A binary for `spec`: a path to one, or a git revision built in a temporary worktree. */
async function binaryFor(spec: string | undefined, name: string): Promise<{ bin: string; label: string }> {
  const out = join(work, `${name}-auth`);
  if (spec === undefined) {
    await build(ROOT, out);
    return { bin: out, label: 'the working tree' };
  }
  if (existsSync(spec)) return { bin: resolve(spec), label: spec };
  const commit = (await $`git rev-parse --verify --short=12 ${`${spec}^{commit}`}`.cwd(ROOT).nothrow().quiet().text()).trim();
  if (!commit) throw new Error(`${spec} is neither a file nor a git revision`);
  const tree = join(work, `${name}-tree`);
  await $`git worktree add --detach --quiet ${tree} ${commit}`.cwd(ROOT).quiet();
  const modules = join(tree, 'node_modules');
  try {
    symlinkSync(join(ROOT, 'node_modules'), modules);
    await build(tree, out);
  } finally {
    // The link goes first, on its own: removing the worktree must never reach into the checkout's dependencies.
    if (existsSync(modules)) unlinkSync(modules);
    await $`git worktree remove --force ${tree}`.cwd(ROOT).nothrow().quiet();
  }
  return { bin: out, label: `${spec} (${commit})` };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const [baseSpec, candSpec] = process.argv.slice(2);
  if (!baseSpec) throw new Error('usage: scripts/bench ab BASELINE [CANDIDATE] — each a binary or a git revision');
  const scenarios = SCENARIOS.filter((sc) => ONLY.some((o) => sc.name.toLowerCase().startsWith(o)));
  if (!scenarios.length) throw new Error(`ONLY=${process.env.ONLY} names no scenario; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  console.error('building …');
  const base = await binaryFor(baseSpec, 'baseline');
  const cand = await binaryFor(candSpec, 'candidate');
  const servers: [Server, Server] = [await startOurs(join(work, 'baseline'), base.bin), await startOurs(join(work, 'candidate'), cand.bin)];
  const nameOf = (s: Server) => (s === servers[0] ? 'baseline' : 'candidate');
  for (const sc of scenarios)
    for (const s of servers) {
      const w = await sc.wrk(s);
      await wrk(w.url, w.script, w.env, WARMUP, CONNS);
    }
  const rounds = new Map<string, { rps: number; p99: number; p99Base: number }[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const sc of scenarios) {
      const got: Record<string, { rps: number; p99: number }> = {};
      for (const s of round % 2 ? servers : [...servers].reverse()) {
        const w = await sc.wrk(s); // fresh pools (refresh tokens are single-use), prepared outside the timed run
        await Bun.sleep(300);
        const m = measure(sc, nameOf(s), await wrk(w.url, w.script, w.env, DURATION, CONNS));
        if (m.errors) console.error(`  ${nameOf(s)} ${sc.name}: ${m.errors} errors`);
        got[nameOf(s)] = m;
      }
      const b = got.baseline!;
      const c = got.candidate!;
      const list = rounds.get(sc.name) ?? [];
      list.push({ rps: c.rps / b.rps, p99: c.p99, p99Base: b.p99 });
      rounds.set(sc.name, list);
      console.error(
        `round ${round} ${sc.name.padEnd(26)} baseline ${b.rps.toFixed(0).padStart(6)} req/s p99 ${b.p99.toFixed(2)} ms · candidate ${c.rps.toFixed(0).padStart(6)} req/s p99 ${c.p99.toFixed(2)} ms · ${(c.rps / b.rps).toFixed(3)}×`,
      );
    }
  }
  for (const s of servers) s.proc.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.proc.exited));
  console.log(`candidate ${cand.label} ÷ baseline ${base.label}, ${ROUNDS} alternating rounds of ${DURATION} s at ${CONNS} connections, on ${machine()}:`);
  for (const [name, list] of rounds) {
    const ratios = list.map((r) => r.rps).sort((a, b) => a - b);
    const dp99 = median(list.map((r) => r.p99 - r.p99Base));
    console.log(
      `  ${name.padEnd(26)} ${median(ratios).toFixed(3)}× (rounds ${ratios[0]!.toFixed(3)}–${ratios.at(-1)!.toFixed(3)}), p99 ${dp99 >= 0 ? '+' : ''}${dp99.toFixed(2)} ms`,
    );
  }
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
